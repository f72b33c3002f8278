package attacks

import (
	"math"
	"slices"
	"testing"

	"gorgonia.org/tensor"
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
	// Large weights make confident images with tiny gradients and wrong
	// ones with large gradients, so a norm shared by the batch would
	// reweight the momentum of each image.
	m := newLinearModel(8, []int{1, 4, 4}, 3, 3)
	x, labels := testBatch(9, 6, m.shape, m.classes)
	size := m.imageSize()

	for _, a := range []MIFGSM{{Eps: 0.3}, {Eps: 0.3, Alpha: 0.02, Steps: 20, Decay: 0.8}} {
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
}

func TestMIFGSMWithoutMomentumEqualsIFGSM(t *testing.T) {
	m := newLinearModel(10, []int{2, 3, 3}, 4, 1)
	x, labels := testBatch(11, 5, m.shape, m.classes)

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
