package kernels

import (
	"math/rand"
	"runtime"
	"testing"
)

// TestConvBackwardWeightRepeatable runs the weight gradient many times on
// one input. Its parallel sums must group the images the same way every
// time, so the results must agree bit for bit, or training from a seed
// would not reproduce.
func TestConvBackwardWeightRepeatable(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	s := ConvShape{Batch: 9, InChannels: 5, Height: 11, Width: 9, OutChannels: 7,
		KernelH: 3, KernelW: 3, Stride: 1, Pad: 1}
	rng := rand.New(rand.NewSource(1))
	x := randomSlice(rng, s.InputSize())
	dy := randomSlice(rng, s.OutputSize())

	first := make([]float32, s.WeightSize())
	Conv2DBackwardWeight(s, x, dy, first, nil)
	for run := 1; run < 50; run++ {
		again := make([]float32, s.WeightSize())
		Conv2DBackwardWeight(s, x, dy, again, nil)
		for i := range first {
			if again[i] != first[i] {
				t.Fatalf("run %d: weight gradient %d = %v, first run gave %v", run, i,
					again[i], first[i])
			}
		}
	}
}
