package onnx

import (
	"math"
	"path/filepath"
	"sort"
	"testing"

	"gorgonia.org/tensor"
)

// crossEntropy returns the cross-entropy of logits for the true class.
func crossEntropy(logits []float32, label int) float64 {
	largest := math.Inf(-1)
	for _, v := range logits {
		largest = math.Max(largest, float64(v))
	}
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(float64(v) - largest)
	}
	return largest + math.Log(sum) - float64(logits[label])
}

// lossAt returns the cross-entropy of image i of x with pixel j set to v.
func lossAt(t *testing.T, m *Model, x *tensor.Dense, i, j int, v float32, label int) float64 {
	t.Helper()
	single := image(t, x, i)
	single.Data().([]float32)[j] = v
	logits, err := m.Logits(single)
	if err != nil {
		t.Fatal(err)
	}
	return crossEntropy(logits.Data().([]float32), label)
}

func TestInputGradientMatchesFiniteDifferences(t *testing.T) {
	fixture := loadMNIST8Fixture(t)
	x := fixture.batch()
	n := 3
	labels := make([]int, n)
	for i := range labels {
		// Wrong labels give gradients far from zero.
		labels[i] = (fixture.Images[i].Label + 3) % 10
	}
	x = tensor.New(tensor.WithShape(n, 1, 28, 28),
		tensor.WithBacking(append([]float32(nil), x.Data().([]float32)[:n*784]...)))
	checkGradient(t, mustMNIST8(t), x, labels)
}

func TestInputGradientSmallModels(t *testing.T) {
	for _, test := range []struct{ model, fixture string }{
		{"ops.onnx", "ops_logits.json"},
		{"normalized.onnx", "normalized_logits.json"},
	} {
		t.Run(test.model, func(t *testing.T) {
			var fixture opsFixture
			readJSON(t, filepath.Join("testdata", test.fixture), &fixture)
			m, err := Load(filepath.Join("testdata", test.model))
			if err != nil {
				t.Fatal(err)
			}
			x := tensor.New(tensor.WithShape(fixture.Shape...), tensor.WithBacking(fixture.Pixels))
			labels := make([]int, fixture.Shape[0])
			for i := range labels {
				labels[i] = i % m.Classes()
			}
			checkGradient(t, m, x, labels)
		})
	}
}

// checkGradient compares the losses and the largest input gradients that
// m gives for x with the cross-entropy of its logits and with central
// finite differences.
func checkGradient(t *testing.T, m *Model, x *tensor.Dense, labels []int) {
	t.Helper()
	n, size := x.Shape()[0], x.Shape().TotalSize()/x.Shape()[0]
	grad, losses, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != n {
		t.Fatalf("%d losses for %d images", len(losses), n)
	}
	logits, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}

	classes := m.Classes()
	gradients := grad.Data().([]float32)
	const step = 1e-3
	for i := 0; i < n; i++ {
		want := crossEntropy(logits.Data().([]float32)[i*classes:(i+1)*classes], labels[i])
		if math.Abs(float64(losses[i])-want) > 1e-4*math.Max(1, want) {
			t.Errorf("image %d: loss %g, cross-entropy of the logits %g", i, losses[i], want)
		}

		row := gradients[i*size : (i+1)*size]
		for _, j := range largestEntries(row, 8) {
			pixel := x.Data().([]float32)[i*size+j]
			numeric := (lossAt(t, m, x, i, j, pixel+step, labels[i]) -
				lossAt(t, m, x, i, j, pixel-step, labels[i])) / (2 * step)
			analytic := float64(row[j])
			if math.Abs(numeric-analytic) > 2e-2+0.05*math.Abs(analytic) {
				t.Errorf("image %d pixel %d: gradient %g, finite difference %g",
					i, j, analytic, numeric)
			}
		}
	}
}

// largestEntries returns the indices of the k entries of values with the
// largest magnitude.
func largestEntries(values []float32, k int) []int {
	indices := make([]int, len(values))
	for i := range indices {
		indices[i] = i
	}
	sort.Slice(indices, func(a, b int) bool {
		return math.Abs(float64(values[indices[a]])) > math.Abs(float64(values[indices[b]]))
	})
	return indices[:k]
}

func TestInputGradientScaleInGraph(t *testing.T) {
	fixture := loadMNIST8Fixture(t)
	x := image(t, fixture.batch(), 0)
	label := []int{fixture.Images[0].Label}

	unscaled := mustMNIST8(t)
	scaled, err := Options{Scale: 2}.Decode("mnist-8.onnx", mnist8)
	if err != nil {
		t.Fatal(err)
	}
	half := tensor.New(tensor.WithShape(x.Shape()...),
		tensor.WithBacking(append([]float32(nil), x.Data().([]float32)...)))
	for i, v := range half.Data().([]float32) {
		half.Data().([]float32)[i] = v / 2
	}

	// Scaling inside the graph: scale 2 on x/2 gives the loss of scale 1
	// on x, with twice its gradient per input pixel.
	want, wantLosses, err := unscaled.InputGradient(x, label)
	if err != nil {
		t.Fatal(err)
	}
	got, gotLosses, err := scaled.InputGradient(half, label)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(gotLosses[0]-wantLosses[0])) > 1e-4 {
		t.Errorf("loss %g with scale 2 on x/2, %g with scale 1 on x", gotLosses[0], wantLosses[0])
	}
	wantData, gotData := want.Data().([]float32), got.Data().([]float32)
	for i := range wantData {
		if math.Abs(float64(gotData[i]-2*wantData[i])) > 1e-4*(1+math.Abs(float64(wantData[i]))) {
			t.Fatalf("pixel %d: gradient %g with scale 2 on x/2, expected 2 x %g",
				i, gotData[i], wantData[i])
		}
	}
}

func TestInputGradientRepeatedRunsIdentical(t *testing.T) {
	fixture := loadMNIST8Fixture(t)
	m := mustMNIST8(t)
	x := fixture.batch()
	labels := make([]int, len(fixture.Images))
	for i, im := range fixture.Images {
		labels[i] = im.Label
	}
	first, _, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(first.Data().([]float32), again.Data().([]float32)); d != 0 {
		t.Errorf("second run's gradient differs by up to %g", d)
	}
}

func TestInputGradientRejectsBadLabels(t *testing.T) {
	m := mustMNIST8(t)
	x := image(t, loadMNIST8Fixture(t).batch(), 0)
	for _, labels := range [][]int{{}, {10}, {-1}, {1, 2}} {
		if _, _, err := m.InputGradient(x, labels); err == nil {
			t.Errorf("InputGradient accepted labels %v for one image", labels)
		}
	}
}
