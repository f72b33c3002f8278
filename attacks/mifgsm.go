package attacks

import (
	"fmt"
	"math"
	"slices"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// DefaultDecay is the momentum factor mu of MI-FGSM when Decay is zero.
const DefaultDecay = 1.0

// NoMomentum is the Decay value that turns momentum off (mu = 0). Any
// negative Decay does the same.
const NoMomentum float32 = -1

// MIFGSM is the momentum iterative fast gradient sign method of Dong, Liao,
// Pang, Su, Zhu, Hu and Li, "Boosting Adversarial Attacks with Momentum",
// CVPR 2018. Starting at the clean image x with g = 0, each of Steps
// iterations accumulates the input gradient normalised by its L1 norm,
//
//	g = mu*g + grad/||grad||_1
//
// takes a step of size Alpha along sign(g), and projects every pixel onto
// [x-Eps, x+Eps] and [0, 1]. The L1 norm is taken over each image's own
// gradient, so an image's result does not depend on the rest of its batch.
// An image whose gradient is all zeros adds nothing to its g.
//
// The defaults follow the paper: 10 steps of Eps/10 and mu = 1. Its string
// form is "mifgsm:eps=E,alpha=A,steps=S,decay=D", and the zero MIFGSM is
// invalid because Eps has no default. With decay=0 (Decay NoMomentum) it
// takes the same steps as IFGSM.
type MIFGSM struct {
	// Eps is the L-infinity budget in pixel units, in (0, 1]. There is no
	// default: common choices are 0.3 for MNIST-like digits and 16/255
	// for CIFAR and ImageNet.
	Eps float32

	// Alpha is the step size in pixel units, >= 0. Zero selects
	// Eps/Steps.
	Alpha float32

	// Steps is the number of iterations, >= 0. Zero selects DefaultSteps
	// (10).
	Steps int

	// Decay is the momentum factor mu. Zero selects DefaultDecay (1.0),
	// and a negative value such as NoMomentum selects mu = 0. The string
	// form writes the factor itself, so "decay=0" means mu = 0.
	Decay float32
}

// Name returns "mifgsm".
func (MIFGSM) Name() string { return "mifgsm" }

// Budget returns Eps.
func (a MIFGSM) Budget() float32 { return a.Eps }

// String returns the config with defaults filled in, as
// "mifgsm:eps=E,alpha=A,steps=S,decay=D".
func (a MIFGSM) String() string {
	r := a.withDefaults()
	return formatConfig(a.Name(), r.params())
}

// Perturb returns x after Steps momentum sign-gradient steps. See Attack
// for the shapes and ranges of x and labels.
func (a MIFGSM) Perturb(m models.Differentiable, x *tensor.Dense, labels []int) (*tensor.Dense, error) {
	b, err := prepare(a, m, x, labels)
	if err != nil {
		return nil, err
	}

	r := a.withDefaults()
	momentum := newMomentum(len(b.pixels), b.imageSize(), r.momentumFactor())
	adv, err := ascend(m, b, slices.Clone(b.pixels), r.Eps, r.Alpha, r.Steps, momentum.update)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Name(), err)
	}
	return adv, nil
}

// momentum is the accumulated gradient g of a batch.
type momentum struct {
	g         []float32
	imageSize int
	factor    float32
}

func newMomentum(size, imageSize int, factor float32) *momentum {
	return &momentum{g: make([]float32, size), imageSize: imageSize, factor: factor}
}

// update sets g to factor*g + grad/||grad||_1, with the L1 norm taken per
// image, and returns g.
func (m *momentum) update(grad []float32) []float32 {
	for start := 0; start < len(m.g); start += m.imageSize {
		end := start + m.imageSize
		m.updateImage(m.g[start:end], grad[start:end])
	}
	return m.g
}

func (m *momentum) updateImage(g, grad []float32) {
	g = g[:len(grad)]

	norm := l1Norm(grad)
	if norm == 0 {
		for i := range g {
			g[i] *= m.factor
		}
		return
	}

	scale := float32(1 / norm)
	for i, v := range grad {
		g[i] = m.factor*g[i] + v*scale
	}
}

// l1Norm returns the sum of |v|, accumulated in float64 so that large
// images lose no precision.
func l1Norm(values []float32) float64 {
	var sum float64
	for _, v := range values {
		sum += math.Abs(float64(v))
	}
	return sum
}

// withDefaults returns a with zero Alpha, Steps and Decay replaced by
// defaults and a negative Decay replaced by NoMomentum.
func (a MIFGSM) withDefaults() MIFGSM {
	a.Alpha, a.Steps = defaultSchedule(a.Eps, a.Alpha, a.Steps)
	switch {
	case a.Decay == 0:
		a.Decay = DefaultDecay
	case a.Decay < 0:
		a.Decay = NoMomentum
	}
	return a
}

// momentumFactor returns mu for a config that has its defaults filled in.
func (a MIFGSM) momentumFactor() float32 {
	return max(a.Decay, 0)
}

func (a MIFGSM) validate() error {
	if err := checkEps(a.Eps); err != nil {
		return err
	}
	if err := checkAlpha(a.Alpha); err != nil {
		return err
	}
	if err := checkSteps(a.Steps); err != nil {
		return err
	}
	if math.IsNaN(float64(a.Decay)) || math.IsInf(float64(a.Decay), 0) {
		return fmt.Errorf("decay=%v is invalid, expected a finite momentum factor", a.Decay)
	}
	return nil
}

func (a *MIFGSM) params() []param {
	return []param{
		float32Param("eps", &a.Eps),
		float32Param("alpha", &a.Alpha),
		intParam("steps", &a.Steps),
		decayParam(&a.Decay),
	}
}

// decayParam binds "decay" to field, writing and reading the momentum
// factor itself: "decay=0" is NoMomentum.
func decayParam(field *float32) param {
	return param{
		key:    "decay",
		format: func() string { return formatFloat32(max(*field, 0)) },
		parse: func(value string) error {
			v, err := parseFloat32(value)
			if err != nil {
				return err
			}
			if v < 0 {
				return fmt.Errorf("invalid momentum factor, expected decay >= 0")
			}
			if v == 0 {
				v = NoMomentum
			}
			*field = v
			return nil
		},
	}
}
