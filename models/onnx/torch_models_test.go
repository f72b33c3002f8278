package onnx

import (
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"gorgonia.org/tensor"
)

// torchFixture is testdata/torch_models_logits.json, written by
// torch_models_logits.js from the models of make_torch_models.py.
type torchFixture struct {
	Runtime string
	Shape   []int
	Bytes   []uint8
	Models  map[string]struct {
		Batch1 []float32 // logits of the first image alone
		Batch  []float32 // logits of the whole batch
	}
}

// batch returns the fixture's images as pixels in [0, 1].
func (f *torchFixture) batch() *tensor.Dense {
	pixels := make([]float32, len(f.Bytes))
	for i, b := range f.Bytes {
		pixels[i] = float32(b) / 255
	}
	return tensor.New(tensor.WithShape(f.Shape...), tensor.WithBacking(pixels))
}

// files returns the fixture's model files, sorted.
func (f *torchFixture) files() []string {
	files := make([]string, 0, len(f.Models))
	for file := range f.Models {
		files = append(files, file)
	}
	sort.Strings(files)
	return files
}

func loadTorchFixture(t *testing.T) *torchFixture {
	t.Helper()
	var f torchFixture
	readJSON(t, filepath.Join("testdata", "torch_models_logits.json"), &f)
	if len(f.Models) == 0 || len(f.Bytes) == 0 {
		t.Fatal("fixture has no models or no images")
	}
	return &f
}

// TestTorchModelsMatchONNXRuntime runs the PyTorch exports of six model
// families at opsets 11, 13 and 17 on one image and on a batch of 4, twice
// each, against ONNX Runtime's logits.
func TestTorchModelsMatchONNXRuntime(t *testing.T) {
	fixture := loadTorchFixture(t)
	x := fixture.batch()
	first := image(t, x, 0)
	for _, file := range fixture.files() {
		want := fixture.Models[file]
		t.Run(file, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			for run := 1; run <= 2; run++ {
				checkLogits(t, m, x, want.Batch, run)
				checkLogits(t, m, first, want.Batch1, run)
			}
			if m.perImage {
				t.Error("batches ran image by image, expected one graph per batch")
			}
		})
	}
}

// checkLogits compares the logits of x with the expected ones.
func checkLogits(t *testing.T, m *Model, x *tensor.Dense, want []float32, run int) {
	t.Helper()
	logits, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	got := logits.Data().([]float32)
	if len(got) != len(want) {
		t.Fatalf("run %d: %d logits, expected %d", run, len(got), len(want))
	}
	d := maxAbsDiff(got, want)
	if d > logitsTolerance {
		t.Errorf("run %d, batch %d: logits differ from ONNX Runtime's by up to %g",
			run, x.Shape()[0], d)
	}
	if run == 1 {
		t.Logf("batch %d: largest difference from ONNX Runtime %.3g", x.Shape()[0], d)
	}
}

// TestTorchModelsBatchEqualsOneByOne checks that a batched graph gives
// the logits of its images run one at a time.
func TestTorchModelsBatchEqualsOneByOne(t *testing.T) {
	fixture := loadTorchFixture(t)
	x := fixture.batch()
	for _, file := range []string{"vit_opset13.onnx", "vgg_opset11.onnx"} {
		m, err := Load(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		logits, err := m.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		classes := m.Classes()
		for i := 0; i < x.Shape()[0]; i++ {
			single, err := m.Logits(image(t, x, i))
			if err != nil {
				t.Fatal(err)
			}
			row := logits.Data().([]float32)[i*classes : (i+1)*classes]
			if d := maxAbsDiff(row, single.Data().([]float32)); d > 1e-5 {
				t.Errorf("%s image %d: batch and single logits differ by %g", file, i, d)
			}
		}
	}
}

func TestMNIST8RunsImageByImage(t *testing.T) {
	m := mustMNIST8(t)
	if _, err := m.Logits(blankBatch(3)); err != nil {
		t.Fatal(err)
	}
	if sizes := mapKeys(m.forward); !slices.Equal(sizes, []int{1}) {
		t.Errorf("graphs built for batch sizes %v, expected [1]", sizes)
	}
}

func mapKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// TestTorchModelsInputGradient checks the input gradient of a batch
// against finite differences on the models with attention, depthwise
// convolutions and padding.
func TestTorchModelsInputGradient(t *testing.T) {
	fixture := loadTorchFixture(t)
	x := fixture.batch()
	for _, file := range []string{"vit_opset17.onnx", "mobilenet_opset11.onnx", "vgg_opset13.onnx"} {
		t.Run(file, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			checkGradient(t, m, x, []int{3, 1, 4, 1})
		})
	}
}

// TestBakedBatchFallsBackToOneImage loads a model whose batch axis is
// symbolic but whose Reshape fixes the batch at 1: a batch must run image
// by image and give x * w for each flattened image.
func TestBakedBatchFallsBackToOneImage(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "baked_batch.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	pixels := make([]float32, 3*16)
	for i := range pixels {
		pixels[i] = float32(i%7) / 7
	}
	x := tensor.New(tensor.WithShape(3, 1, 4, 4), tensor.WithBacking(pixels))
	logits, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	if !m.perImage {
		t.Error("a batch of 3 ran as one graph, expected image by image")
	}

	w := m.net.constants["w"].Data().([]float32) // 16 x 3
	got := logits.Data().([]float32)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			var want float32
			for k := 0; k < 16; k++ {
				want += pixels[i*16+k] * w[k*3+j]
			}
			if d := got[i*3+j] - want; d > 1e-5 || d < -1e-5 {
				t.Errorf("image %d logit %d = %g, expected %g", i, j, got[i*3+j], want)
			}
		}
	}
	checkGradient(t, m, x, []int{0, 1, 2})
}
