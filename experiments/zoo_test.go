package experiments

import (
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/datasets"
	"github.com/mmatransfer/mma/mma"
	"github.com/mmatransfer/mma/models"
	"github.com/mmatransfer/mma/models/onnxexport/onnxtest"
)

// onnxLogitTolerance bounds the absolute difference between the toolkit's
// logits and onnxruntime's for the same model and pixels.
const onnxLogitTolerance = 1e-4

// randomData returns a data set of n random images with random labels in
// each split.
func randomData(t *testing.T, n int, shape []int, classes int) *Data {
	t.Helper()
	split := func(seed int64) datasets.Dataset {
		rng := rand.New(rand.NewSource(seed))
		pixels := make([]uint8, n*shape[0]*shape[1]*shape[2])
		labels := make([]uint8, n)
		for i := range pixels {
			pixels[i] = uint8(rng.Intn(256))
		}
		for i := range labels {
			labels[i] = uint8(rng.Intn(classes))
		}
		set, err := datasets.NewByteSet(shape, classes, pixels, labels)
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	return &Data{Name: "random", Train: split(1), Test: split(2)}
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

// TestExportMMARoundTrip exports MMAs of every fusion, a heterogeneous one
// and one with a shared stage, checks the files with the ONNX checker and
// compares onnxruntime's logits with the toolkit's at batch 1 and 3.
func TestExportMMARoundTrip(t *testing.T) {
	input, classes := []int{3, 16, 16}, 5
	smallcnn := models.SmallCNN(input, classes)
	resnet, err := models.CIFARResNet(8, input, classes, 0.5)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		backbone models.Spec
		config   mma.Config
		train    bool
	}{
		{"mean", smallcnn, mma.Config{Tracks: 2}, false},
		{"softmax-mean", smallcnn, mma.Config{Tracks: 3, Fusion: mma.SoftmaxMean}, false},
		{"concat", resnet, mma.Config{Tracks: 2, Fusion: mma.Concat}, true},
		{"hetero", resnet, mma.Config{Tracks: 4, Hetero: true}, true},
		{"split", smallcnn, mma.Config{Tracks: 2, Split: 1, Fusion: mma.Concat}, false},
	}

	dir := t.TempDir()
	data := randomData(t, 16, input, classes)
	var runs []onnxtest.Case
	var want []*tensor.Dense
	var names, paths []string
	for i, c := range cases {
		net, err := mma.New(c.backbone, c.config, int64(i+1))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		model := models.NewModel(net, input, classes)
		if c.train {
			_, err := models.TrainModel(model, data.Train, models.TrainConfig{BatchSize: 8,
				LearningRate: 0.05, Seed: 1})
			if err != nil {
				t.Fatalf("%s: train: %v", c.name, err)
			}
		}
		path := filepath.Join(dir, c.name+".onnx")
		if err := ExportONNX(net, input, classes, path); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		paths = append(paths, path)

		for _, batch := range []int{1, 3} {
			x := randomPixels(append([]int{batch}, input...), int64(i))
			logits, err := model.Logits(x)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			runs = append(runs, onnxtest.Case{Model: path, Input: x})
			want = append(want, logits)
			names = append(names, c.name)
		}
	}

	t.Run("checker", func(t *testing.T) { onnxtest.CheckModels(t, paths...) })
	t.Run("onnxruntime", func(t *testing.T) {
		got := onnxtest.NewRuntime(t).Logits(t, runs)
		for i := range runs {
			batch := runs[i].Input.Shape()[0]
			diff, err := onnxtest.MaxAbsDiff(got[i], want[i])
			if err != nil {
				t.Errorf("%s batch %d: %v", names[i], batch, err)
				continue
			}
			if diff > onnxLogitTolerance {
				t.Errorf("%s batch %d: onnxruntime logits differ from the toolkit's by %g, "+
					"want at most %g", names[i], batch, diff, onnxLogitTolerance)
			}
		}
	})
}

// tinyZoo returns two small members that train in a fraction of a second.
func tinyZoo(input []int, classes int) []ZooMember {
	config := models.TrainConfig{Epochs: 1, BatchSize: 16, Optimizer: "adam"}
	return []ZooMember{
		{Name: "mlp", Spec: models.MLP(input, classes, 8), Seed: 3, Config: config},
		{Name: "widecnn", Spec: models.WideCNN(input, classes), Seed: 4, Config: config},
	}
}

func TestBuildZooResumes(t *testing.T) {
	input, classes := []int{1, 8, 8}, 3
	data := randomData(t, 32, input, classes)
	dir := t.TempDir()
	opts := ZooOptions{Data: data, Dir: dir, Members: tinyZoo(input, classes)}

	first, err := BuildZoo(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range first.Members {
		if e.Reused {
			t.Errorf("first run reused %s, want it trained", e.Name)
		}
	}
	modTimes := map[string]int64{}
	for _, e := range first.Members {
		info, err := os.Stat(filepath.Join(dir, e.Checkpoint))
		if err != nil {
			t.Fatal(err)
		}
		modTimes[e.Name] = info.ModTime().UnixNano()
	}

	rep := &recorder{}
	second, err := BuildZoo(opts, rep)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range second.Members {
		if !e.Reused {
			t.Errorf("second run trained %s again, want it reused", e.Name)
		}
		info, err := os.Stat(filepath.Join(dir, e.Checkpoint))
		if err != nil {
			t.Fatal(err)
		}
		if info.ModTime().UnixNano() != modTimes[e.Name] {
			t.Errorf("second run rewrote %s", e.Checkpoint)
		}
		if e.ONNXSHA256 != first.Members[i].ONNXSHA256 {
			t.Errorf("%s: ONNX hash changed from %s to %s", e.Name, first.Members[i].ONNXSHA256,
				e.ONNXSHA256)
		}
		if e.TestAccuracy != first.Members[i].TestAccuracy {
			t.Errorf("%s: accuracy changed from %g to %g", e.Name, first.Members[i].TestAccuracy,
				e.TestAccuracy)
		}
	}
	if !strings.Contains(strings.Join(rep.lines, "\n"), "reused") {
		t.Errorf("second run logged %q, want a line about reused members", rep.lines)
	}

	opts.Members[0].Seed++
	third, err := BuildZoo(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if third.Members[0].Reused {
		t.Errorf("member with a new seed was reused, want it trained again")
	}
	if !third.Members[1].Reused {
		t.Errorf("unchanged member was trained again, want it reused")
	}
}

func TestZooManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	spec := models.GELUCNN([]int{1, 28, 28}, 10)
	manifest := &ZooManifest{Dataset: "mnist", Input: []int{1, 28, 28}, Classes: 10,
		Members: []ZooEntry{{Name: "gelucnn", Architecture: SpecString("gelucnn", spec),
			Parameters: 421642, MultiplyAdds: 4_000_000, TestAccuracy: 0.9812, TestImages: 10000,
			Epochs: 2, TrainImages: 20000, Seed: 106, TrainSeconds: 61.5,
			Checkpoint: "gelucnn.ckpt", ONNX: "gelucnn.onnx", ONNXSHA256: "ab12"}}}

	if err := WriteZooManifest(dir, manifest); err != nil {
		t.Fatal(err)
	}
	read, err := ReadZooManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(read, manifest) {
		t.Errorf("read manifest %+v, want %+v", read, manifest)
	}

	markdown, err := os.ReadFile(filepath.Join(dir, ZooManifestMarkdown))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| gelucnn | 421642 | 4000000 | 98.12% (10000 images) |",
		"gelucnn: stage1[conv32k3p1 gelu avgpoolk2]", "`ab12`"} {
		if !strings.Contains(string(markdown), want) {
			t.Errorf("manifest.md lacks %q:\n%s", want, markdown)
		}
	}
}

func TestExportCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.onnx")

	err := ExportCheckpoint(filepath.Join(dir, "missing.ckpt"), out)
	if err == nil || !strings.Contains(err.Error(), "missing.ckpt") {
		t.Errorf("missing checkpoint: error %v, want one naming the file", err)
	}

	bare := filepath.Join(dir, "bare.ckpt")
	backbone, err := models.NewBackbone(models.MLP([]int{1, 4, 4}, 3, 4), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.SaveCheckpoint(bare, models.CheckpointMeta{Architecture: "mlp"},
		models.State(backbone)); err != nil {
		t.Fatal(err)
	}
	err = ExportCheckpoint(bare, out)
	if err == nil || !strings.Contains(err.Error(), "no spec") {
		t.Errorf("checkpoint without spec: error %v, want one about the missing spec", err)
	}
	if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
		t.Errorf("failed exports left %s behind (stat: %v)", out, statErr)
	}
}

func TestExportCheckpointZooMember(t *testing.T) {
	input, classes := []int{1, 16, 16}, 3
	dir := t.TempDir()
	manifest, err := BuildZoo(ZooOptions{Data: randomData(t, 16, input, classes), Dir: dir,
		Members: zooWithVGG(input, classes)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range manifest.Members {
		out := filepath.Join(dir, "again-"+entry.ONNX)
		if err := ExportCheckpoint(filepath.Join(dir, entry.Checkpoint), out); err != nil {
			t.Errorf("%s: %v", entry.Name, err)
			continue
		}
		hash, err := fileSHA256(out)
		if err != nil {
			t.Fatal(err)
		}
		if hash != entry.ONNXSHA256 {
			t.Errorf("export of %s has SHA-256 %s, want the zoo's %s", entry.Checkpoint, hash,
				entry.ONNXSHA256)
		}
	}
}

// zooWithVGG returns a narrow VGG-11, whose spec name "vgg11" alone would
// rebuild it at full width, and a wide CNN, whose name BuildModel rejects.
func zooWithVGG(input []int, classes int) []ZooMember {
	vgg, err := models.VGG11(input, classes, 0.25)
	if err != nil {
		panic(err)
	}
	config := models.TrainConfig{Epochs: 1, BatchSize: 16, Optimizer: "adam"}
	return append(tinyZoo(input, classes)[1:],
		ZooMember{Name: "vgg11-w0.25", Spec: vgg, Seed: 5, Config: config})
}
