package attacks

import (
	"testing"

	"gorgonia.org/tensor"
)

// TestFGSMMatchesSignOfKnownGradient uses a two-class linear model whose
// first row of weights is zero and whose second row is direction. The
// cross-entropy gradient is then p1*direction for label 0 and
// -p0*direction for label 1, so its sign is known without computing it.
func TestFGSMMatchesSignOfKnownGradient(t *testing.T) {
	direction := []float32{0.5, -0.25, 0, 1, -1, 0.75, -0.5, 0.1, 0}
	m := &linearModel{
		shape:   []int{1, 3, 3},
		classes: 2,
		weights: append(make([]float32, len(direction)), direction...),
		bias:    []float32{0.2, -0.1},
	}
	image := []float32{0, 1, 0.5, 1, 0, 0.97, 0.02, 0.4, 1}
	pixels := append(append([]float32{}, image...), image...)
	x := tensor.New(tensor.WithShape(2, 1, 3, 3), tensor.WithBacking(pixels))
	labels := []int{0, 1}

	for _, eps := range []float32{0.05, 0.3, 1} {
		adv := perturb(t, FGSM{Eps: eps}, m, x, labels)
		for i, label := range labels {
			for j, c := range image {
				s := sign(direction[j])
				if label == 1 {
					s = -s
				}
				want := min(max(c+eps*s, 0), 1)
				if got := adv[i*len(image)+j]; got != want {
					t.Errorf("eps %v image %d pixel %d: got %v, want clip(%v + %v*%v) = %v",
						eps, i, j, got, c, eps, s, want)
				}
			}
		}
	}
}
