package attacks

import (
	"fmt"
	"math"

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
// onto the eps-ball around clean[i] and into [0, 1]. alpha must be >= 0.
func signStep(adv, clean, dir []float32, eps, alpha float32) {
	adv = adv[:len(clean)]
	dir = dir[:len(clean)]
	for i, c := range clean {
		adv[i] = project(adv[i]+signedStep(dir[i], alpha), c, eps)
	}
}

// project returns v clipped to [clean-eps, clean+eps] and then to [0, 1].
// With clean in [0, 1] both intervals overlap, so the result lies in both.
func project(v, clean, eps float32) float32 {
	low := max(clean-eps, 0)
	high := min(clean+eps, 1)
	return min(max(v, low), high)
}

// signedStep returns alpha*sign(d): alpha with the sign bit of d, or 0
// when d is +0 or -0. It works on the bits without branches, because
// gradient signs are as good as random to a branch predictor. On
// 8 x 3 x 224 x 224 pixels this halved signStep's time (BenchmarkSignStep
// on a 2-core Xeon). A NaN d gives +alpha or -alpha, but inputGradient
// rejects NaN gradients before they get here.
func signedStep(d, alpha float32) float32 {
	const signBit = 1 << 31
	bits := math.Float32bits(d)
	magnitude := bits &^ signBit

	// magnitude+(signBit-1) carries into the sign bit unless magnitude is
	// 0, so keep is all ones for nonzero d and all zeros otherwise.
	nonzero := (magnitude + (signBit - 1)) >> 31
	keep := -nonzero

	return math.Float32frombits((math.Float32bits(alpha) | bits&signBit) & keep)
}
