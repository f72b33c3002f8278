package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func TestMaxPool2DMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	cases := []PoolShape{
		{Batch: 1, Channels: 1, Height: 4, Width: 4, Kernel: 2, Stride: 2},
		{Batch: 3, Channels: 5, Height: 7, Width: 9, Kernel: 2, Stride: 2},
		{Batch: 3, Channels: 2, Height: 8, Width: 5, Kernel: 3, Stride: 2},
		{Batch: 1, Channels: 3, Height: 6, Width: 6, Kernel: 3, Stride: 1},
	}
	for _, s := range cases {
		if err := s.Validate(); err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		x := randomSlice(rng, s.InputSize())
		dy := randomSlice(rng, s.OutputSize())
		wantY := make([]float32, s.OutputSize())
		wantDx := make([]float32, s.InputSize())
		oh, ow := s.OutH(), s.OutW()
		for p := 0; p < s.Batch*s.Channels; p++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					best := -1
					for y := i * s.Stride; y < i*s.Stride+s.Kernel; y++ {
						for xi := j * s.Stride; xi < j*s.Stride+s.Kernel; xi++ {
							k := (p*s.Height+y)*s.Width + xi
							if best < 0 || x[k] > x[best] {
								best = k
							}
						}
					}
					o := (p*oh+i)*ow + j
					wantY[o] = x[best]
					wantDx[best] += dy[o]
				}
			}
		}

		y := make([]float32, s.OutputSize())
		MaxPool2DForward(s, x, y)
		assertClose(t, fmt.Sprintf("forward %+v", s), y, wantY, 0)
		dx := randomSlice(rng, s.InputSize())
		MaxPool2DBackward(s, x, dy, dx)
		assertClose(t, fmt.Sprintf("backward %+v", s), dx, wantDx, 1e-6)
	}
}

func TestReLU(t *testing.T) {
	x := []float32{-2, 0, 3, -0.5, 7}
	y := make([]float32, len(x))
	ReLUForward(x, y)
	assertClose(t, "forward", y, []float32{0, 0, 3, 0, 7}, 0)
	nan := []float32{float32(math.NaN())}
	ReLUForward(nan, nan)
	if !math.IsNaN(float64(nan[0])) {
		t.Errorf("ReLU of NaN is %g, want NaN", nan[0])
	}
	dx := make([]float32, len(x))
	ReLUBackward(y, []float32{1, 2, 3, 4, 5}, dx)
	assertClose(t, "backward", dx, []float32{0, 0, 3, 0, 5}, 0)
}

func BenchmarkReLU(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	y := randomSlice(rng, 1<<22)
	ReLUForward(y, y)
	dy := randomSlice(rng, len(y))
	dx := make([]float32, len(y))
	for i := 0; i < b.N; i++ {
		ReLUBackward(y, dy, dx)
	}
	b.ReportMetric(float64(len(y)*4*3)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

func BenchmarkReLUForward(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	x := randomSlice(rng, 1<<21)
	y := make([]float32, len(x))
	for i := 0; i < b.N; i++ {
		ReLUForward(x, y)
	}
	b.ReportMetric(float64(len(x)*4*2)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

func TestReLULargeParallel(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	x := randomSlice(rng, 3*minParallelElements+17)
	y := make([]float32, len(x))
	ReLUForward(x, y)
	for i, v := range x {
		if want := max(v, 0); y[i] != want {
			t.Fatalf("y[%d] = %g, want %g", i, y[i], want)
		}
	}
}

// BenchmarkMaxPool2D times the forward and backward pass of the first
// pooling layer of the small CNN at batch 128.
func BenchmarkMaxPool2D(b *testing.B) {
	s := PoolShape{Batch: 128, Channels: 32, Height: 28, Width: 28, Kernel: 2, Stride: 2}
	rng := rand.New(rand.NewSource(1))
	x := randomSlice(rng, s.InputSize())
	dy := randomSlice(rng, s.OutputSize())
	y := make([]float32, s.OutputSize())
	dx := make([]float32, s.InputSize())
	for i := 0; i < b.N; i++ {
		MaxPool2DForward(s, x, y)
		MaxPool2DBackward(s, x, dy, dx)
	}
	b.ReportMetric(float64(s.InputSize()*4*2)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}
