package attacks

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// IFGSM is the iterative fast gradient sign method, also called the basic
// iterative method (BIM), of Kurakin, Goodfellow and Bengio, "Adversarial
// examples in the physical world", ICLR 2017 workshop. Starting at the
// clean image x, it takes Steps steps of size Alpha along the sign of the
// input gradient, and after each step projects every pixel onto
// [x-Eps, x+Eps] and [0, 1].
//
// The paper used Alpha = 1/255 and min(255*Eps+4, 1.25*255*Eps) steps.
// The defaults here are the common choice of transfer-attack work: 10
// steps of Eps/10. Its string form is "ifgsm:eps=E,alpha=A,steps=S", and
// the zero IFGSM is invalid because Eps has no default.
type IFGSM struct {
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
}

// Name returns "ifgsm".
func (IFGSM) Name() string { return "ifgsm" }

// Budget returns Eps.
func (a IFGSM) Budget() float32 { return a.Eps }

// String returns the config with defaults filled in, as
// "ifgsm:eps=E,alpha=A,steps=S".
func (a IFGSM) String() string {
	r := a.withDefaults()
	return formatConfig(a.Name(), r.params())
}

// Perturb returns x after Steps projected sign-gradient steps. See Attack
// for the shapes and ranges of x and labels.
func (a IFGSM) Perturb(m models.Differentiable, x *tensor.Dense, labels []int) (*tensor.Dense, error) {
	b, err := prepare(a, m, x, labels)
	if err != nil {
		return nil, err
	}

	r := a.withDefaults()
	adv, err := ascend(m, b, slices.Clone(b.pixels), r.Eps, r.Alpha, r.Steps, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Name(), err)
	}
	return adv, nil
}

// withDefaults returns a with zero Alpha and Steps replaced by defaults.
func (a IFGSM) withDefaults() IFGSM {
	a.Alpha, a.Steps = defaultSchedule(a.Eps, a.Alpha, a.Steps)
	return a
}

func (a IFGSM) validate() error {
	if err := checkEps(a.Eps); err != nil {
		return err
	}
	if err := checkAlpha(a.Alpha); err != nil {
		return err
	}
	return checkSteps(a.Steps)
}

func (a *IFGSM) params() []param {
	return []param{
		float32Param("eps", &a.Eps),
		float32Param("alpha", &a.Alpha),
		intParam("steps", &a.Steps),
	}
}
