package attacks

import (
	"math/rand/v2"
	"testing"
)

// benchmarkPixels is one batch of 8 ImageNet-sized images, 8 x 3 x 224 x 224.
const benchmarkPixels = 8 * 3 * 224 * 224

func randomPixels(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 4))
	values := make([]float32, n)
	for i := range values {
		values[i] = rng.Float32()
	}
	return values
}

func BenchmarkSignStep(b *testing.B) {
	clean := randomPixels(1, benchmarkPixels)
	adv := randomPixels(2, benchmarkPixels)
	grad := randomPixels(3, benchmarkPixels)
	for i := range grad {
		grad[i] -= 0.5
	}

	b.SetBytes(int64(4 * benchmarkPixels))
	for b.Loop() {
		signStep(adv, clean, grad, 16.0/255, 1.6/255)
	}
}

func BenchmarkMomentumUpdate(b *testing.B) {
	grad := randomPixels(3, benchmarkPixels)
	mom := newMomentum(benchmarkPixels, 3*224*224, DefaultDecay)

	b.SetBytes(int64(4 * benchmarkPixels))
	for b.Loop() {
		mom.update(grad)
	}
}

func BenchmarkRandomStart(b *testing.B) {
	clean := randomPixels(1, benchmarkPixels)

	b.SetBytes(int64(4 * benchmarkPixels))
	for b.Loop() {
		randomStart(clean, 3*224*224, 16.0/255, 1)
	}
}
