package onnx

import (
	"encoding/json"
	"math"
	"os"
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
// families at opsets 9 to 17 on one image and on a batch of 4, twice each,
// against ONNX Runtime's logits.
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
// against finite differences on one export of each family, and checks
// that a second call gives the same gradient.
func TestTorchModelsInputGradient(t *testing.T) {
	fixture := loadTorchFixture(t)
	x := fixture.batch()
	files := []string{"vit_opset11.onnx", "vit_opset17.onnx", "mobilenet_opset11.onnx",
		"vgg_opset13.onnx", "densenet_opset13.onnx", "resnet_opset17.onnx", "mlp_opset13.onnx"}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			labels := []int{3, 1, 4, 1}
			checkGradient(t, m, x, labels)

			first, _, err := m.InputGradient(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			again, _, err := m.InputGradient(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(first.Data().([]float32), again.Data().([]float32)) {
				t.Error("a second InputGradient call gave a different gradient")
			}
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

// TestTorchModelsDirectionalDerivative compares the gradient's projection
// on its own direction (the gradient scaled to a largest entry of 1) with
// the central finite difference of the summed loss along it, which
// involves every pixel at once.
func TestTorchModelsDirectionalDerivative(t *testing.T) {
	fixture := loadTorchFixture(t)
	x := fixture.batch()
	labels := []int{3, 1, 4, 1}
	for _, file := range fixture.files() {
		t.Run(file, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			grad, _, err := m.InputGradient(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			pixels := x.Data().([]float32)
			gradients := grad.Data().([]float32)
			largest := 0.0
			for _, g := range gradients {
				largest = math.Max(largest, math.Abs(float64(g)))
			}
			direction := make([]float32, len(pixels))
			projection := 0.0
			for i, g := range gradients {
				direction[i] = float32(float64(g) / largest)
				projection += float64(g) * float64(direction[i])
			}

			const step = 1e-3
			loss := func(sign float32) float64 {
				moved := make([]float32, len(pixels))
				for i, p := range pixels {
					moved[i] = p + sign*step*direction[i]
				}
				batch := tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.WithBacking(moved))
				_, losses, err := m.InputGradient(batch, labels)
				if err != nil {
					t.Fatal(err)
				}
				sum := 0.0
				for _, l := range losses {
					sum += float64(l)
				}
				return sum
			}
			numeric := (loss(1) - loss(-1)) / (2 * step)
			t.Logf("directional derivative %.6g, finite difference %.6g", projection, numeric)
			if math.Abs(numeric-projection) > 1e-3+0.01*math.Abs(numeric) {
				t.Errorf("directional derivative %g, finite difference %g", projection, numeric)
			}
		})
	}
}

// benchmarkTorchModel runs Logits, or InputGradient with gradient set, on
// a batch of 32 copies of the fixture's images, and reports time per image.
func benchmarkTorchModel(b *testing.B, file string, gradient bool) {
	m, err := Load(filepath.Join("testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	const images = 32
	var f torchFixture
	data, err := os.ReadFile(filepath.Join("testdata", "torch_models_logits.json"))
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		b.Fatal(err)
	}
	one := f.batch().Data().([]float32)
	pixels := make([]float32, 0, images*len(one)/f.Shape[0])
	for len(pixels) < cap(pixels) {
		pixels = append(pixels, one[:min(len(one), cap(pixels)-len(pixels))]...)
	}
	x := tensor.New(tensor.WithShape(images, f.Shape[1], f.Shape[2], f.Shape[3]),
		tensor.WithBacking(pixels))
	labels := make([]int, images)

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if gradient {
			_, _, err = m.InputGradient(x, labels)
		} else {
			_, err = m.Logits(x)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*images), "ns/image")
}

func BenchmarkTorchViTLogits(b *testing.B)      { benchmarkTorchModel(b, "vit_opset17.onnx", false) }
func BenchmarkTorchViTGradient(b *testing.B)    { benchmarkTorchModel(b, "vit_opset17.onnx", true) }
func BenchmarkTorchResNetLogits(b *testing.B)   { benchmarkTorchModel(b, "resnet_opset13.onnx", false) }
func BenchmarkTorchResNetGradient(b *testing.B) { benchmarkTorchModel(b, "resnet_opset13.onnx", true) }
func BenchmarkTorchMobileNetLogits(b *testing.B) {
	benchmarkTorchModel(b, "mobilenet_opset13.onnx", false)
}

// TestGraphCacheBounded runs batches of many sizes and checks that the
// model keeps at most maxCachedGraphs graphs and still gives the same
// logits as one image at a time.
func TestGraphCacheBounded(t *testing.T) {
	fixture := loadTorchFixture(t)
	x := fixture.batch()
	m, err := Load(filepath.Join("testdata", "mobilenet_opset13.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Logits(image(t, x, 0))
	if err != nil {
		t.Fatal(err)
	}
	shape := x.Shape()
	size := shape[1] * shape[2] * shape[3]
	for n := 2; n <= 8; n++ {
		pixels := make([]float32, 0, n*size)
		for range n {
			pixels = append(pixels, x.Data().([]float32)[:size]...)
		}
		batch := tensor.New(tensor.WithShape(n, shape[1], shape[2], shape[3]),
			tensor.WithBacking(pixels))
		logits, err := m.Logits(batch)
		if err != nil {
			t.Fatal(err)
		}
		last := logits.Data().([]float32)[(n-1)*m.Classes():]
		if d := maxAbsDiff(last, want.Data().([]float32)); d > 1e-5 {
			t.Errorf("batch of %d: last image's logits differ from a single image's by %g", n, d)
		}
	}
	if len(m.forward) > maxCachedGraphs {
		t.Errorf("%d graphs cached, expected at most %d", len(m.forward), maxCachedGraphs)
	}
	if _, ok := m.forward[1]; !ok {
		t.Error("the one-image graph was evicted")
	}
}

// TestBoolConstantMask loads a model whose Where reads a bool Constant,
// which onnx-go cannot decode unless it is rewritten, and checks that it
// keeps the pixels of the mask: logits = flatten(x * mask) * w.
func TestBoolConstantMask(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "bool_mask.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	pixels := make([]float32, 2*16)
	for i := range pixels {
		pixels[i] = float32(i%5) / 5
	}
	x := tensor.New(tensor.WithShape(2, 1, 4, 4), tensor.WithBacking(pixels))
	logits, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}

	w := m.net.constants["w"].Data().([]float32) // 16 x 3
	got := logits.Data().([]float32)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			var want float32
			for k := 0; k < 16; k++ {
				row, column := k/4, k%4
				if row%2 == 0 && column%2 == 1 {
					want += pixels[i*16+k] * w[k*3+j]
				}
			}
			if d := got[i*3+j] - want; d > 1e-5 || d < -1e-5 {
				t.Errorf("image %d logit %d = %g, expected %g", i, j, got[i*3+j], want)
			}
		}
	}
	checkGradient(t, m, x, []int{0, 2})
}
