package attacks

import (
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// TestAttacksOnSmallCNN runs every attack on an untrained models.SmallCNN,
// whose input gradient comes from the gorgonia graph runner.
func TestAttacksOnSmallCNN(t *testing.T) {
	spec := models.SmallCNN([]int{1, 8, 8}, 4)
	m, err := models.NewModelFromSpec(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, labels := testBatch(21, 3, spec.Input, spec.Classes)
	clean := x.Data().([]float32)
	_, cleanLosses, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatal(err)
	}

	const eps = 0.1
	for _, a := range attacksUnderTest(eps) {
		adv := perturb(t, a, m, x, labels)
		for i, v := range adv {
			if d := math.Abs(float64(v - clean[i])); d > eps+budgetTolerance || v < 0 || v > 1 {
				t.Errorf("%v: pixel %d is %v, outside the budget around %v", a, i, v, clean[i])
			}
		}

		advTensor := tensor.New(tensor.WithShape(x.Shape()...), tensor.WithBacking(adv))
		_, losses, err := m.InputGradient(advTensor, labels)
		if err != nil {
			t.Fatal(err)
		}
		for i := range losses {
			if losses[i] <= cleanLosses[i] {
				t.Errorf("%v: image %d loss %v, not above the clean loss %v",
					a, i, losses[i], cleanLosses[i])
			}
		}
	}
}
