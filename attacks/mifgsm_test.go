package attacks

import (
	"math"
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// imageBatch returns images i of x (shape N x C x H x W) as a new batch.
func imageBatch(x *tensor.Dense, labels []int, indices ...int) (*tensor.Dense, []int) {
	shape := x.Shape()
	size := shape[1] * shape[2] * shape[3]
	pixels := x.Data().([]float32)

	var subset []float32
	var subsetLabels []int
	for _, i := range indices {
		subset = append(subset, pixels[i*size:(i+1)*size]...)
		subsetLabels = append(subsetLabels, labels[i])
	}
	dims := []int{len(indices), shape[1], shape[2], shape[3]}
	return tensor.New(tensor.WithShape(dims...), tensor.WithBacking(subset)), subsetLabels
}

func TestMIFGSMImageIndependentOfBatch(t *testing.T) {
	// The images start at different distances from their targets, and
	// their gradients shrink and flip sign at different steps. A norm
	// shared by the batch would reweight each image's momentum.
	candidates := []models.Differentiable{
		newTargetModel(8, []int{1, 4, 4}, 3),
		newLinearModel(8, []int{1, 4, 4}, 3, 3),
	}
	for _, m := range candidates {
		x, labels := testBatch(9, 6, m.InputShape(), m.Classes())
		size := x.Shape().TotalSize() / len(labels)

		for _, a := range []MIFGSM{{Eps: 0.3}, {Eps: 0.5, Alpha: 0.04, Steps: 20, Decay: 0.8}} {
			batched := perturb(t, a, m, x, labels)
			for i := range labels {
				alone, aloneLabels := imageBatch(x, labels, i)
				got := perturb(t, a, m, alone, aloneLabels)
				if !slices.Equal(got, batched[i*size:(i+1)*size]) {
					t.Errorf("%T %v: image %d alone gives %v, in its batch %v",
						m, a, i, got, batched[i*size:(i+1)*size])
				}
			}
		}
	}
}

func TestMIFGSMMomentumChangesSteps(t *testing.T) {
	// Without momentum the steps oscillate around the target, and with it
	// they overshoot, so the two must differ.
	m := newTargetModel(14, []int{1, 4, 4}, 2)
	x, labels := testBatch(15, 3, m.InputShape(), m.Classes())

	without := perturb(t, MIFGSM{Eps: 0.5, Alpha: 0.05, Decay: NoMomentum}, m, x, labels)
	with := perturb(t, MIFGSM{Eps: 0.5, Alpha: 0.05}, m, x, labels)
	if slices.Equal(with, without) {
		t.Errorf("MI-FGSM with decay 1 took the same steps as with decay 0")
	}
}

func TestMIFGSMWithoutMomentumEqualsIFGSM(t *testing.T) {
	for _, m := range []models.Differentiable{
		newLinearModel(10, []int{2, 3, 3}, 4, 1),
		newTargetModel(10, []int{2, 3, 3}, 4),
	} {
		testMIFGSMWithoutMomentum(t, m)
	}
}

func testMIFGSMWithoutMomentum(t *testing.T, m models.Differentiable) {
	x, labels := testBatch(11, 5, m.InputShape(), m.Classes())

	for _, eps := range []float32{0.03, 0.3} {
		want := perturb(t, IFGSM{Eps: eps, Alpha: eps / 4, Steps: 12}, m, x, labels)
		got := perturb(t, MIFGSM{Eps: eps, Alpha: eps / 4, Steps: 12, Decay: NoMomentum},
			m, x, labels)
		if !slices.Equal(got, want) {
			t.Errorf("eps %v: MI-FGSM without momentum differs from I-FGSM", eps)
		}

		parsed, err := Parse(MIFGSM{Eps: eps, Decay: NoMomentum}.String())
		if err != nil {
			t.Fatal(err)
		}
		if parsed.(MIFGSM).Decay != NoMomentum {
			t.Errorf("eps %v: decay=0 parsed as %#v, want Decay NoMomentum", eps, parsed)
		}
	}
}

func TestMomentumUpdateNormalisesEachImage(t *testing.T) {
	const factor = 0.5
	first := []float32{1, -3, 0, 0, 0, 0, 0.5, 0.5}
	second := []float32{2, 2, 0, -4, 0, 0, 0, 0}
	mom := newMomentum(len(first), 4, factor)

	mom.update(first)
	got := slices.Clone(mom.update(second))

	want := []float64{
		factor*1/4 + 2.0/8, factor*-3/4 + 2.0/8, 0, -4.0 / 8, // image 0: L1 4, then 8
		0, 0, factor * 0.5 / 1, factor * 0.5 / 1, // image 1: L1 1, then a zero gradient
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-7 {
			t.Errorf("g[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}
