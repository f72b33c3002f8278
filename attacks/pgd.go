package attacks

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// PGD is projected gradient descent under an L-infinity budget as in
// Madry, Makelov, Schmidt, Tsipras and Vladu, "Towards Deep Learning
// Models Resistant to Adversarial Attacks", ICLR 2018. It starts at a
// point drawn uniformly from the Eps-ball around x and clipped to [0, 1].
// Then it takes Steps steps of size Alpha along the sign of the input
// gradient, and after each step projects every pixel onto [x-Eps, x+Eps]
// and [0, 1]. The random start is always on, because IFGSM is the same
// attack started at x.
//
// The paper trained against 40 steps of 0.01 at Eps = 0.3 on MNIST and 7
// steps of 2/255 at Eps = 8/255 on CIFAR-10. The defaults here are the
// common choice of transfer-attack work: 10 steps of Eps/10. Its string form is
// "pgd:eps=E,alpha=A,steps=S,seed=R", and the zero PGD is invalid because
// Eps has no default.
type PGD struct {
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

	// Seed seeds the random start. Zero is an ordinary seed, so the zero
	// value is reproducible too. An image's start depends on Seed and its
	// own pixels only, so the same seed gives it the same start alone and
	// in any batch, and identical images get identical starts.
	Seed int64
}

// Name returns "pgd".
func (PGD) Name() string { return "pgd" }

// Budget returns Eps.
func (a PGD) Budget() float32 { return a.Eps }

// String returns the config with defaults filled in, as
// "pgd:eps=E,alpha=A,steps=S,seed=R".
func (a PGD) String() string {
	r := a.withDefaults()
	return formatConfig(a.Name(), r.params())
}

// Perturb returns x after a random start and Steps projected sign-gradient
// steps. See Attack for the shapes and ranges of x and labels.
func (a PGD) Perturb(m models.Differentiable, x *tensor.Dense, labels []int) (*tensor.Dense, error) {
	b, err := prepare(a, m, x, labels)
	if err != nil {
		return nil, err
	}

	r := a.withDefaults()
	start := randomStart(b.pixels, b.imageSize(), r.Eps, r.Seed)
	adv, err := ascend(m, b, start, r.Eps, r.Alpha, r.Steps, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Name(), err)
	}
	return adv, nil
}

// randomStart returns clean plus noise drawn uniformly from [-eps, eps] for
// each pixel, projected into [0, 1]. Each image's noise comes from a PCG
// generator seeded with seed and a hash of that image's pixels, so an
// image gets the same start alone as in any batch.
func randomStart(clean []float32, imageSize int, eps float32, seed int64) []float32 {
	source := rand.NewPCG(0, 0)
	rng := rand.New(source)
	start := make([]float32, len(clean))
	for first := 0; first < len(clean); first += imageSize {
		image := clean[first : first+imageSize]
		source.Seed(uint64(seed), hashPixels(image))
		for i, c := range image {
			noise := eps * (2*rng.Float32() - 1)
			start[first+i] = project(c+noise, c, eps)
		}
	}
	return start
}

// hashPixels returns the 64-bit FNV-1a hash of the pixels' float32 bits in
// little-endian byte order, the value hash/fnv's New64a gives for those
// bytes, without converting the pixels to a byte slice first.
func hashPixels(pixels []float32) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	hash := uint64(offset)
	for _, p := range pixels {
		bits := math.Float32bits(p)
		for range 4 {
			hash ^= uint64(bits & 0xff)
			hash *= prime
			bits >>= 8
		}
	}
	return hash
}

// withDefaults returns a with zero Alpha and Steps replaced by defaults.
func (a PGD) withDefaults() PGD {
	a.Alpha, a.Steps = defaultSchedule(a.Eps, a.Alpha, a.Steps)
	return a
}

func (a PGD) validate() error {
	if err := checkEps(a.Eps); err != nil {
		return err
	}
	if err := checkAlpha(a.Alpha); err != nil {
		return err
	}
	return checkSteps(a.Steps)
}

func (a *PGD) params() []param {
	return []param{
		float32Param("eps", &a.Eps),
		float32Param("alpha", &a.Alpha),
		intParam("steps", &a.Steps),
		int64Param("seed", &a.Seed),
	}
}
