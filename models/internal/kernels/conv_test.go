package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// convCases are odd shapes: non-square images and kernels, stride 2,
// padding 0 to 2, batch 1 and 3, channel counts unlike the block sizes.
var convCases = []ConvShape{
	{Batch: 1, InChannels: 1, Height: 5, Width: 7, OutChannels: 1, KernelH: 3, KernelW: 3, Stride: 1, Pad: 0},
	{Batch: 3, InChannels: 5, Height: 9, Width: 6, OutChannels: 7, KernelH: 3, KernelW: 3, Stride: 1, Pad: 1},
	{Batch: 3, InChannels: 3, Height: 11, Width: 8, OutChannels: 13, KernelH: 3, KernelW: 2, Stride: 2, Pad: 1},
	{Batch: 1, InChannels: 7, Height: 8, Width: 10, OutChannels: 17, KernelH: 5, KernelW: 3, Stride: 2, Pad: 2},
	{Batch: 3, InChannels: 2, Height: 6, Width: 5, OutChannels: 3, KernelH: 1, KernelW: 1, Stride: 1, Pad: 0},
	{Batch: 3, InChannels: 19, Height: 7, Width: 7, OutChannels: 9, KernelH: 3, KernelW: 3, Stride: 2, Pad: 0},
	{Batch: 2, InChannels: 2, Height: 3, Width: 4, OutChannels: 5, KernelH: 3, KernelW: 3, Stride: 3, Pad: 2},
	// More output pixels than a block of the matrix product has columns,
	// so blocks and strips start inside an output row.
	{Batch: 2, InChannels: 3, Height: 40, Width: 37, OutChannels: 4, KernelH: 3, KernelW: 3, Stride: 1, Pad: 1},
}

// inputAt returns x[n][c][y][x'] or 0 when (y, x') is padding.
func inputAt(s ConvShape, x []float32, n, c, y, xi int) (float32, int) {
	if y < 0 || y >= s.Height || xi < 0 || xi >= s.Width {
		return 0, -1
	}
	i := ((n*s.InChannels+c)*s.Height+y)*s.Width + xi
	return x[i], i
}

// referenceConv visits every (n, o, oy, ox, c, kh, kw) term of the
// convolution sum in plain nested loops.
func referenceConv(s ConvShape, visit func(out, in, w int)) {
	oh, ow := s.OutH(), s.OutW()
	for n := 0; n < s.Batch; n++ {
		for o := 0; o < s.OutChannels; o++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					out := ((n*s.OutChannels+o)*oh+oy)*ow + ox
					for c := 0; c < s.InChannels; c++ {
						for kh := 0; kh < s.KernelH; kh++ {
							for kw := 0; kw < s.KernelW; kw++ {
								y, xi := oy*s.Stride-s.Pad+kh, ox*s.Stride-s.Pad+kw
								if y < 0 || y >= s.Height || xi < 0 || xi >= s.Width {
									continue
								}
								in := ((n*s.InChannels+c)*s.Height+y)*s.Width + xi
								w := ((o*s.InChannels+c)*s.KernelH+kh)*s.KernelW + kw
								visit(out, in, w)
							}
						}
					}
				}
			}
		}
	}
}

type convData struct {
	x, weight, bias, dy []float32
}

func newConvData(rng *rand.Rand, s ConvShape) convData {
	return convData{
		x:      randomSlice(rng, s.InputSize()),
		weight: randomSlice(rng, s.WeightSize()),
		bias:   randomSlice(rng, s.OutChannels),
		dy:     randomSlice(rng, s.OutputSize()),
	}
}

func TestConv2DForwardMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, s := range convCases {
		if err := s.Validate(); err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		d := newConvData(rng, s)
		want := make([]float32, s.OutputSize())
		pixels := s.OutH() * s.OutW()
		for i := range want {
			want[i] = d.bias[(i/pixels)%s.OutChannels]
		}
		referenceConv(s, func(out, in, w int) { want[out] += d.x[in] * d.weight[w] })

		got := make([]float32, s.OutputSize())
		Conv2DForward(s, d.x, d.weight, d.bias, got)
		assertClose(t, fmt.Sprintf("%+v", s), got, want, 1e-4)

		Conv2DForward(s, d.x, d.weight, nil, got)
		for i := range want {
			want[i] -= d.bias[(i/pixels)%s.OutChannels]
		}
		assertClose(t, fmt.Sprintf("no bias %+v", s), got, want, 1e-4)
	}
}

func TestConv2DBackwardInputMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, s := range convCases {
		d := newConvData(rng, s)
		want := make([]float32, s.InputSize())
		referenceConv(s, func(out, in, w int) { want[in] += d.dy[out] * d.weight[w] })

		got := randomSlice(rng, s.InputSize())
		Conv2DBackwardInput(s, d.weight, d.dy, got)
		assertClose(t, fmt.Sprintf("%+v", s), got, want, 1e-4)
	}
}

func TestConv2DBackwardWeightMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	for _, s := range convCases {
		d := newConvData(rng, s)
		wantW := make([]float32, s.WeightSize())
		referenceConv(s, func(out, in, w int) { wantW[w] += d.dy[out] * d.x[in] })
		wantB := make([]float32, s.OutChannels)
		pixels := s.OutH() * s.OutW()
		for i, g := range d.dy {
			wantB[(i/pixels)%s.OutChannels] += g
		}

		gotW := randomSlice(rng, s.WeightSize())
		gotB := randomSlice(rng, s.OutChannels)
		Conv2DBackwardWeight(s, d.x, d.dy, gotW, gotB)
		assertClose(t, fmt.Sprintf("weight %+v", s), gotW, wantW, 1e-4)
		assertClose(t, fmt.Sprintf("bias %+v", s), gotB, wantB, 1e-4)
	}
}

func TestIm2ColCol2ImAdjoint(t *testing.T) {
	// Col2Im is the transpose of Im2Col: <Im2Col(x), c> == <x, Col2Im(c)>.
	rng := rand.New(rand.NewSource(7))
	for _, s := range convCases {
		s.Batch = 1
		x := randomSlice(rng, s.InputSize())
		c := randomSlice(rng, s.patchSize()*s.outPixels())
		col := make([]float32, len(c))
		Im2Col(s, x, col)
		image := make([]float32, len(x))
		Col2Im(s, c, image)
		var left, right float64
		for i := range c {
			left += float64(col[i]) * float64(c[i])
		}
		for i := range x {
			right += float64(x[i]) * float64(image[i])
		}
		assertClose(t, fmt.Sprintf("%+v", s), []float32{float32(left)}, []float32{float32(right)}, 1e-4)
	}
}

func TestConvShapeValidate(t *testing.T) {
	good := convCases[1]
	if err := good.Validate(); err != nil {
		t.Fatalf("valid shape rejected: %v", err)
	}
	bad := []ConvShape{good, good, good, good}
	bad[0].Stride = 0
	bad[1].Pad = -1
	bad[2].KernelH = 20
	bad[3].InChannels = 0
	for _, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("invalid shape %+v accepted", s)
		}
	}
}

// benchConv is the second layer of the 3->64->64 benchmark network.
var benchConv = ConvShape{Batch: 32, InChannels: 64, Height: 32, Width: 32,
	OutChannels: 64, KernelH: 3, KernelW: 3, Stride: 1, Pad: 1}

func convFlops(s ConvShape) float64 {
	return 2 * float64(s.OutputSize()) * float64(s.patchSize())
}

func BenchmarkConv2DForward(b *testing.B) {
	d := newConvData(rand.New(rand.NewSource(1)), benchConv)
	out := make([]float32, benchConv.OutputSize())
	for i := 0; i < b.N; i++ {
		Conv2DForward(benchConv, d.x, d.weight, d.bias, out)
	}
	reportGFLOPS(b, convFlops(benchConv))
}

func BenchmarkConv2DBackwardInput(b *testing.B) {
	d := newConvData(rand.New(rand.NewSource(1)), benchConv)
	dx := make([]float32, benchConv.InputSize())
	for i := 0; i < b.N; i++ {
		Conv2DBackwardInput(benchConv, d.weight, d.dy, dx)
	}
	reportGFLOPS(b, convFlops(benchConv))
}

func BenchmarkConv2DBackwardWeight(b *testing.B) {
	d := newConvData(rand.New(rand.NewSource(1)), benchConv)
	dw := make([]float32, benchConv.WeightSize())
	db := make([]float32, benchConv.OutChannels)
	for i := 0; i < b.N; i++ {
		Conv2DBackwardWeight(benchConv, d.x, d.dy, dw, db)
	}
	reportGFLOPS(b, convFlops(benchConv))
}
