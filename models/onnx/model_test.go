package onnx

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"path/filepath"
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/datasets"
)

// mnist8SHA256 is the checksum mnist-8.SOURCE gives for mnist-8.onnx.
const mnist8SHA256 = "2f06e72de813a8635c9bc0397ac447a601bdbfa7df4bebc278723b958831c9bf"

// logitsTolerance is the largest absolute difference accepted between the
// logits of this package and of ONNX Runtime.
const logitsTolerance = 1e-4

func TestMNIST8EmbeddedChecksum(t *testing.T) {
	sum := sha256.Sum256(mnist8)
	if got := hex.EncodeToString(sum[:]); got != mnist8SHA256 {
		t.Errorf("embedded mnist-8.onnx has sha256 %s, expected %s", got, mnist8SHA256)
	}
}

func TestMNIST8Shapes(t *testing.T) {
	m := mustMNIST8(t)
	if got := m.InputShape(); !slices.Equal(got, []int{1, 28, 28}) {
		t.Errorf("InputShape() = %v, expected [1 28 28]", got)
	}
	if got := m.Classes(); got != 10 {
		t.Errorf("Classes() = %d, expected 10", got)
	}
	if got := m.Scale(); got != MNIST8Scale {
		t.Errorf("Scale() = %g, expected %g", got, float32(MNIST8Scale))
	}
}

func TestMNIST8MatchesONNXRuntime(t *testing.T) {
	fixture := loadMNIST8Fixture(t)
	logits, err := mustMNIST8(t).Logits(fixture.batch())
	if err != nil {
		t.Fatal(err)
	}

	got := logits.Data().([]float32)
	var all []float32
	for _, image := range fixture.Images {
		all = append(all, image.Logits...)
	}
	t.Logf("largest difference from %s: %g", fixture.Runtime, maxAbsDiff(got, all))
	for i, image := range fixture.Images {
		row := got[i*10 : (i+1)*10]
		if d := maxAbsDiff(row, image.Logits); d > logitsTolerance {
			t.Errorf("image %d: logits %v differ from %s's %v by up to %g",
				i, row, fixture.Runtime, image.Logits, d)
		}
		if predicted := argmax(row); predicted != image.Label {
			t.Errorf("image %d: predicted %d, label %d", i, predicted, image.Label)
		}
	}
}

func TestLogitsRepeatedRunsIdentical(t *testing.T) {
	m := mustMNIST8(t)
	x := loadMNIST8Fixture(t).batch()
	first, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	for run := 1; run < 3; run++ {
		again, err := m.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(first.Data().([]float32), again.Data().([]float32)) {
			t.Fatalf("run %d: logits %v differ from the first run's %v", run, again, first)
		}
	}
}

func TestLogitsBatchEqualsOneByOne(t *testing.T) {
	m := mustMNIST8(t)
	x := loadMNIST8Fixture(t).batch()
	batch, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(batch.Shape(), tensor.Shape{x.Shape()[0], 10}) {
		t.Fatalf("logits shape %v, expected [%d 10]", batch.Shape(), x.Shape()[0])
	}

	all := batch.Data().([]float32)
	for i := x.Shape()[0] - 1; i >= 0; i-- {
		single, err := m.Logits(image(t, x, i))
		if err != nil {
			t.Fatal(err)
		}
		if got := single.Data().([]float32); !slices.Equal(got, all[i*10:(i+1)*10]) {
			t.Errorf("image %d alone: logits %v, in the batch %v", i, got, all[i*10:(i+1)*10])
		}
	}
}

func TestLogitsRejectsWrongShape(t *testing.T) {
	m := mustMNIST8(t)
	x := tensor.New(tensor.WithShape(2, 1, 27, 28), tensor.WithBacking(make([]float32, 2*27*28)))
	if _, err := m.Logits(x); err == nil {
		t.Error("Logits accepted a 2 x 1 x 27 x 28 batch")
	}
	if _, err := m.Logits(nil); err == nil {
		t.Error("Logits accepted a nil batch")
	}
}

func TestLogitsEmptyBatch(t *testing.T) {
	x := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(0, 1, 28, 28))
	logits, err := mustMNIST8(t).Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(logits.Shape(), tensor.Shape{0, 10}) {
		t.Errorf("logits shape %v, expected [0 10]", logits.Shape())
	}
}

// opsFixture is testdata/ops_logits.json, written by ops_logits.js.
type opsFixture struct {
	Runtime string
	Shape   []int
	Pixels  []float32
	Outputs []float32
}

func TestSmallModelsMatchONNXRuntime(t *testing.T) {
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
			logits, err := m.Logits(x)
			if err != nil {
				t.Fatal(err)
			}
			got := logits.Data().([]float32)
			if len(got) != len(fixture.Outputs) {
				t.Fatalf("%d outputs, %s gives %d", len(got), fixture.Runtime, len(fixture.Outputs))
			}
			if d := maxAbsDiff(got, fixture.Outputs); d > logitsTolerance {
				t.Errorf("outputs %v differ from %s's %v by up to %g", got, fixture.Runtime,
					fixture.Outputs, d)
			}
		})
	}
}

// accuracyImages is the number of MNIST test images the accuracy test
// runs. The first 1,000 give 98.40%, the full 10,000 98.90%:
//
//	go test ./models/onnx -run TestMNIST8Accuracy -v -args -mnist8.images=10000
var accuracyImages = flag.Int("mnist8.images", 1000,
	"number of MNIST test images TestMNIST8Accuracy classifies")

// minAccuracy is the lowest accepted accuracy of mnist-8 on the first
// accuracyImages MNIST test images.
const minAccuracy = 0.98

// mnistTestBatch returns the first n MNIST test images as pixels in [0, 1]
// with their labels, or skips the test when the shared data is absent.
func mnistTestBatch(t *testing.T, n int) (*tensor.Dense, []int) {
	t.Helper()
	dir := filepath.Join(sharedDataDir(t), "mnist")
	test, err := datasets.LoadIDX(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"),
		filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), datasets.MNISTClasses)
	if err != nil {
		t.Fatal(err)
	}
	n = min(n, test.Len())

	pixels := make([]float32, n*28*28)
	labels := make([]int, n)
	for i := range labels {
		labels[i], err = test.Example(i, pixels[i*784:(i+1)*784])
		if err != nil {
			t.Fatal(err)
		}
	}
	return tensor.New(tensor.WithShape(n, 1, 28, 28), tensor.WithBacking(pixels)), labels
}

// evaluate returns the accuracy and the mean cross-entropy of m on x.
func evaluate(t *testing.T, m *Model, x *tensor.Dense, labels []int) (accuracy, loss float64) {
	t.Helper()
	logits, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	all := logits.Data().([]float32)
	correct := 0
	for i, label := range labels {
		row := all[i*10 : (i+1)*10]
		if argmax(row) == label {
			correct++
		}
		loss += crossEntropy(row, label)
	}
	return float64(correct) / float64(len(labels)), loss / float64(len(labels))
}

func TestMNIST8Accuracy(t *testing.T) {
	x, labels := mnistTestBatch(t, *accuracyImages)
	accuracy, loss := evaluate(t, mustMNIST8(t), x, labels)
	t.Logf("accuracy %.4f, mean cross-entropy %.4f on the first %d MNIST test images",
		accuracy, loss, len(labels))
	if accuracy < minAccuracy {
		t.Errorf("accuracy %.4f on the first %d test images, expected at least %.2f",
			accuracy, len(labels), minAccuracy)
	}
}

// TestMNIST8ScaleByCrossEntropy checks MNIST8Scale against other pixel
// scales. Accuracy barely separates them (98.90% at scale 1 and 98.91% at
// 255 on the 10,000 test images), but the mean cross-entropy is lowest at
// the scale the network was trained on.
func TestMNIST8ScaleByCrossEntropy(t *testing.T) {
	x, labels := mnistTestBatch(t, 300)
	_, best := evaluate(t, mustMNIST8(t), x, labels)
	t.Logf("MNIST8Scale %g: mean cross-entropy %.4f", float32(MNIST8Scale), best)
	for _, scale := range []float32{0.25, 4, 255} {
		m, err := Options{Scale: scale}.Decode("mnist-8.onnx", mnist8)
		if err != nil {
			t.Fatal(err)
		}
		accuracy, loss := evaluate(t, m, x, labels)
		t.Logf("scale %g: accuracy %.4f, mean cross-entropy %.4f", scale, accuracy, loss)
		if loss <= best {
			t.Errorf("scale %g gives mean cross-entropy %.4f, MNIST8Scale %g gives %.4f",
				scale, loss, float32(MNIST8Scale), best)
		}
	}
}

func argmax(values []float32) int {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return best
}
