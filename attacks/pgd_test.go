package attacks

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"
	"testing"
)

func TestPGDSameSeedSameResult(t *testing.T) {
	m := newLinearModel(12, []int{1, 4, 4}, 3, 1)
	x, labels := testBatch(13, 3, m.shape, m.classes)

	a := PGD{Eps: 0.2, Steps: 3, Seed: 42}
	first := perturb(t, a, m, x, labels)
	second := perturb(t, a, m, x, labels)
	if !slices.Equal(first, second) {
		t.Errorf("%v gave two different results", a)
	}
}

func TestPGDDifferentSeedDifferentStart(t *testing.T) {
	m := newLinearModel(12, []int{1, 4, 4}, 3, 1)
	x, labels := testBatch(13, 3, m.shape, m.classes)
	clean := x.Data().([]float32)
	const eps = 0.2

	first := randomStart(clean, m.imageSize(), eps, 1)
	second := randomStart(clean, m.imageSize(), eps, 2)
	if slices.Equal(first, second) {
		t.Errorf("seeds 1 and 2 gave the same random start")
	}
	if !slices.Equal(first, randomStart(clean, m.imageSize(), eps, 1)) {
		t.Errorf("seed 1 gave two different random starts")
	}

	// With one step of a tenth of eps, the start shows through the result.
	resultOne := perturb(t, PGD{Eps: eps, Steps: 1, Seed: 1}, m, x, labels)
	resultTwo := perturb(t, PGD{Eps: eps, Steps: 1, Seed: 2}, m, x, labels)
	if slices.Equal(resultOne, resultTwo) {
		t.Errorf("seeds 1 and 2 gave the same result")
	}
}

func TestPGDStartFillsBudget(t *testing.T) {
	clean := make([]float32, 4000)
	for i := range clean {
		clean[i] = 0.5
	}
	clean[0], clean[1] = 0, 1
	const eps = 0.25

	start := randomStart(clean, len(clean), eps, 7)
	var farthest, sum float64
	for i, v := range start {
		d := float64(v - clean[i])
		if math.Abs(d) > eps+budgetTolerance || v < 0 || v > 1 {
			t.Errorf("start pixel %d is %v, outside the budget around %v", i, v, clean[i])
		}
		farthest = max(farthest, math.Abs(d))
		sum += d
	}

	// A uniform draw from [-eps, eps] reaches near both ends and averages
	// near 0: the mean of 4000 draws has a standard deviation of about
	// eps/110.
	if farthest < 0.9*eps {
		t.Errorf("largest start offset %v, want near eps %v", farthest, eps)
	}
	if mean := sum / float64(len(start)); math.Abs(mean) > eps/20 {
		t.Errorf("mean start offset %v, want near 0", mean)
	}
}

func TestPGDImageIndependentOfBatch(t *testing.T) {
	m := newLinearModel(16, []int{2, 3, 3}, 3, 1)
	x, labels := testBatch(17, 4, m.shape, m.classes)
	size := m.imageSize()

	a := PGD{Eps: 0.2, Steps: 2, Seed: 5}
	batched := perturb(t, a, m, x, labels)
	for i := range labels {
		alone, aloneLabels := imageBatch(x, labels, i)
		got := perturb(t, a, m, alone, aloneLabels)
		if !slices.Equal(got, batched[i*size:(i+1)*size]) {
			t.Errorf("%v: image %d alone gives %v, in its batch %v",
				a, i, got, batched[i*size:(i+1)*size])
		}
	}
}

func TestHashPixelsMatchesFNV(t *testing.T) {
	pixels := []float32{0, 1, 0.5, float32(math.Copysign(0, -1)), 1e-30, 0.123}
	for n := range len(pixels) + 1 {
		reference := fnv.New64a()
		for _, p := range pixels[:n] {
			reference.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(p)))
		}
		if got, want := hashPixels(pixels[:n]), reference.Sum64(); got != want {
			t.Errorf("hashPixels of %d pixels = %#x, want %#x", n, got, want)
		}
	}
}
