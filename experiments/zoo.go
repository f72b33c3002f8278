package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mmatransfer/mma/internal/atomicfile"
	"github.com/mmatransfer/mma/mma"
	"github.com/mmatransfer/mma/models"
	"github.com/mmatransfer/mma/models/onnxexport"
)

// Zoo defaults, sized so that the default zoo trains on 2 CPU cores in
// well under 30 minutes for MNIST or Fashion-MNIST (see DefaultZoo). With
// them, "mma zoo" took 513 s for MNIST and 715 s for Fashion-MNIST on a
// 2-core Xeon VM that other jobs shared (load average about 5).
const (
	// DefaultZooEpochs is the number of epochs of every default member.
	DefaultZooEpochs = 2

	// DefaultZooTrainImages is how many training images, from the start,
	// every default member trains on.
	DefaultZooTrainImages = 20000

	// DefaultZooBatchSize is the batch size of every default member.
	DefaultZooBatchSize = 64

	// ZooManifestJSON and ZooManifestMarkdown are the manifest files a zoo
	// folder holds.
	ZooManifestJSON     = "manifest.json"
	ZooManifestMarkdown = "manifest.md"
)

// ZooMember is one target model of a zoo: a backbone and how it is trained.
type ZooMember struct {
	// Name is the member's file stem (Name.ckpt, Name.onnx) and must be
	// unique within a zoo.
	Name string

	// Spec is the backbone the member is built from.
	Spec models.Spec

	// Seed draws the initial weights and the shuffling.
	Seed int64

	// Config sets epochs, batch size, optimiser, learning rate and the
	// number of training images. Its Seed is overwritten by Seed.
	Config models.TrainConfig
}

// DefaultZoo returns the default zoo for images of shape input (C x H x W)
// and classes. Its six families differ in depth, width, activation and
// pooling: an MLP, SmallCNN, VGG-11 at width 0.25, ResNet-8, a wide and
// shallow CNN and a GELU CNN with average pooling. Each member has its own
// seed and trains with Adam for DefaultZooEpochs epochs on the first
// DefaultZooTrainImages images.
func DefaultZoo(input []int, classes int) ([]ZooMember, error) {
	vgg, err := models.VGG11(input, classes, 0.25)
	if err != nil {
		return nil, fmt.Errorf("default zoo: %w", err)
	}
	resnet, err := models.CIFARResNet(8, input, classes, 1)
	if err != nil {
		return nil, fmt.Errorf("default zoo: %w", err)
	}

	specs := []struct {
		name string
		spec models.Spec
	}{
		{"mlp", models.MLP(input, classes)},
		{"smallcnn", models.SmallCNN(input, classes)},
		{"vgg11-w0.25", vgg},
		{"resnet8", resnet},
		{"widecnn", models.WideCNN(input, classes)},
		{"gelucnn", models.GELUCNN(input, classes)},
	}
	members := make([]ZooMember, len(specs))
	for i, s := range specs {
		members[i] = ZooMember{Name: s.name, Spec: s.spec, Seed: int64(101 + i),
			Config: models.TrainConfig{Epochs: DefaultZooEpochs, BatchSize: DefaultZooBatchSize,
				Optimizer: "adam", Limit: DefaultZooTrainImages}}
	}
	return members, nil
}

// ZooOptions selects what BuildZoo builds.
type ZooOptions struct {
	// Data is the data set the members train on; accuracy is measured on
	// its test split.
	Data *Data

	// Dir is the folder the checkpoints, ONNX files and manifests go to.
	// It is created when missing.
	Dir string

	// Members lists the models to build; nil means DefaultZoo for Data's
	// image shape and classes.
	Members []ZooMember

	// AccuracyImages is how many test images, from the start, the clean
	// accuracy is measured on; 0 means all.
	AccuracyImages int
}

// ZooEntry is one member's row of the manifest.
type ZooEntry struct {
	Name string `json:"name"`

	// Architecture lists the member's layers, stage by stage (see
	// SpecString).
	Architecture string `json:"architecture"`

	// Parameters is the number of trainable values, and MultiplyAdds the
	// multiply-accumulates per image (see models.LayerCost).
	Parameters   int   `json:"parameters"`
	MultiplyAdds int64 `json:"multiply_adds"`

	// TestAccuracy is the clean accuracy, a fraction in [0, 1], on the
	// first TestImages test images.
	TestAccuracy float64 `json:"test_accuracy"`
	TestImages   int     `json:"test_images"`

	Epochs      int   `json:"epochs"`
	TrainImages int   `json:"train_images"`
	Seed        int64 `json:"seed"`

	// TrainSeconds is the wall time of training, without accuracy.
	TrainSeconds float64 `json:"train_seconds"`

	// Checkpoint and ONNX are the member's files, relative to the zoo
	// folder, and ONNXSHA256 the hex SHA-256 of the ONNX file.
	Checkpoint string `json:"checkpoint"`
	ONNX       string `json:"onnx"`
	ONNXSHA256 string `json:"onnx_sha256"`

	// Reused is true when the member was found finished in the folder
	// rather than trained by this run. It is not stored in the manifest.
	Reused bool `json:"-"`
}

// ZooManifest describes a built zoo.
type ZooManifest struct {
	// Dataset names the data the members were trained on.
	Dataset string `json:"dataset"`

	// Input is the image shape C x H x W and Classes the number of logits.
	Input   []int `json:"input"`
	Classes int   `json:"classes"`

	Members []ZooEntry `json:"members"`
}

// BuildZoo trains every member, exports it to ONNX and writes the
// manifests to opts.Dir. A member whose checkpoint in the folder was made
// from the same spec, seed, data set and training config is reused rather
// than trained again, so an interrupted run resumes where it stopped.
func BuildZoo(opts ZooOptions, rep Reporter) (*ZooManifest, error) {
	rep = orSilent(rep)
	shape, classes := opts.Data.Train.Shape(), opts.Data.Train.Classes()
	members := opts.Members
	if members == nil {
		var err error
		if members, err = DefaultZoo(shape, classes); err != nil {
			return nil, err
		}
	}
	if err := checkMemberNames(members); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("zoo: %w", err)
	}

	manifest := &ZooManifest{Dataset: opts.Data.Name, Input: shape, Classes: classes}
	for i, member := range members {
		rep.Logf("zoo member %d of %d: %s", i+1, len(members), member.Name)
		entry, err := buildMember(opts, member, rep)
		if err != nil {
			return nil, fmt.Errorf("zoo member %s: %w", member.Name, err)
		}
		manifest.Members = append(manifest.Members, entry)

		// The manifest is rewritten after every member, so that a stopped
		// run leaves one that lists the members finished so far.
		if err := WriteZooManifest(opts.Dir, manifest); err != nil {
			return nil, err
		}
	}
	return manifest, nil
}

func checkMemberNames(members []ZooMember) error {
	seen := map[string]bool{}
	for i, m := range members {
		if m.Name == "" || strings.ContainsAny(m.Name, `/\`) {
			return fmt.Errorf("zoo member %d: name %q is not a plain file name", i, m.Name)
		}
		if seen[m.Name] {
			return fmt.Errorf("zoo member %d: name %q is used twice", i, m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}

// buildMember reuses or trains one member, exports it when its ONNX file
// is missing and returns its manifest row.
func buildMember(opts ZooOptions, member ZooMember, rep Reporter) (ZooEntry, error) {
	checkpointPath := filepath.Join(opts.Dir, member.Name+CheckpointExt)
	onnxPath := filepath.Join(opts.Dir, member.Name+".onnx")
	config := member.Config
	config.Seed = member.Seed

	model, meta, reused, err := reuseMember(checkpointPath, member, opts.Data.Name, config)
	if err != nil {
		return ZooEntry{}, err
	}
	if reused {
		rep.Logf("reused %s", checkpointPath)
	} else {
		if model, meta, err = trainMember(opts, member, config, checkpointPath, rep); err != nil {
			return ZooEntry{}, err
		}
	}

	if _, err := os.Stat(onnxPath); err != nil || !reused {
		if err := ExportONNX(model.Net(), member.Spec.Input, member.Spec.Classes,
			onnxPath); err != nil {
			return ZooEntry{}, err
		}
		rep.Logf("wrote %s", onnxPath)
	}
	return zooEntry(member, model, meta, checkpointPath, onnxPath, reused)
}

// reuseMember loads the member's checkpoint when it exists and was made
// from the same spec, seed, data set and training config; reused is false
// otherwise. A checkpoint that cannot be read is trained again.
func reuseMember(path string, member ZooMember, dataset string,
	config models.TrainConfig) (*models.Model, models.CheckpointMeta, bool, error) {

	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, models.CheckpointMeta{}, false, nil
	}
	checkpoint, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, models.CheckpointMeta{}, false, nil
	}
	matches, err := checkpointMatches(checkpoint.Meta, member, dataset, config)
	if err != nil || !matches {
		return nil, models.CheckpointMeta{}, false, err
	}

	backbone, err := models.NewBackbone(member.Spec, member.Seed)
	if err != nil {
		return nil, models.CheckpointMeta{}, false, err
	}
	if err := checkpoint.Apply(models.State(backbone)); err != nil {
		return nil, models.CheckpointMeta{}, false, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	model := models.NewModel(backbone, member.Spec.Input, member.Spec.Classes)
	return model, checkpoint.Meta, true, nil
}

func checkpointMatches(meta models.CheckpointMeta, member ZooMember, dataset string,
	config models.TrainConfig) (bool, error) {

	if meta.Spec == nil || meta.Seed != member.Seed || meta.Dataset != dataset {
		return false, nil
	}
	stored, err := json.Marshal(meta.Spec)
	if err != nil {
		return false, err
	}
	wanted, err := json.Marshal(member.Spec)
	if err != nil {
		return false, err
	}
	training, err := trainingJSON(config)
	if err != nil {
		return false, err
	}
	return bytes.Equal(stored, wanted) && jsonEqual(meta.Training, training), nil
}

// jsonEqual compares two JSON documents by value, so that a checkpoint's
// re-indented header still matches.
func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	left, _ := json.Marshal(x)
	right, _ := json.Marshal(y)
	return bytes.Equal(left, right)
}

// trainMember trains the member from its seed, measures its accuracy and
// writes its checkpoint.
func trainMember(opts ZooOptions, member ZooMember, config models.TrainConfig,
	path string, rep Reporter) (*models.Model, models.CheckpointMeta, error) {

	backbone, err := models.NewBackbone(member.Spec, member.Seed)
	if err != nil {
		return nil, models.CheckpointMeta{}, err
	}
	model := models.NewModel(backbone, member.Spec.Input, member.Spec.Classes)
	report, err := trainWithProgress(model, member.Name, opts.Data, config, rep)
	if err != nil {
		return nil, models.CheckpointMeta{}, fmt.Errorf("train: %w", err)
	}
	accuracy, err := testAccuracy(model, opts.Data, opts.AccuracyImages, member.Name, rep)
	if err != nil {
		return nil, models.CheckpointMeta{}, err
	}
	rep.Logf("trained %s in %.0f s: clean test accuracy %.2f%%", member.Name,
		report.Elapsed.Seconds(), 100*accuracy)

	trainOpts := TrainOptions{Data: opts.Data, Seed: member.Seed,
		AccuracyImages: opts.AccuracyImages}
	meta, err := checkpointMeta(member.Name, member.Spec, trainOpts, config, report,
		accuracy)
	if err != nil {
		return nil, models.CheckpointMeta{}, err
	}
	if err := models.SaveCheckpoint(path, meta, models.State(backbone)); err != nil {
		return nil, models.CheckpointMeta{}, err
	}
	return model, meta, nil
}

func zooEntry(member ZooMember, model *models.Model, meta models.CheckpointMeta,
	checkpointPath, onnxPath string, reused bool) (ZooEntry, error) {

	hash, err := fileSHA256(onnxPath)
	if err != nil {
		return ZooEntry{}, err
	}
	cost := models.CountCost(model.Net().(models.SequentialNet))
	var record trainingRecord
	if err := json.Unmarshal(meta.Training, &record); err != nil {
		return ZooEntry{}, fmt.Errorf("checkpoint %s: training record: %w", checkpointPath, err)
	}
	return ZooEntry{
		Name:         member.Name,
		Architecture: SpecString(member.Name, member.Spec),
		Parameters:   cost.Params,
		MultiplyAdds: cost.MultiplyAdds,
		TestAccuracy: meta.Metrics["test_accuracy"],
		TestImages:   int(meta.Metrics["test_images"]),
		Epochs:       record.Epochs,
		TrainImages:  int(meta.Metrics["train_images"]),
		Seed:         meta.Seed,
		TrainSeconds: meta.Metrics["train_seconds"],
		Checkpoint:   filepath.Base(checkpointPath),
		ONNX:         filepath.Base(onnxPath),
		ONNXSHA256:   hash,
		Reused:       reused,
	}, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SpecString writes spec's layers under name compactly, stage by stage, such as
// "smallcnn: stage1[conv32k3p1 relu maxpool2] ... head[flatten linear10]".
func SpecString(name string, spec models.Spec) string {
	var parts []string
	if len(spec.Stem) > 0 {
		parts = append(parts, "stem["+layersString(spec.Stem)+"]")
	}
	for i, stage := range spec.Stages {
		parts = append(parts, models.StageName(spec, i)+"["+layersString(stage.Layers)+"]")
	}
	parts = append(parts, "head["+layersString(spec.Head)+"]")
	return name + ": " + strings.Join(parts, " ")
}

func layersString(layers []models.Layer) string {
	words := make([]string, len(layers))
	for i, l := range layers {
		words[i] = layerString(l)
	}
	return strings.Join(words, " ")
}

// layerString writes a layer as its kind followed by its sizes: out
// channels, then k (kernel), s (stride, when not the default) and p (pad).
func layerString(l models.Layer) string {
	var b strings.Builder
	b.WriteString(string(l.Kind))
	if l.Out > 0 {
		b.WriteString(strconv.Itoa(l.Out))
	}
	if l.Kernel > 0 {
		fmt.Fprintf(&b, "k%d", l.Kernel)
	}
	if l.Stride > 0 {
		fmt.Fprintf(&b, "s%d", l.Stride)
	}
	if l.Pad > 0 {
		fmt.Fprintf(&b, "p%d", l.Pad)
	}
	if l.Activation != "" {
		b.WriteString("-" + string(l.Activation))
	}
	if l.NoSkip {
		b.WriteString("-noskip")
	}
	return b.String()
}

// WriteZooManifest writes m to dir as ZooManifestJSON and
// ZooManifestMarkdown, each atomically.
func WriteZooManifest(dir string, m *ZooManifest) error {
	encoded, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	jsonPath := filepath.Join(dir, ZooManifestJSON)
	if err := atomicfile.WriteBytes(jsonPath, append(encoded, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", jsonPath, err)
	}
	markdownPath := filepath.Join(dir, ZooManifestMarkdown)
	if err := atomicfile.WriteBytes(markdownPath, []byte(m.Markdown())); err != nil {
		return fmt.Errorf("write %s: %w", markdownPath, err)
	}
	return nil
}

// ReadZooManifest reads the ZooManifestJSON file of dir.
func ReadZooManifest(dir string) (*ZooManifest, error) {
	path := filepath.Join(dir, ZooManifestJSON)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m ZooManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &m, nil
}

// Markdown returns the manifest as a Markdown table, one row a member.
func (m *ZooManifest) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Target zoo: %s, input %s, %d classes\n\n", m.Dataset,
		shapeString(m.Input), m.Classes)
	b.WriteString("| name | parameters | multiply-adds | clean accuracy | epochs | " +
		"train images | seed | train time | onnx | sha256 |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, e := range m.Members {
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f%% (%d images) | %d | %d | %d | %.0f s | %s | "+
			"`%s` |\n", e.Name, e.Parameters, e.MultiplyAdds, 100*e.TestAccuracy, e.TestImages,
			e.Epochs, e.TrainImages, e.Seed, e.TrainSeconds, e.ONNX, e.ONNXSHA256)
	}
	b.WriteString("\nArchitectures:\n\n")
	for _, e := range m.Members {
		fmt.Fprintf(&b, "- %s\n", e.Architecture)
	}
	return b.String()
}

func shapeString(shape []int) string {
	words := make([]string, len(shape))
	for i, d := range shape {
		words[i] = strconv.Itoa(d)
	}
	return strings.Join(words, "x")
}

// ExportONNX writes net, a backbone or an MMA, to path as an ONNX model
// for images of shape input (C x H x W) and classes logits (see package
// onnxexport for the file's input and output).
func ExportONNX(net models.Net, input []int, classes int, path string) error {
	multiTrack, ok := net.(*mma.Net)
	if !ok {
		return onnxexport.Export(net, input, classes, path)
	}
	network, err := mmaNetwork(multiTrack, input, classes)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	return onnxexport.Write(path, network)
}

// mmaNetwork describes n for the exporter. It sorts n's Sequentials by
// their names: "trackK." parts belong to track K ("trackK.classifier",
// the auxiliary classifier of concat fusion, is left out), "fusion" is
// the shared classifier of concat fusion and the rest are shared.
func mmaNetwork(n *mma.Net, input []int, classes int) (onnxexport.Network, error) {
	network := onnxexport.Network{Input: input, Classes: classes,
		Tracks: make([][]*models.Sequential, n.Tracks())}
	switch n.Config().Fusion {
	case mma.Concat:
		network.Fusion = onnxexport.Concat
	case mma.SoftmaxMean:
		network.Fusion = onnxexport.SoftmaxMean
	case mma.Mean, "":
		network.Fusion = onnxexport.Mean
	default:
		return onnxexport.Network{}, fmt.Errorf("fusion %q has no ONNX form", n.Config().Fusion)
	}

	for _, part := range n.Sequentials() {
		name := part.Name()
		if name == "fusion" {
			network.FusionHead = part
			continue
		}
		k, rest, isTrack := trackOf(name)
		switch {
		case !isTrack:
			network.Shared = append(network.Shared, part)
		case k >= len(network.Tracks):
			return onnxexport.Network{}, fmt.Errorf("part %q names track %d of %d", name, k,
				len(network.Tracks))
		case rest != "classifier":
			network.Tracks[k] = append(network.Tracks[k], part)
		}
	}
	return network, nil
}

// trackOf splits a part name "trackK.rest" into K and rest.
func trackOf(name string) (k int, rest string, ok bool) {
	head, rest, found := strings.Cut(name, ".")
	number, isTrack := strings.CutPrefix(head, "track")
	if !found || !isTrack {
		return 0, "", false
	}
	k, err := strconv.Atoi(number)
	if err != nil || k < 0 {
		return 0, "", false
	}
	return k, rest, true
}

// ExportCheckpoint rebuilds the model of the checkpoint at checkpointPath
// (see LoadCheckpointModel) and writes it to onnxPath.
func ExportCheckpoint(checkpointPath, onnxPath string) error {
	model, _, err := LoadCheckpointModel(checkpointPath)
	if err != nil {
		return err
	}
	return ExportONNX(model.Net(), model.InputShape(), model.Classes(), onnxPath)
}
