package attacks

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// FGSM is the fast gradient sign method of Goodfellow, Shlens and Szegedy,
// "Explaining and Harnessing Adversarial Examples", ICLR 2015. It takes one
// step of size Eps along the sign of the input gradient of the model's
// attack loss and clips the result to [0, 1]:
//
//	x_adv = clip(x + Eps*sign(grad), 0, 1)
//
// Its string form is "fgsm:eps=E". The zero FGSM is invalid because Eps
// has no default.
type FGSM struct {
	// Eps is the L-infinity budget in pixel units, in (0, 1]. There is no
	// default: common choices are 0.3 for MNIST-like digits and 16/255
	// for CIFAR and ImageNet.
	Eps float32
}

// Name returns "fgsm".
func (FGSM) Name() string { return "fgsm" }

// Budget returns Eps.
func (a FGSM) Budget() float32 { return a.Eps }

// String returns the config as "fgsm:eps=E".
func (a FGSM) String() string { return formatConfig(a.Name(), a.params()) }

// Perturb returns x moved by one signed gradient step of size Eps. See
// Attack for the shapes and ranges of x and labels.
func (a FGSM) Perturb(m models.Differentiable, x *tensor.Dense, labels []int) (*tensor.Dense, error) {
	b, err := prepare(a, m, x, labels)
	if err != nil {
		return nil, err
	}

	adv, err := ascend(m, b, slices.Clone(b.pixels), a.Eps, a.Eps, 1, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Name(), err)
	}
	return adv, nil
}

func (a FGSM) validate() error { return checkEps(a.Eps) }

func (a *FGSM) params() []param {
	return []param{float32Param("eps", &a.Eps)}
}
