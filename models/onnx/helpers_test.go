package onnx

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gorgonia.org/tensor"
)

// sharedDataDir returns the shared data folder beside the repository root,
// or skips the test when it is absent.
func sharedDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}

	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(data); err != nil {
		t.Skipf("shared data folder %s is absent", data)
	}
	return data
}

// readJSON decodes the JSON file at path into v.
func readJSON(t *testing.T, path string, v interface{}) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

// mnist8Fixture is testdata/mnist8_logits.json, written by mnist8_logits.js.
type mnist8Fixture struct {
	Runtime string
	Images  []struct {
		Label  int
		Bytes  []uint8
		Logits []float32
	}
}

// batch returns the fixture's images as an N x 1 x 28 x 28 batch of
// pixels in [0, 1].
func (f *mnist8Fixture) batch() *tensor.Dense {
	var pixels []float32
	for _, image := range f.Images {
		for _, b := range image.Bytes {
			pixels = append(pixels, float32(b)/255)
		}
	}
	return tensor.New(tensor.WithShape(len(f.Images), 1, 28, 28), tensor.WithBacking(pixels))
}

func loadMNIST8Fixture(t *testing.T) *mnist8Fixture {
	t.Helper()
	var f mnist8Fixture
	readJSON(t, filepath.Join("testdata", "mnist8_logits.json"), &f)
	if len(f.Images) == 0 {
		t.Fatal("fixture has no images")
	}
	return &f
}

// mustMNIST8 returns the embedded mnist-8 model.
func mustMNIST8(t testing.TB) *Model {
	t.Helper()
	m, err := MNIST8()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// maxAbsDiff returns the largest |a[i] - b[i]|.
func maxAbsDiff(a, b []float32) float64 {
	worst := 0.0
	for i := range a {
		worst = math.Max(worst, math.Abs(float64(a[i])-float64(b[i])))
	}
	return worst
}

// image returns image i of batch x as a 1 x C x H x W tensor.
func image(t *testing.T, x *tensor.Dense, i int) *tensor.Dense {
	t.Helper()
	shape := x.Shape()
	size := shape[1] * shape[2] * shape[3]
	pixels := append([]float32(nil), x.Data().([]float32)[i*size:(i+1)*size]...)
	return tensor.New(tensor.WithShape(1, shape[1], shape[2], shape[3]), tensor.WithBacking(pixels))
}
