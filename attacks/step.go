package attacks

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// direction maps the input gradient of one iteration to the values whose
// signs the step follows. It must not modify grad, which the model may
// still own.
type direction func(grad []float32) []float32

// ascend runs steps iterations of signed gradient ascent from adv and
// updates adv in place. Each iteration moves every pixel by alpha times
// the sign of its direction value. Then it projects the pixel onto the
// L-infinity ball of radius eps around the clean pixel and into [0, 1].
// A nil dir follows the gradient itself. ascend returns adv wrapped as an
// N x C x H x W tensor.
func ascend(m models.Differentiable, b batch, adv []float32, eps, alpha float32, steps int,
	dir direction) (*tensor.Dense, error) {
	advTensor := tensor.New(tensor.WithShape(b.shape...), tensor.WithBacking(adv))

	for i := range steps {
		grad, err := inputGradient(m, advTensor, b)
		if err != nil {
			return nil, fmt.Errorf("step %d of %d: %w", i+1, steps, err)
		}

		if dir != nil {
			grad = dir(grad)
		}
		signStep(adv, b.pixels, grad, eps, alpha)
	}
	return advTensor, nil
}

// signStep adds alpha*sign(dir[i]) to each adv[i] and projects the result
// onto the eps-ball around clean[i] and into [0, 1]. A zero or NaN dir[i]
// leaves the pixel where the projection puts it.
func signStep(adv, clean, dir []float32, eps, alpha float32) {
	adv = adv[:len(clean)]
	dir = dir[:len(clean)]
	for i, c := range clean {
		adv[i] = project(adv[i]+alpha*sign(dir[i]), c, eps)
	}
}

// project returns v clipped to [clean-eps, clean+eps] and then to [0, 1].
// With clean in [0, 1] both intervals overlap, so the result lies in both.
func project(v, clean, eps float32) float32 {
	low := max(clean-eps, 0)
	high := min(clean+eps, 1)
	return min(max(v, low), high)
}

// sign returns 1 for positive v, -1 for negative v and 0 otherwise.
func sign(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	default:
		return 0
	}
}
