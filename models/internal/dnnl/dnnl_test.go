//go:build dnnl && cgo

package dnnl

import (
	"math"
	"math/rand"
	"testing"
)

// referenceConv returns the forward convolution of x with weights plus
// bias (nil for none), computed with plain loops in float64.
func referenceConv(s Shape, x, weights, bias []float32) []float32 {
	outH := (s.Height+2*s.Pad-s.KernelH)/s.Stride + 1
	outW := (s.Width+2*s.Pad-s.KernelW)/s.Stride + 1
	out := make([]float32, s.Batch*s.OutChannels*outH*outW)
	i := 0
	for n := range s.Batch {
		for o := range s.OutChannels {
			for oy := range outH {
				for ox := range outW {
					var sum float64
					if bias != nil {
						sum = float64(bias[o])
					}
					for c := range s.InChannels {
						for ky := range s.KernelH {
							for kx := range s.KernelW {
								y := oy*s.Stride + ky - s.Pad
								x0 := ox*s.Stride + kx - s.Pad
								if y < 0 || y >= s.Height || x0 < 0 || x0 >= s.Width {
									continue
								}
								w := weights[((o*s.InChannels+c)*s.KernelH+ky)*s.KernelW+kx]
								v := x[((n*s.InChannels+c)*s.Height+y)*s.Width+x0]
								sum += float64(w) * float64(v)
							}
						}
					}
					out[i] = float32(sum)
					i++
				}
			}
		}
	}
	return out
}

func randomSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func dot(a, b []float32) float64 {
	var sum float64
	for i := range a {
		sum += float64(a[i]) * float64(b[i])
	}
	return sum
}

// testShapes cover the plain and blocked layouts oneDNN picks: few input
// channels, 16 and more, a stride, a 1x1 kernel and a 5x5 one.
var testShapes = []Shape{
	{Batch: 2, InChannels: 3, Height: 8, Width: 8, OutChannels: 16, KernelH: 3, KernelW: 3,
		Stride: 1, Pad: 1},
	{Batch: 3, InChannels: 16, Height: 7, Width: 9, OutChannels: 32, KernelH: 3, KernelW: 3,
		Stride: 2, Pad: 1},
	{Batch: 2, InChannels: 32, Height: 6, Width: 6, OutChannels: 16, KernelH: 1, KernelW: 1,
		Stride: 2, Pad: 0},
	{Batch: 1, InChannels: 5, Height: 10, Width: 10, OutChannels: 7, KernelH: 5, KernelW: 5,
		Stride: 1, Pad: 2},
}

func TestConvForwardMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, s := range testShapes {
		x := randomSlice(rng, s.Batch*s.InChannels*s.Height*s.Width)
		weights := randomSlice(rng, s.OutChannels*s.InChannels*s.KernelH*s.KernelW)
		bias := randomSlice(rng, s.OutChannels)
		for _, b := range [][]float32{nil, bias} {
			want := referenceConv(s, x, weights, b)
			got := make([]float32, len(want))
			if err := Conv(Forward, s, x, weights, b, got); err != nil {
				t.Fatalf("%+v: %v", s, err)
			}
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-4 {
					t.Fatalf("%+v bias %v: output %d is %g, want %g", s, b != nil, i, got[i],
						want[i])
				}
			}
		}
	}
}

// TestConvBackwardMatchesAdjoint checks both backward passes against the
// forward one: for a linear map f, <dy, f(x)> = <f'(dy), x>, so the data
// gradient satisfies <dy, conv(x, w)> = <dx, x> and the weight gradient
// <dy, conv(x, w)> = <dw, w>, and the bias gradient is the sum of dy.
func TestConvBackwardMatchesAdjoint(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, s := range testShapes {
		x := randomSlice(rng, s.Batch*s.InChannels*s.Height*s.Width)
		weights := randomSlice(rng, s.OutChannels*s.InChannels*s.KernelH*s.KernelW)
		y := referenceConv(s, x, weights, nil)
		dy := randomSlice(rng, len(y))
		want := dot(dy, y)

		dx := make([]float32, len(x))
		if err := Conv(BackwardData, s, dx, weights, nil, dy); err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		dw := make([]float32, len(weights))
		db := make([]float32, s.OutChannels)
		if err := Conv(BackwardWeights, s, x, dw, db, dy); err != nil {
			t.Fatalf("%+v: %v", s, err)
		}

		tolerance := 1e-4 * float64(len(y))
		if got := dot(dx, x); math.Abs(got-want) > tolerance {
			t.Errorf("%+v: <dx, x> = %g, want <dy, y> = %g", s, got, want)
		}
		if got := dot(dw, weights); math.Abs(got-want) > tolerance {
			t.Errorf("%+v: <dw, w> = %g, want <dy, y> = %g", s, got, want)
		}
		pixels := len(y) / (s.Batch * s.OutChannels)
		for o := range s.OutChannels {
			var sum float64
			for n := range s.Batch {
				start := (n*s.OutChannels + o) * pixels
				for _, v := range dy[start : start+pixels] {
					sum += float64(v)
				}
			}
			if math.Abs(float64(db[o])-sum) > 1e-4*float64(len(y)) {
				t.Errorf("%+v: bias gradient %d is %g, want %g", s, o, db[o], sum)
			}
		}
	}
}

func TestGemmMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const m, n, k = 5, 7, 9
	for _, transA := range []bool{false, true} {
		for _, transB := range []bool{false, true} {
			a := randomSlice(rng, m*k)
			b := randomSlice(rng, k*n)
			c := randomSlice(rng, m*n)
			lda, ldb := k, n
			at := func(i, p int) float32 { return a[i*k+p] }
			bt := func(p, j int) float32 { return b[p*n+j] }
			if transA {
				lda = m
				at = func(i, p int) float32 { return a[p*m+i] }
			}
			if transB {
				ldb = k
				bt = func(p, j int) float32 { return b[j*k+p] }
			}
			want := make([]float64, m*n)
			for i := range m {
				for j := range n {
					want[i*n+j] = 0.5 * float64(c[i*n+j])
					for p := range k {
						want[i*n+j] += float64(at(i, p)) * float64(bt(p, j))
					}
				}
			}

			if err := Gemm(transA, transB, m, n, k, a, lda, b, ldb, 0.5, c, n); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.Abs(float64(c[i])-want[i]) > 1e-4 {
					t.Fatalf("transA %v transB %v: C[%d] = %g, want %g", transA, transB, i,
						c[i], want[i])
				}
			}
		}
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); v == "" || v[0] < '1' || v[0] > '9' {
		t.Errorf("Version() = %q, want a version such as 2.6.3", v)
	}
}

// TestConvConcurrentCalls runs one shape from several goroutines at once:
// each handle keeps reordered copies of its tensors, so calls must not mix.
func TestConvConcurrentCalls(t *testing.T) {
	s := testShapes[1]
	rng := rand.New(rand.NewSource(4))
	weights := randomSlice(rng, s.OutChannels*s.InChannels*s.KernelH*s.KernelW)
	const callers = 4
	inputs := make([][]float32, callers)
	wants := make([][]float32, callers)
	for i := range inputs {
		inputs[i] = randomSlice(rng, s.Batch*s.InChannels*s.Height*s.Width)
		wants[i] = referenceConv(s, inputs[i], weights, nil)
	}

	errs := make(chan error, callers)
	gots := make([][]float32, callers)
	for i := range callers {
		gots[i] = make([]float32, len(wants[i]))
		go func() {
			var err error
			for range 50 {
				if err = Conv(Forward, s, inputs[i], weights, nil, gots[i]); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	for i := range callers {
		for j := range wants[i] {
			if math.Abs(float64(gots[i][j]-wants[i][j])) > 1e-4 {
				t.Fatalf("caller %d: output %d is %g, want %g", i, j, gots[i][j], wants[i][j])
			}
		}
	}
}

// TestLayerReusesOnlyFreshTensors runs a layer's passes as graph runs
// do, changing the output gradient in place between runs, and checks each
// result against Conv without a layer.
func TestLayerReusesOnlyFreshTensors(t *testing.T) {
	s := testShapes[1]
	rng := rand.New(rand.NewSource(5))
	x := randomSlice(rng, s.Batch*s.InChannels*s.Height*s.Width)
	otherX := randomSlice(rng, len(x))
	weights := randomSlice(rng, s.OutChannels*s.InChannels*s.KernelH*s.KernelW)
	out := make([]float32, len(referenceConv(s, x, weights, nil)))
	dy := randomSlice(rng, len(out))

	want := func(pass Pass, src, dst []float32) []float32 {
		t.Helper()
		size := len(weights)
		if pass == BackwardData {
			size = len(x)
		}
		result := make([]float32, size)
		var err error
		if pass == BackwardData {
			err = Conv(pass, s, result, weights, nil, dst)
		} else {
			err = Conv(pass, s, src, result, nil, dst)
		}
		if err != nil {
			t.Fatal(err)
		}
		return result
	}
	check := func(name string, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4 {
				t.Fatalf("%s: element %d is %g, want %g", name, i, got[i], want[i])
			}
		}
	}

	var layer Layer
	dx := make([]float32, len(x))
	dw := make([]float32, len(weights))
	for run := range 3 {
		if err := layer.Conv(Forward, s, x, weights, nil, out); err != nil {
			t.Fatal(err)
		}
		check("forward", out, referenceConv(s, x, weights, nil))
		if err := layer.Conv(BackwardData, s, dx, weights, nil, dy); err != nil {
			t.Fatal(err)
		}
		check("data gradient", dx, want(BackwardData, nil, dy))
		if err := layer.Conv(BackwardWeights, s, x, dw, nil, dy); err != nil {
			t.Fatal(err)
		}
		check("weight gradient", dw, want(BackwardWeights, x, dy))

		// Another input slice must not be taken for the cached one.
		if err := layer.Conv(BackwardWeights, s, otherX, dw, nil, dy); err != nil {
			t.Fatal(err)
		}
		check("weight gradient of another input", dw, want(BackwardWeights, otherX, dy))

		// The next run writes new values into the same slices.
		for i := range dy {
			dy[i] = float32(rng.NormFloat64()) * float32(run+2)
		}
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
	}
}
