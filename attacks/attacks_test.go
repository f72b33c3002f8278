package attacks

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// budgetTolerance allows for float32 rounding in x+eps and adv-x.
const budgetTolerance = 1e-6

// attacksUnderTest returns every attack at budget eps, with defaults and
// with steps large enough that only the projection keeps the result
// inside the budget.
func attacksUnderTest(eps float32) []Attack {
	return []Attack{
		FGSM{Eps: eps},
		IFGSM{Eps: eps},
		IFGSM{Eps: eps, Alpha: eps / 2, Steps: 6},
		PGD{Eps: eps, Seed: 1},
		PGD{Eps: eps, Alpha: eps / 2, Steps: 6, Seed: 2},
		MIFGSM{Eps: eps},
		MIFGSM{Eps: eps, Alpha: eps / 2, Steps: 6, Decay: 0.5},
		MIFGSM{Eps: eps, Alpha: eps / 2, Steps: 6, Decay: NoMomentum},
	}
}

// perturb runs a on m and returns the adversarial pixels, failing the test
// on error or if x was modified.
func perturb(t *testing.T, a Attack, m models.Differentiable, x *tensor.Dense,
	labels []int) []float32 {
	t.Helper()
	before := slices.Clone(x.Data().([]float32))

	adv, err := a.Perturb(m, x, labels)
	if err != nil {
		t.Fatalf("%v: %v", a, err)
	}

	if !slices.Equal(x.Data().([]float32), before) {
		t.Errorf("%v modified its input x", a)
	}
	if !slices.Equal(adv.Shape(), x.Shape()) {
		t.Fatalf("%v: result shape %v, want %v", a, adv.Shape(), x.Shape())
	}
	return adv.Data().([]float32)
}

func TestAttacksStayInBudgetAndRange(t *testing.T) {
	m := newLinearModel(1, []int{2, 3, 3}, 5, 1)
	x, labels := testBatch(2, 4, m.shape, m.classes)
	clean := x.Data().([]float32)

	for _, eps := range []float32{0.05, 0.3, 0.7, 1} {
		for _, a := range attacksUnderTest(eps) {
			adv := perturb(t, a, m, x, labels)
			for i, v := range adv {
				if d := math.Abs(float64(v - clean[i])); d > float64(eps)+budgetTolerance {
					t.Errorf("%v: pixel %d moved by %v from %v, beyond eps", a, i, d, clean[i])
				}
				if v < 0 || v > 1 {
					t.Errorf("%v: pixel %d is %v, outside [0, 1]", a, i, v)
				}
			}
		}
	}
}

func TestAttacksRaiseLoss(t *testing.T) {
	m := newLinearModel(3, []int{1, 4, 4}, 3, 0.5)
	x, labels := testBatch(4, 5, m.shape, m.classes)
	_, cleanLosses, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatal(err)
	}

	for _, a := range attacksUnderTest(0.1) {
		adv := perturb(t, a, m, x, labels)
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

func TestAttacksRejectInvalidInput(t *testing.T) {
	m := newLinearModel(5, []int{1, 2, 2}, 3, 1)
	x, labels := testBatch(6, 2, m.shape, m.classes)
	pixels := x.Data().([]float32)

	withPixel := func(v float32) *tensor.Dense {
		p := slices.Clone(pixels)
		p[3] = v
		return tensor.New(tensor.WithShape(x.Shape()...), tensor.WithBacking(p))
	}
	cases := []struct {
		name   string
		model  models.Differentiable
		x      *tensor.Dense
		labels []int
		want   string
	}{
		{"nil model", nil, x, labels, "model is nil"},
		{"nil x", m, nil, labels, "input x is nil"},
		{"three dims", m, tensor.New(tensor.WithShape(2, 2, 2), tensor.WithBacking(pixels)),
			labels, "expected N x C x H x W"},
		{"wrong channels", m, tensor.New(tensor.WithShape(2, 2, 1, 2), tensor.WithBacking(pixels)),
			labels, "model expects [1 2 2]"},
		{"empty batch", m, tensor.New(tensor.WithShape(0, 1, 2, 2), tensor.Of(tensor.Float32)),
			nil, "empty batch"},
		{"float64", m, tensor.New(tensor.WithShape(2, 1, 2, 2), tensor.Of(tensor.Float64)),
			labels, "expected float32"},
		{"too few labels", m, x, labels[:1], "got 1 labels for 2 images"},
		{"too many labels", m, x, []int{0, 1, 2}, "got 3 labels for 2 images"},
		{"label too large", m, x, []int{0, 3}, "label 3 of image 1 is out of range"},
		{"negative label", m, x, []int{-1, 0}, "label -1 of image 0 is out of range"},
		{"pixel above 1", m, withPixel(1.5), labels, "pixel 1.5 at flat index 3"},
		{"negative pixel", m, withPixel(-0.1), labels, "pixel -0.1 at flat index 3"},
		{"NaN pixel", m, withPixel(float32(math.NaN())), labels, "pixel NaN at flat index 3"},
	}
	for _, c := range cases {
		for _, a := range attacksUnderTest(0.1) {
			_, err := a.Perturb(c.model, c.x, c.labels)
			if err == nil {
				t.Errorf("%s: %v returned no error", c.name, a)
				continue
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v error %q does not contain %q", c.name, a, err, c.want)
			}
			if !strings.HasPrefix(err.Error(), a.Name()+": ") {
				t.Errorf("%s: error %q does not start with the attack name", c.name, err)
			}
		}
	}
}

func TestAttacksRejectInvalidConfig(t *testing.T) {
	m := newLinearModel(5, []int{1, 2, 2}, 3, 1)
	x, labels := testBatch(6, 2, m.shape, m.classes)
	nan := float32(math.NaN())

	cases := []struct {
		attack Attack
		want   string
	}{
		{FGSM{}, "eps is missing"},
		{FGSM{Eps: 1.5}, "eps=1.5 is invalid"},
		{FGSM{Eps: nan}, "eps=NaN is invalid"},
		{IFGSM{Eps: -0.1}, "eps=-0.1 is invalid"},
		{IFGSM{Eps: 0.1, Alpha: -0.01}, "alpha=-0.01 is invalid"},
		{IFGSM{Eps: 0.1, Steps: -1}, "steps=-1 is invalid"},
		{PGD{Eps: 2}, "eps=2 is invalid"},
		{PGD{Eps: 0.1, Alpha: nan}, "alpha=NaN is invalid"},
		{PGD{Eps: 0.1, Steps: -3}, "steps=-3 is invalid"},
		{MIFGSM{}, "eps is missing"},
		{MIFGSM{Eps: 0.1, Alpha: -1}, "alpha=-1 is invalid"},
		{MIFGSM{Eps: 0.1, Steps: -2}, "steps=-2 is invalid"},
		{MIFGSM{Eps: 0.1, Decay: float32(math.Inf(1))}, "decay=+Inf is invalid"},
	}
	for _, c := range cases {
		_, err := c.attack.Perturb(m, x, labels)
		if err == nil {
			t.Errorf("%#v returned no error", c.attack)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%#v: error %q does not contain %q", c.attack, err, c.want)
		}
	}
}

// faultyModel wraps a linearModel and corrupts its input gradient.
type faultyModel struct {
	*linearModel
	corrupt func(grad *tensor.Dense) (*tensor.Dense, error)
}

func (m faultyModel) InputGradient(x *tensor.Dense, labels []int) (*tensor.Dense, []float32, error) {
	grad, losses, err := m.linearModel.InputGradient(x, labels)
	if err != nil {
		return nil, nil, err
	}
	grad, err = m.corrupt(grad)
	return grad, losses, err
}

func TestAttacksRejectInvalidGradient(t *testing.T) {
	base := newLinearModel(5, []int{1, 2, 2}, 3, 1)
	x, labels := testBatch(6, 2, base.shape, base.classes)
	errModel := errors.New("out of memory")

	cases := []struct {
		name    string
		corrupt func(grad *tensor.Dense) (*tensor.Dense, error)
		want    string
	}{
		{"model error", func(*tensor.Dense) (*tensor.Dense, error) { return nil, errModel },
			"out of memory"},
		{"nil gradient", func(*tensor.Dense) (*tensor.Dense, error) { return nil, nil },
			"nil gradient"},
		{"wrong shape", func(g *tensor.Dense) (*tensor.Dense, error) {
			return tensor.New(tensor.WithShape(2, 4), tensor.WithBacking(g.Data())), nil
		}, "returned shape (2, 4)"},
		{"NaN gradient", func(g *tensor.Dense) (*tensor.Dense, error) {
			g.Data().([]float32)[5] = float32(math.NaN())
			return g, nil
		}, "value NaN at flat index 5"},
	}
	for _, c := range cases {
		m := faultyModel{base, c.corrupt}
		for _, a := range attacksUnderTest(0.1) {
			_, err := a.Perturb(m, x, labels)
			if err == nil {
				t.Errorf("%s: %v returned no error", c.name, a)
				continue
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "step 1") {
				t.Errorf("%s: %v error %q does not contain %q at step 1", c.name, a, err, c.want)
			}
			if c.name == "model error" && !errors.Is(err, errModel) {
				t.Errorf("%v error %q does not wrap the model's error", a, err)
			}
		}
	}
}
