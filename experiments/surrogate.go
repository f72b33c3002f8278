package experiments

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mmatransfer/mma/datasets"
	"github.com/mmatransfer/mma/eval"
	"github.com/mmatransfer/mma/models"
)

// CheckpointExt is the file extension of the toolkit's checkpoints.
const CheckpointExt = ".ckpt"

// TrainOptions selects what Train trains.
type TrainOptions struct {
	// Arch is the architecture string, such as "smallcnn/mma:k=4".
	Arch string

	// Data is the data set trained on; accuracy is measured on its test
	// split.
	Data *Data

	// Config sets epochs, batch size, optimiser and learning rate. Its
	// Seed is overwritten by Seed.
	Config models.TrainConfig

	// Seed draws the initial weights and the shuffling.
	Seed int64

	// AccuracyImages is how many test images, from the start, the clean
	// accuracy is measured on; 0 means all.
	AccuracyImages int

	// Checkpoint is the file the trained model is written to.
	Checkpoint string
}

// Surrogate is a trained model with what it was made from.
type Surrogate struct {
	Model *models.Model

	// Arch is the architecture string in canonical form.
	Arch string

	// Checkpoint is the file the model was read from or written to.
	Checkpoint string

	// Meta is the checkpoint's header.
	Meta models.CheckpointMeta
}

// Ref returns the model reference stored in adversarial sets.
func (s *Surrogate) Ref() (eval.ModelRef, error) {
	hash, err := eval.HashFile(s.Checkpoint)
	if err != nil {
		return eval.ModelRef{}, err
	}
	return eval.ModelRef{Arch: s.Arch, Checkpoint: s.Checkpoint, CheckpointSHA256: hash}, nil
}

// Train builds the model opts.Arch names, trains it, measures its clean
// test accuracy and writes it to opts.Checkpoint.
func Train(opts TrainOptions, rep Reporter) (*Surrogate, error) {
	rep = orSilent(rep)
	shape, classes := opts.Data.Train.Shape(), opts.Data.Train.Classes()
	model, spec, arch, err := BuildModel(opts.Arch, shape, classes, opts.Seed)
	if err != nil {
		return nil, err
	}

	config := opts.Config
	config.Seed = opts.Seed
	report, err := trainWithProgress(model, arch, opts.Data, config, rep)
	if err != nil {
		return nil, fmt.Errorf("train %s: %w", arch, err)
	}

	accuracy, err := testAccuracy(model, opts.Data, opts.AccuracyImages, arch, rep)
	if err != nil {
		return nil, err
	}
	rep.Logf("trained %s: %d parameters, %s of %d images in %s, clean test accuracy %.2f%%",
		arch, countParams(model.Params()), plural(len(report.EpochLoss), "epoch"),
		report.Images, report.Elapsed.Round(time.Second), 100*accuracy)

	meta, err := checkpointMeta(arch, spec, opts, config, report, accuracy)
	if err != nil {
		return nil, err
	}
	if err := models.SaveCheckpoint(opts.Checkpoint, meta, models.State(model.Net())); err != nil {
		return nil, err
	}
	return &Surrogate{Model: model, Arch: arch, Checkpoint: opts.Checkpoint, Meta: meta}, nil
}

func trainWithProgress(model *models.Model, arch string, data *Data,
	config models.TrainConfig, rep Reporter) (*models.TrainReport, error) {

	epochs := max(config.Epochs, 1)
	var progress Progress
	var lossSum float64
	var epochSteps int
	config.Progress = func(done, total int, loss float64) {
		if progress == nil {
			progress = rep.Progress("train "+arch, total, "batches")
		}
		progress.Set(done)

		lossSum, epochSteps = lossSum+loss, epochSteps+1
		stepsPerEpoch := total / epochs
		if done%stepsPerEpoch == 0 {
			rep.Logf("%s: epoch %d of %d, mean batch loss %.4f", arch, done/stepsPerEpoch,
				epochs, lossSum/float64(epochSteps))
			lossSum, epochSteps = 0, 0
		}
	}
	report, err := models.TrainModel(model, data.Train, config)
	if progress != nil {
		progress.Done()
	}
	return report, err
}

// testAccuracy returns model's accuracy on the first n test images (all
// when n is 0).
func testAccuracy(model models.Classifier, data *Data, n int, name string,
	rep Reporter) (float64, error) {

	test := data.Test
	if n > 0 && n < test.Len() {
		test = datasets.Head(test, n)
	}
	progress := rep.Progress("accuracy of "+name, test.Len(), "images")
	defer progress.Done()
	predictions, labels, err := eval.PredictDataset(model, test, nil, 0, counter(progress))
	if err != nil {
		return 0, fmt.Errorf("accuracy of %s: %w", name, err)
	}
	return eval.Accuracy(labels, predictions)
}

func checkpointMeta(arch string, spec models.Spec, opts TrainOptions,
	config models.TrainConfig, report *models.TrainReport,
	accuracy float64) (models.CheckpointMeta, error) {

	training, err := trainingJSON(config)
	if err != nil {
		return models.CheckpointMeta{}, err
	}
	return models.CheckpointMeta{
		Architecture: arch,
		Spec:         &spec,
		Training:     training,
		Seed:         opts.Seed,
		Dataset:      opts.Data.Name,
		Metrics: map[string]float64{
			"test_accuracy":     accuracy,
			"test_images":       float64(accuracyCount(opts.Data, opts.AccuracyImages)),
			"train_seconds":     report.Elapsed.Seconds(),
			"train_images":      float64(report.Images),
			"final_epoch_loss":  report.EpochLoss[len(report.EpochLoss)-1],
			"seconds_per_epoch": report.Elapsed.Seconds() / float64(len(report.EpochLoss)),
		},
	}, nil
}

func accuracyCount(data *Data, n int) int {
	if n > 0 && n < data.Test.Len() {
		return n
	}
	return data.Test.Len()
}

// LoadSurrogate reads a checkpoint written by Train or BuildZoo and
// rebuilds its model.
func LoadSurrogate(path string) (*Surrogate, error) {
	model, meta, err := LoadCheckpointModel(path)
	if err != nil {
		return nil, err
	}
	arch, err := canonicalArch(meta.Architecture)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return &Surrogate{Model: model, Arch: arch, Checkpoint: path, Meta: meta}, nil
}

// LoadCheckpointModel rebuilds the model of a checkpoint from the backbone
// spec stored in its header and the MMA options of its architecture
// string, then loads its weights and BatchNorm statistics.
func LoadCheckpointModel(path string) (*models.Model, models.CheckpointMeta, error) {
	checkpoint, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, models.CheckpointMeta{}, err
	}
	meta := checkpoint.Meta
	if meta.Spec == nil {
		return nil, meta, fmt.Errorf("checkpoint %s: header has no spec, so its model cannot "+
			"be rebuilt", path)
	}

	model, _, err := buildOnSpec(meta.Architecture, *meta.Spec, meta.Seed)
	if err != nil {
		return nil, meta, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := checkpoint.Apply(models.State(model.Net())); err != nil {
		return nil, meta, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return model, meta, nil
}

func countParams(params []*models.Param) int {
	total := 0
	for _, p := range params {
		total += p.Value.Shape().TotalSize()
	}
	return total
}

// trainingRecord is the part of a TrainConfig stored in checkpoints: every
// field that changes the trained weights.
type trainingRecord struct {
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch_size"`
	Optimizer    string  `json:"optimizer"`
	LearningRate float64 `json:"learning_rate"`
	Momentum     float64 `json:"momentum"`
	WeightDecay  float64 `json:"weight_decay,omitempty"`
	Schedule     string  `json:"schedule,omitempty"`
	StepEvery    int     `json:"step_every,omitempty"`
	StepGamma    float64 `json:"step_gamma,omitempty"`
	CropPad      int     `json:"crop_pad,omitempty"`
	Flip         bool    `json:"flip,omitempty"`
	Seed         int64   `json:"seed"`
	Limit        int     `json:"train_images"`
}

// trainingJSON encodes the fields of config that change the weights.
func trainingJSON(config models.TrainConfig) (json.RawMessage, error) {
	return json.Marshal(trainingRecord{
		Epochs:       config.Epochs,
		BatchSize:    config.BatchSize,
		Optimizer:    config.Optimizer,
		LearningRate: config.LearningRate,
		Momentum:     config.Momentum,
		WeightDecay:  config.WeightDecay,
		Schedule:     config.Schedule,
		StepEvery:    config.StepEvery,
		StepGamma:    config.StepGamma,
		CropPad:      config.CropPad,
		Flip:         config.Flip,
		Seed:         config.Seed,
		Limit:        config.Limit,
	})
}

// plural returns "1 epoch" or "3 epochs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
