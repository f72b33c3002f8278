package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mmatransfer/mma/attacks"
	"github.com/mmatransfer/mma/eval"
	"github.com/mmatransfer/mma/internal/atomicfile"
	"github.com/mmatransfer/mma/models"
	"github.com/mmatransfer/mma/plots"
)

// Files a reproduce run writes into its output folder.
const (
	RunFile      = "run.json"
	TableBase    = "table"  // table.csv, table.json, table.md
	FigureBase   = "figure" // figure.png, figure.svg
	modelsFolder = "models"
	setsFolder   = "adv"
)

// Run records what a reproduce run did, for run.json.
type Run struct {
	Preset     Preset         `json:"preset"`
	DataDir    string         `json:"data_dir"`
	GoVersion  string         `json:"go_version"`
	Started    time.Time      `json:"started"`
	Finished   time.Time      `json:"finished"`
	Surrogates []SurrogateRun `json:"surrogates"`
	Targets    []TargetRun    `json:"targets"`
	Attacks    []AttackRun    `json:"attacks"`
}

// SurrogateRun records one trained surrogate.
type SurrogateRun struct {
	Arch            string  `json:"arch"`
	Checkpoint      string  `json:"checkpoint"`
	Params          int     `json:"params"`
	TestAccuracy    float64 `json:"test_accuracy"`
	TestImages      int     `json:"test_images"`
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
	Reused          bool    `json:"reused"`
}

// TargetRun records one black-box target's clean accuracy.
type TargetRun struct {
	Name         string  `json:"name"`
	TestAccuracy float64 `json:"test_accuracy"`
	TestImages   int     `json:"test_images"`
}

// AttackRun records one adversarial set.
type AttackRun struct {
	Surrogate       string  `json:"surrogate"`
	Attack          string  `json:"attack"`
	Set             string  `json:"set"`
	Images          int     `json:"images"`
	SecondsPerImage float64 `json:"seconds_per_image"`
	Reused          bool    `json:"reused"`
}

// Reproduce runs preset end to end and writes into outDir: the surrogates'
// checkpoints (models/), the adversarial sets (adv/), the transfer table
// (table.csv, table.json, table.md), its figure (figure.png, figure.svg)
// and run.json. dataDir is the folder of the data set's IDX files; "" means
// the default MNIST copy. A run that was interrupted resumes: checkpoints
// and sets already in outDir that match the preset are reused.
func Reproduce(preset Preset, dataDir, outDir string, rep Reporter) (*eval.Table, *Run, error) {
	rep = orSilent(rep)
	run := &Run{Preset: preset, GoVersion: runtime.Version(), Started: time.Now().UTC()}
	if preset.Dataset != "mnist" && slices.Contains(preset.Targets, MNIST8) {
		return nil, nil, fmt.Errorf("preset %s: target %s classifies MNIST digits, but the "+
			"data set is %s; use the mnist data set or other targets", preset.Name, MNIST8,
			preset.Dataset)
	}

	data, err := LoadData(preset.Dataset, dataDir)
	if err != nil {
		return nil, nil, err
	}
	run.DataDir = data.Dir
	rep.Logf("data: %s from %s (%d training, %d test images)", data.Name, data.Dir,
		data.Train.Len(), data.Test.Len())
	for _, folder := range []string{outDir, filepath.Join(outDir, modelsFolder),
		filepath.Join(outDir, setsFolder)} {
		if err := os.MkdirAll(folder, 0o755); err != nil {
			return nil, nil, err
		}
	}

	surrogates, err := trainSurrogates(preset, data, outDir, run, rep)
	if err != nil {
		return nil, nil, err
	}
	sets, err := craftSets(preset, data, surrogates, outDir, run, rep)
	if err != nil {
		return nil, nil, err
	}
	targets, err := loadTargets(preset, data, surrogates, run, rep)
	if err != nil {
		return nil, nil, err
	}

	table, err := Evaluate(EvalOptions{Sets: sets, Targets: targets, Data: data}, rep)
	if err != nil {
		return nil, nil, err
	}
	if err := WriteTable(outDir, table, preset.Name); err != nil {
		return nil, nil, err
	}
	run.Finished = time.Now().UTC()
	if err := writeRun(filepath.Join(outDir, RunFile), run); err != nil {
		return nil, nil, err
	}
	return table, run, nil
}

// trainSurrogates trains every surrogate of preset, or reuses its
// checkpoint when one made with the same config is in outDir.
func trainSurrogates(preset Preset, data *Data, outDir string, run *Run,
	rep Reporter) ([]*Surrogate, error) {

	config := models.TrainConfig{
		Epochs:       preset.Epochs,
		BatchSize:    preset.BatchSize,
		Optimizer:    preset.Optimizer,
		LearningRate: preset.LearningRate,
		Limit:        preset.TrainImages,
	}
	var surrogates []*Surrogate
	for _, arch := range preset.Surrogates {
		path := filepath.Join(outDir, modelsFolder, fileName(arch)+CheckpointExt)
		opts := TrainOptions{Arch: arch, Data: data, Config: config, Seed: preset.Seed,
			AccuracyImages: preset.AccuracyImages, Checkpoint: path}

		surrogate, reused, err := reuseSurrogate(opts, rep)
		if err != nil {
			return nil, err
		}
		if surrogate == nil {
			if surrogate, err = Train(opts, rep); err != nil {
				return nil, err
			}
		}
		surrogates = append(surrogates, surrogate)
		run.Surrogates = append(run.Surrogates, surrogateRun(surrogate, reused))
	}
	return surrogates, nil
}

// reuseSurrogate loads opts.Checkpoint when it exists and was trained with
// the same architecture, data set, seed and training config.
func reuseSurrogate(opts TrainOptions, rep Reporter) (*Surrogate, bool, error) {
	if _, err := os.Stat(opts.Checkpoint); errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	surrogate, err := LoadSurrogate(opts.Checkpoint)
	if err != nil {
		rep.Logf("retraining %s: cannot reuse %s: %v", opts.Arch, opts.Checkpoint, err)
		return nil, false, nil
	}

	_, _, arch, err := BuildModel(opts.Arch, opts.Data.Train.Shape(), opts.Data.Train.Classes(),
		opts.Seed)
	if err != nil {
		return nil, false, err
	}
	config := opts.Config
	config.Seed = opts.Seed
	training, err := trainingJSON(config)
	if err != nil {
		return nil, false, err
	}
	meta := surrogate.Meta
	if meta.Architecture != arch || meta.Seed != opts.Seed || meta.Dataset != opts.Data.Name ||
		string(meta.Training) != string(training) {
		rep.Logf("retraining %s: %s was made with another config", opts.Arch, opts.Checkpoint)
		return nil, false, nil
	}
	rep.Logf("reusing %s from %s (clean test accuracy %.2f%%)", opts.Arch, opts.Checkpoint,
		100*meta.Metrics["test_accuracy"])
	return surrogate, true, nil
}

func surrogateRun(s *Surrogate, reused bool) SurrogateRun {
	return SurrogateRun{
		Arch:            s.Arch,
		Checkpoint:      s.Checkpoint,
		Params:          countParams(s.Model.Params()),
		TestAccuracy:    s.Meta.Metrics["test_accuracy"],
		TestImages:      int(s.Meta.Metrics["test_images"]),
		SecondsPerEpoch: s.Meta.Metrics["seconds_per_epoch"],
		Reused:          reused,
	}
}

// craftSets runs every attack of preset on every surrogate, or reuses a
// set in outDir made by the same attack on the same checkpoint.
func craftSets(preset Preset, data *Data, surrogates []*Surrogate, outDir string,
	run *Run, rep Reporter) ([]string, error) {

	indices := firstIndices(min(preset.AttackImages, data.Test.Len()))
	var paths []string
	for _, surrogate := range surrogates {
		ref, err := surrogate.Ref()
		if err != nil {
			return nil, err
		}
		for _, spec := range preset.Attacks {
			attack, err := attacks.Parse(spec)
			if err != nil {
				return nil, fmt.Errorf("preset %s: %w", preset.Name, err)
			}
			path := filepath.Join(outDir, setsFolder,
				fileName(surrogate.Arch)+"__"+fileName(attack.String())+".advset")
			record, err := craftOrReuse(CraftOptions{
				Surrogate: surrogate.Model, Ref: ref, Attack: attack, Data: data.Test,
				Source: eval.ImageSource{Dataset: data.Name, Split: "test"}, Indices: indices,
			}, path, rep)
			if err != nil {
				return nil, err
			}
			paths = append(paths, path)
			run.Attacks = append(run.Attacks, record)
		}
	}
	return paths, nil
}

// craftOrReuse writes the set opts describes to path, unless path already
// holds a set of the same attack on the same checkpoint and images.
func craftOrReuse(opts CraftOptions, path string, rep Reporter) (AttackRun, error) {
	record := AttackRun{Surrogate: opts.Ref.Arch, Attack: opts.Attack.String(), Set: path,
		Images: len(opts.Indices)}
	existing, err := eval.LoadAdvSet(path)
	switch {
	case err == nil && sameSet(existing, opts):
		record.Reused = true
		record.SecondsPerImage, _ = strconv.ParseFloat(
			existing.Config.Extra["seconds_per_image"], 64)
		rep.Logf("reusing %s", path)
		return record, nil
	case err == nil:
		rep.Logf("recrafting %s: it was made with another config", path)
	case !errors.Is(err, fs.ErrNotExist):
		rep.Logf("recrafting %s: cannot reuse it: %v", path, err)
	}

	started := time.Now()
	set, err := Craft(opts, rep)
	if err != nil {
		return record, err
	}
	record.SecondsPerImage = time.Since(started).Seconds() / float64(len(opts.Indices))
	set.Config.Extra["seconds_per_image"] = fmt.Sprintf("%.6f", record.SecondsPerImage)
	if err := eval.SaveAdvSet(path, set); err != nil {
		return record, err
	}
	rep.Logf("%s on %s: %d images, %.1f ms per image, saved to %s", opts.Attack.Name(),
		opts.Ref.Arch, len(opts.Indices), 1000*record.SecondsPerImage, path)
	return record, nil
}

func sameSet(set *eval.AdvSet, opts CraftOptions) bool {
	config := set.Config
	return config.Attack == opts.Attack.String() &&
		config.Surrogate.CheckpointSHA256 == opts.Ref.CheckpointSHA256 &&
		config.Source == opts.Source &&
		slices.Equal(set.Indices, opts.Indices)
}

// loadTargets returns the surrogates, which are white-box targets of their
// own sets, followed by the preset's black-box targets, and records the
// black-box targets' clean accuracy.
func loadTargets(preset Preset, data *Data, surrogates []*Surrogate, run *Run,
	rep Reporter) ([]Target, error) {

	var targets []Target
	for _, s := range surrogates {
		targets = append(targets, Target{Name: s.Arch, Model: s.Model, Dataset: s.Meta.Dataset})
	}
	for _, ref := range preset.Targets {
		target, err := OpenTarget(ref)
		if err != nil {
			return nil, err
		}
		name := target.Name
		accuracy, err := testAccuracy(target.Model, data, preset.AccuracyImages, name, rep)
		if err != nil {
			return nil, err
		}
		images := accuracyCount(data, preset.AccuracyImages)
		rep.Logf("target %s: clean test accuracy %.2f%% on %d images", name, 100*accuracy,
			images)
		run.Targets = append(run.Targets, TargetRun{Name: name, TestAccuracy: accuracy,
			TestImages: images})
		targets = append(targets, target)
	}
	return targets, nil
}

// WriteTable writes table as CSV, JSON and Markdown, and its figure as PNG
// and SVG, into outDir. The Markdown cells and the figure show the success
// rate over all images.
func WriteTable(outDir string, table *eval.Table, title string) error {
	return WriteTableMetric(outDir, table, title, eval.MetricSuccessAll)
}

// WriteTableMetric is WriteTable with the metric the Markdown cells and the
// figure show.
func WriteTableMetric(outDir string, table *eval.Table, title string, metric eval.Metric) error {
	base := filepath.Join(outDir, TableBase)
	if err := eval.WriteCSV(base+".csv", table); err != nil {
		return err
	}
	if err := eval.WriteJSON(base+".json", table); err != nil {
		return err
	}
	if err := eval.WriteMarkdown(base+".md", table, metric); err != nil {
		return err
	}
	return plots.BarChart(table, metric, title,
		filepath.Join(outDir, FigureBase))
}

func writeRun(path string, run *Run) error {
	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(data, '\n'))
}

func firstIndices(n int) []int {
	indices := make([]int, n)
	for i := range indices {
		indices[i] = i
	}
	return indices
}

// fileName turns an architecture or attack string into a file name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-',
			r == '.', r == '=':
			return r
		default:
			return '_'
		}
	}, s)
}
