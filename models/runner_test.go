package models

import (
	"math/rand"
	"testing"

	"gorgonia.org/gorgonia"

	"gorgonia.org/tensor"
)

const (
	fdStep   = 1e-2
	fdAbsTol = 2e-3
	fdRelTol = 3e-2

	// fdTries coordinates are drawn and at least fdMinChecked of them must
	// be away from kinks.
	fdTries      = 12
	fdMinChecked = 4
)

func TestInputGradientFiniteDifference(t *testing.T) {
	specs := []Spec{tinyCNNSpec(), MLP([]int{1, 4, 4}, 3, 8)}
	for _, spec := range specs {
		t.Run(spec.Name, func(t *testing.T) {
			m := mustModel(t, spec, 1)
			rng := rand.New(rand.NewSource(2))
			x := randomImages(rng, append([]int{2}, spec.Input...)...)
			labels := []int{0, 2}

			grad, _, err := m.InputGradient(x, labels)
			if err != nil {
				t.Fatalf("InputGradient: %v", err)
			}
			checkInputGradient(t, m, x, labels, grad, rng)
		})
	}
}

// checkInputGradient compares grad at random coordinates with a central
// difference of the loss of the image the coordinate belongs to.
func checkInputGradient(t *testing.T, m *Model, x *tensor.Dense, labels []int,
	grad *tensor.Dense, rng *rand.Rand) {
	t.Helper()
	data := x.Data().([]float32)
	size := len(data) / x.Shape()[0]
	imageLoss := func(j int, value float32) float64 {
		saved := data[j]
		data[j] = value
		_, losses, err := m.InputGradient(x, labels)
		data[j] = saved
		if err != nil {
			t.Fatal(err)
		}
		return float64(losses[j/size])
	}

	checked := 0
	for range fdTries {
		j := rng.Intn(len(data))
		center := imageLoss(j, data[j])
		plus := imageLoss(j, data[j]+fdStep)
		minus := imageLoss(j, data[j]-fdStep)
		if crossesKink(plus, center, minus) {
			continue
		}

		checked++
		numeric := (plus - minus) / (2 * fdStep)
		analytic := float64(grad.Data().([]float32)[j])
		if !closeEnough(analytic, numeric, fdAbsTol, fdRelTol) {
			t.Errorf("coordinate %d: gradient %g, finite difference %g", j, analytic, numeric)
		}
	}
	if checked < fdMinChecked {
		t.Fatalf("only %d of %d coordinates were away from ReLU and max-pool kinks, want %d",
			checked, fdTries, fdMinChecked)
	}
}

// crossesKink reports whether the one-sided differences around a point
// disagree, which means the step crossed a ReLU or max-pool kink and the
// central difference says nothing about the gradient there.
func crossesKink(plus, center, minus float64) bool {
	forward := (plus - center) / fdStep
	backward := (center - minus) / fdStep
	return !closeEnough(forward, backward, fdAbsTol, fdRelTol)
}

func TestParamGradientFiniteDifference(t *testing.T) {
	m := mustModel(t, tinyCNNSpec(), 3)
	rng := rand.New(rand.NewSource(4))
	x := randomImages(rng, 3, 2, 6, 6)
	labels := []int{1, 0, 2}

	gr, err := m.graphFor(x.Shape()[0], purposeTrain)
	if err != nil {
		t.Fatal(err)
	}
	trainLoss := func() float64 {
		if err := gr.run(x, labels); err != nil {
			t.Fatal(err)
		}
		loss, err := scalarValue(gr.loss.Value())
		if err != nil {
			t.Fatal(err)
		}
		return loss
	}

	checked := 0
	for i, p := range gr.params {
		center := trainLoss()
		grad := append([]float32(nil), gr.paramGrads[i].Value().Data().([]float32)...)
		w := p.Value.Data().([]float32)
		j := rng.Intn(len(w))
		saved := w[j]

		w[j] = saved + fdStep
		plus := trainLoss()
		w[j] = saved - fdStep
		minus := trainLoss()
		w[j] = saved
		if crossesKink(plus, center, minus) {
			continue
		}
		checked++

		numeric := (plus - minus) / (2 * fdStep)
		if !closeEnough(float64(grad[j]), numeric, fdAbsTol, fdRelTol) {
			t.Errorf("%s[%d]: gradient %g, finite difference %g", p.Name, j, grad[j], numeric)
		}
	}
	if checked < len(gr.params)/2 {
		t.Fatalf("only %d of %d parameters were checked away from kinks", checked, len(gr.params))
	}
}

func TestInputGradientPerImage(t *testing.T) {
	m := mustModel(t, tinyCNNSpec(), 5)
	rng := rand.New(rand.NewSource(6))
	x := randomImages(rng, 3, 2, 6, 6)
	labels := []int{2, 1, 0}

	batchGrad, batchLosses, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		grad, losses, err := m.InputGradient(imageSlice(x, i, i+1), labels[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		if !closeEnough(float64(losses[0]), float64(batchLosses[i]), 1e-6, 1e-5) {
			t.Errorf("image %d: loss alone %g, in batch %g", i, losses[0], batchLosses[i])
		}
		want := imageSlice(batchGrad, i, i+1).Data().([]float32)
		for j, g := range grad.Data().([]float32) {
			if !closeEnough(float64(g), float64(want[j]), 1e-6, 1e-4) {
				t.Fatalf("image %d coordinate %d: gradient alone %g, in batch %g",
					i, j, g, want[j])
			}
		}
	}
}

func TestLogitsAcrossBatchSizes(t *testing.T) {
	m := mustModel(t, tinyCNNSpec(), 7)
	rng := rand.New(rand.NewSource(8))
	x := randomImages(rng, 4, 2, 6, 6)

	all, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	if got := all.Shape(); !got.Eq(tensor.Shape{4, 3}) {
		t.Fatalf("logits shape %v, want (4, 3)", got)
	}
	for _, span := range [][2]int{{0, 1}, {1, 4}, {3, 4}} {
		part, err := m.Logits(imageSlice(x, span[0], span[1]))
		if err != nil {
			t.Fatal(err)
		}
		want := imageSlice(all, span[0], span[1]).Data().([]float32)
		for j, v := range part.Data().([]float32) {
			if !closeEnough(float64(v), float64(want[j]), 1e-6, 1e-5) {
				t.Errorf("images %v logit %d: %g, in the full batch %g", span, j, v, want[j])
			}
		}
	}
}

func TestLogitsResultsAreCopies(t *testing.T) {
	m := mustModel(t, tinyCNNSpec(), 9)
	rng := rand.New(rand.NewSource(10))
	x := randomImages(rng, 2, 2, 6, 6)
	y := randomImages(rng, 2, 2, 6, 6)

	first, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	kept := append([]float32(nil), first.Data().([]float32)...)
	if _, err := m.Logits(y); err != nil {
		t.Fatal(err)
	}
	for j, v := range first.Data().([]float32) {
		if v != kept[j] {
			t.Fatalf("logit %d changed from %g to %g after another call", j, kept[j], v)
		}
	}
}

func TestParamsUnchangedByRuns(t *testing.T) {
	m := mustModel(t, tinyCNNSpec(), 11)
	before := make([][]float32, 0)
	shapes := make([]tensor.Shape, 0)
	for _, p := range m.Params() {
		before = append(before, append([]float32(nil), p.Value.Data().([]float32)...))
		shapes = append(shapes, p.Value.Shape().Clone())
	}

	rng := rand.New(rand.NewSource(12))
	x := randomImages(rng, 2, 2, 6, 6)
	for range 2 {
		if _, err := m.Logits(x); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.InputGradient(x, []int{0, 1}); err != nil {
			t.Fatal(err)
		}
	}

	for i, p := range m.Params() {
		if !p.Value.Shape().Eq(shapes[i]) {
			t.Errorf("%s: shape changed from %v to %v", p.Name, shapes[i], p.Value.Shape())
		}
		for j, v := range p.Value.Data().([]float32) {
			if v != before[i][j] {
				t.Fatalf("%s[%d] changed from %g to %g", p.Name, j, before[i][j], v)
			}
		}
	}
}

func TestModelInputErrors(t *testing.T) {
	m := mustModel(t, tinyCNNSpec(), 13)
	rng := rand.New(rand.NewSource(14))

	if _, err := m.Logits(randomImages(rng, 1, 1, 6, 6)); err == nil {
		t.Error("Logits accepted 1 channel for a 2-channel model")
	}
	x := randomImages(rng, 2, 2, 6, 6)
	if _, _, err := m.InputGradient(x, []int{0}); err == nil {
		t.Error("InputGradient accepted 1 label for 2 images")
	}
	if _, _, err := m.InputGradient(x, []int{0, 3}); err == nil {
		t.Error("InputGradient accepted label 3 for 3 classes")
	}

	flat := NewModel(m.Net(), []int{72}, 3)
	if _, err := flat.Logits(x); err == nil {
		t.Error("Logits ran a model whose input shape is not C x H x W")
	}
}

func TestLogitsSplitsLargeBatches(t *testing.T) {
	m := mustModel(t, tinyCNNSpec(), 15)
	rng := rand.New(rand.NewSource(16))
	batch := MaxGraphBatch + 3
	x := randomImages(rng, batch, 2, 6, 6)
	labels := make([]int, batch)

	all, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	grad, losses, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if !grad.Shape().Eq(x.Shape()) || len(losses) != batch {
		t.Fatalf("gradient shape %v and %d losses, want %v and %d",
			grad.Shape(), len(losses), x.Shape(), batch)
	}

	for _, i := range []int{0, MaxGraphBatch - 1, MaxGraphBatch, batch - 1} {
		one, err := m.Logits(imageSlice(x, i, i+1))
		if err != nil {
			t.Fatal(err)
		}
		want := imageSlice(all, i, i+1).Data().([]float32)
		for j, v := range one.Data().([]float32) {
			if !closeEnough(float64(v), float64(want[j]), 1e-6, 1e-5) {
				t.Errorf("image %d logit %d: %g alone, %g in the large batch", i, j, v, want[j])
			}
		}

		_, single, err := m.InputGradient(imageSlice(x, i, i+1), labels[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		if !closeEnough(float64(single[0]), float64(losses[i]), 1e-6, 1e-5) {
			t.Errorf("image %d loss: %g alone, %g in the large batch", i, single[0], losses[i])
		}
	}
}

func TestLogitsAcceptsView(t *testing.T) {
	m := mustModel(t, tinyCNNSpec(), 17)
	x := randomImages(rand.New(rand.NewSource(18)), 4, 2, 6, 6)
	view, err := x.Slice(gorgonia.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}

	got, err := m.Logits(view.(*tensor.Dense))
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Logits(imageSlice(x, 1, 3))
	if err != nil {
		t.Fatal(err)
	}
	wantData := want.Data().([]float32)
	for j, v := range got.Data().([]float32) {
		if v != wantData[j] {
			t.Errorf("logit %d of a view: %g, of a copy %g", j, v, wantData[j])
		}
	}
}

func TestInputGradientExtraKinds(t *testing.T) {
	spec := Spec{
		Name:    "extrakinds",
		Input:   []int{2, 6, 6},
		Classes: 3,
		Stages: []Stage{{Layers: []Layer{
			{Kind: Conv, Out: 4, Kernel: 3, Pad: 1},
			{Kind: GELU},
			{Kind: AvgPool, Kernel: 2},
			{Kind: Conv, Out: 5, Kernel: 3, Pad: 1},
			{Kind: Softplus},
			{Kind: AvgPool, Kernel: 2, Stride: 1},
			{Kind: LeakyReLU},
			{Kind: GlobalAvgPool},
		}}},
		Head: []Layer{{Kind: Linear, Out: 3}},
	}
	m := mustModel(t, spec, 19)
	rng := rand.New(rand.NewSource(20))
	x := randomImages(rng, 2, 2, 6, 6)
	labels := []int{1, 2}

	grad, _, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatalf("InputGradient: %v", err)
	}
	checkInputGradient(t, m, x, labels, grad, rng)
}
