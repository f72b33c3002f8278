package onnxexport_test

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/datasets"
	"github.com/mmatransfer/mma/models"
	"github.com/mmatransfer/mma/models/onnxexport"
	"github.com/mmatransfer/mma/models/onnxexport/onnxtest"
)

// logitTolerance bounds the absolute difference between the toolkit's
// logits and onnxruntime's for the same model and pixels.
const logitTolerance = 1e-4

// exported is one model written to an ONNX file, with the Go model that
// gives the reference logits.
type exported struct {
	name  string
	path  string
	model *models.Model
}

// tinyCNN uses every layer kind outside residual blocks.
func tinyCNN(classes int) models.Spec {
	return models.Spec{
		Name: "tinycnn", Input: []int{2, 12, 12}, Classes: classes,
		Stem: []models.Layer{{Kind: models.Conv, Out: 4, Kernel: 3, Pad: 1},
			{Kind: models.BatchNorm}, {Kind: models.ReLU}},
		Stages: []models.Stage{
			{Layers: []models.Layer{{Kind: models.Conv, Out: 6, Kernel: 5, Stride: 2, Pad: 2,
				NoBias: true}, {Kind: models.LeakyReLU}, {Kind: models.MaxPool, Kernel: 2}}},
			{Layers: []models.Layer{{Kind: models.Conv, Out: 6, Kernel: 1},
				{Kind: models.Softplus}, {Kind: models.AvgPool, Kernel: 2, Stride: 1}}},
		},
		Head: []models.Layer{{Kind: models.Flatten}, {Kind: models.Linear, Out: 12},
			{Kind: models.BatchNorm}, {Kind: models.GELU}, {Kind: models.Linear, Out: classes}},
	}
}

// syntheticData returns n random images with random labels.
func syntheticData(t *testing.T, n int, shape []int, classes int) datasets.Dataset {
	t.Helper()
	rng := rand.New(rand.NewSource(7))
	size := shape[0] * shape[1] * shape[2]
	pixels := make([]uint8, n*size)
	labels := make([]uint8, n)
	for i := range pixels {
		pixels[i] = uint8(rng.Intn(256))
	}
	for i := range labels {
		labels[i] = uint8(rng.Intn(classes))
	}
	data, err := datasets.NewByteSet(shape, classes, pixels, labels)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// trainBriefly runs a few SGD steps so that BatchNorm running statistics
// and weights move away from their initial values.
func trainBriefly(t *testing.T, m *models.Model) {
	t.Helper()
	data := syntheticData(t, 24, m.InputShape(), m.Classes())
	_, err := models.TrainModel(m, data, models.TrainConfig{Epochs: 1, BatchSize: 8,
		LearningRate: 0.05, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
}

func exportBackbone(t *testing.T, dir string, spec models.Spec, train bool) exported {
	t.Helper()
	backbone, err := models.NewBackbone(spec, 11)
	if err != nil {
		t.Fatal(err)
	}
	model := models.NewModel(backbone, spec.Input, spec.Classes)
	if train {
		trainBriefly(t, model)
	}
	path := filepath.Join(dir, spec.Name+".onnx")
	if err := onnxexport.Export(backbone, spec.Input, spec.Classes, path); err != nil {
		t.Fatalf("export %s: %v", spec.Name, err)
	}
	return exported{name: spec.Name, path: path, model: model}
}

// otherNet is a Net that is not a Backbone.
type otherNet struct{}

func (otherNet) Params() []*models.Param { return nil }

func (otherNet) Forward(*gorgonia.Node, models.Mode) (models.Outputs, error) {
	return models.Outputs{}, nil
}

func TestExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	resnet, err := models.CIFARResNet(8, []int{3, 16, 16}, 10, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	cases := []exported{
		exportBackbone(t, dir, tinyCNN(5), true),
		exportBackbone(t, dir, models.MLP([]int{1, 8, 8}, 10, 16, 12), false),
		exportBackbone(t, dir, resnet, true),
	}
	checkRoundTrip(t, cases)
}

// checkRoundTrip runs the ONNX checker on every case and compares the
// logits of onnxruntime with the toolkit's at batch 1 and 3.
func checkRoundTrip(t *testing.T, cases []exported) {
	t.Helper()
	paths := make([]string, len(cases))
	for i, c := range cases {
		paths[i] = c.path
	}
	t.Run("checker", func(t *testing.T) { onnxtest.CheckModels(t, paths...) })

	t.Run("onnxruntime", func(t *testing.T) {
		runtime := onnxtest.NewRuntime(t)
		var runs []onnxtest.Case
		var want []*tensor.Dense
		var names []string
		for i, c := range cases {
			for _, batch := range []int{1, 3} {
				x := randomPixels(append([]int{batch}, c.model.InputShape()...), int64(i))
				logits, err := c.model.Logits(x)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				runs = append(runs, onnxtest.Case{Model: c.path, Input: x})
				want = append(want, logits)
				names = append(names, c.name)
			}
		}

		got := runtime.Logits(t, runs)
		for i := range runs {
			diff, err := onnxtest.MaxAbsDiff(got[i], want[i])
			if err != nil {
				t.Errorf("%s batch %d: %v", names[i], runs[i].Input.Shape()[0], err)
				continue
			}
			if diff > logitTolerance {
				t.Errorf("%s batch %d: onnxruntime logits differ from the toolkit's by %g, "+
					"want at most %g", names[i], runs[i].Input.Shape()[0], diff, logitTolerance)
			}
		}
	})
}

func randomPixels(shape []int, seed int64) *tensor.Dense {
	rng := rand.New(rand.NewSource(seed))
	size := 1
	for _, d := range shape {
		size *= d
	}
	values := make([]float32, size)
	for i := range values {
		values[i] = rng.Float32()
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(values))
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	spec := models.MLP([]int{1, 4, 4}, 3, 5)
	backbone, err := models.NewBackbone(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	seq := func(name string, input []int, layers ...models.Layer) *models.Sequential {
		s, err := models.NewSequential(name, input, layers, rand.New(rand.NewSource(1)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	head := seq("head", []int{16}, models.Layer{Kind: models.Linear, Out: 3})

	tests := []struct {
		name    string
		network onnxexport.Network
		want    string
	}{
		{"bad input", onnxexport.Network{Input: []int{16}, Classes: 3}, "input shape"},
		{"no parts", onnxexport.Network{Input: []int{1, 4, 4}, Classes: 3}, "no Sequentials"},
		{"shape mismatch", onnxexport.Network{Input: []int{1, 4, 4}, Classes: 3,
			Shared: []*models.Sequential{head}}, "takes shape"},
		{"wrong classes", onnxexport.Network{Input: []int{1, 4, 4}, Classes: 4,
			Shared: backbone.Parts()}, "want [4] logits"},
		{"unknown fusion", onnxexport.Network{Input: []int{1, 4, 4}, Classes: 3,
			Shared: []*models.Sequential{seq("flat", []int{1, 4, 4},
				models.Layer{Kind: models.Flatten})},
			Tracks: [][]*models.Sequential{{head}, {head}}, Fusion: "max"}, "fusion \"max\""},
		{"concat without head", onnxexport.Network{Input: []int{1, 4, 4}, Classes: 3,
			Shared: []*models.Sequential{seq("flat", []int{1, 4, 4},
				models.Layer{Kind: models.Flatten})},
			Tracks: [][]*models.Sequential{{head}}, Fusion: onnxexport.Concat}, "FusionHead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.onnx")
			err := onnxexport.Write(path, tt.network)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write: error %v, want one containing %q", err, tt.want)
			}
			if _, statErr := os.Stat(path); !os.IsNotExist(statErr) {
				t.Errorf("Write left %s behind after an error (stat: %v)", path, statErr)
			}
		})
	}

	t.Run("not a backbone", func(t *testing.T) {
		net := otherNet{}
		err := onnxexport.Export(net, []int{1, 4, 4}, 3, filepath.Join(dir, "x.onnx"))
		if err == nil || !strings.Contains(err.Error(), "not a *models.Backbone") {
			t.Fatalf("Export: error %v, want one naming the net's type", err)
		}
	})
}
