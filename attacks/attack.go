// Package attacks crafts L-infinity adversarial examples on any
// models.Differentiable: FGSM, I-FGSM (BIM), PGD with a random start and
// MI-FGSM. Every attack works in pixel space on float32 images in [0, 1]
// of shape N x C x H x W and keeps each adversarial pixel within Eps of
// its clean value and inside [0, 1]. The attacks follow the gradient of
// the model's own attack loss (InputGradient), so an ensemble or a
// multi-track model is attacked like any other model.
//
// Each attack is a config struct whose zero fields mean documented
// defaults. Its String method gives the full config in a form that Parse
// reads back, such as "pgd:eps=0.3,alpha=0.03,steps=10,seed=1". An attack
// value keeps no state between calls, so Perturb is safe for concurrent
// use whenever the model's InputGradient is.
package attacks

import (
	"fmt"
	"math"
	"strconv"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// DefaultSteps is the number of iterations an iterative attack runs when
// its Steps field is zero.
const DefaultSteps = 10

// Attack crafts adversarial examples against a differentiable model.
type Attack interface {
	// Name returns the attack's name in the string form, such as "pgd".
	Name() string

	// String returns the full config with every default filled in, such
	// as "pgd:eps=0.3,alpha=0.03,steps=10,seed=1", which Parse reads back
	// into the same attack.
	String() string

	// Budget returns the L-infinity budget Eps in pixel units: no pixel of
	// a result is further than Budget from its clean value.
	Budget() float32

	// Perturb returns adversarial versions of x, a batch of pixels in
	// [0, 1] with shape N x C x H x W that matches m.InputShape(), whose
	// true classes are labels (length N, each in [0, m.Classes())).
	// The result is a new N x C x H x W tensor; x is never modified.
	Perturb(m models.Differentiable, x *tensor.Dense, labels []int) (*tensor.Dense, error)
}

// config is an attack whose fields Parse can set and check.
type config interface {
	Attack

	// validate returns an error naming the first invalid field.
	validate() error
}

// checkEps returns an error unless eps is an L-infinity budget in (0, 1].
func checkEps(eps float32) error {
	if eps == 0 {
		return fmt.Errorf("eps is missing: it has no default; give the L-infinity budget in " +
			"(0, 1], such as eps=0.3 for digits or eps=16/255 for CIFAR and ImageNet")
	}
	if !(eps > 0 && eps <= 1) {
		return fmt.Errorf("eps=%v is invalid, expected an L-infinity budget in (0, 1] "+
			"such as 0.3 for digits or 16/255 for CIFAR and ImageNet", eps)
	}
	return nil
}

// checkAlpha returns an error unless alpha is a finite step size >= 0,
// where 0 selects the default.
func checkAlpha(alpha float32) error {
	if !(alpha >= 0 && alpha <= math.MaxFloat32) {
		return fmt.Errorf("alpha=%v is invalid, expected a step size >= 0 in pixel units "+
			"(0 selects eps/steps)", alpha)
	}
	return nil
}

// checkSteps returns an error unless steps >= 0, where 0 selects the
// default.
func checkSteps(steps int) error {
	if steps < 0 {
		return fmt.Errorf("steps=%d is invalid, expected a number of iterations >= 0 "+
			"(0 selects %d)", steps, DefaultSteps)
	}
	return nil
}

// defaultSchedule returns alpha and steps with zero values replaced by
// their defaults: a step of eps/steps and DefaultSteps iterations.
func defaultSchedule(eps, alpha float32, steps int) (float32, int) {
	if steps == 0 {
		steps = DefaultSteps
	}
	if alpha == 0 {
		alpha = divideDecimal(eps, steps)
	}
	return alpha, steps
}

// divideDecimal returns v/n computed in float64 from the shortest decimal
// form of v, so that 0.3/10 gives the float32 nearest 0.03 (written
// "0.03") rather than float32(0.3)/10 (written "0.030000001"). The two
// differ by at most one float32 rounding step.
func divideDecimal(v float32, n int) float32 {
	decimal, err := strconv.ParseFloat(formatFloat32(v), 64)
	if err != nil {
		panic(fmt.Sprintf("float32 %v does not parse back from %q: %v", v, formatFloat32(v), err))
	}
	return float32(decimal / float64(n))
}

// prepare checks a's config and the attack input, and returns the input as
// a batch. Errors start with the attack's name.
func prepare(a config, m models.Differentiable, x *tensor.Dense, labels []int) (batch, error) {
	if err := a.validate(); err != nil {
		return batch{}, fmt.Errorf("%s: %w", a.Name(), err)
	}
	b, err := newBatch(m, x, labels)
	if err != nil {
		return batch{}, fmt.Errorf("%s: %w", a.Name(), err)
	}
	return b, nil
}
