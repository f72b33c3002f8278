package models

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"time"

	"github.com/mmatransfer/mma/datasets"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Training defaults used for zero fields of TrainConfig.
const (
	DefaultEpochs           = 1
	DefaultBatchSize        = 128
	DefaultSGDLearningRate  = 0.01
	DefaultAdamLearningRate = 0.001
	DefaultMomentum         = 0.9
	DefaultStepGamma        = 0.1
)

// Learning-rate schedules accepted by TrainConfig.Schedule.
const (
	ScheduleConstant = "constant"
	ScheduleStep     = "step"
	ScheduleCosine   = "cosine"
)

// TrainConfig sets how TrainModel runs. Zero fields take the documented
// defaults.
type TrainConfig struct {
	// Epochs is the number of passes over the training images (default 1).
	Epochs int

	// BatchSize is the number of images per step (default 128). The last
	// batch of an epoch holds the remainder and may be smaller.
	BatchSize int

	// Optimizer is "sgd" (with momentum, the default) or "adam", in any
	// case.
	Optimizer string

	// LearningRate is the step size (default 0.01 for SGD, 0.001 for Adam).
	LearningRate float64

	// Momentum is SGD's momentum (default 0.9; Adam ignores it). A
	// negative value means no momentum.
	Momentum float64

	// WeightDecay is the L2 penalty coefficient (default 0): both
	// optimisers add WeightDecay * w to each parameter's gradient before
	// the update, as PyTorch's SGD and Adam (not AdamW) do. It applies to
	// every trainable parameter, BatchNorm scales and biases included, but
	// not to buffers.
	WeightDecay float64

	// Schedule sets the learning rate of each epoch: "constant" (the
	// default), "step" (multiplied by StepGamma every StepEvery epochs) or
	// "cosine" (LearningRate * (1 + cos(pi * (epoch-1) / Epochs)) / 2 for
	// epochs counted from 1, PyTorch's CosineAnnealingLR stepped once per
	// epoch with T_max = Epochs and a floor of 0). See LearningRateAt.
	Schedule string

	// StepEvery is the number of epochs between decays of the step
	// schedule; the step schedule requires it to be positive.
	StepEvery int

	// StepGamma is the factor of each decay of the step schedule (default
	// 0.1).
	StepGamma float64

	// CropPad, when positive, pads each training image with CropPad zero
	// pixels on every side and crops a random H x W window from it.
	// The usual value for CIFAR-10 is 4; 0 (the default) leaves images
	// as they are.
	CropPad int

	// Flip mirrors each training image left to right with probability
	// 1/2. It is usual for CIFAR-10 and wrong for digits, whose meaning
	// changes when mirrored.
	Flip bool

	// Seed seeds the shuffling of the images each epoch. A second
	// generator, seeded from it, draws the crops and flips. The same seed,
	// data and starting weights give the same weights.
	Seed int64

	// Limit, when positive, trains on the first Limit images only.
	Limit int

	// Progress, when not nil, is called after every step with the number
	// of steps done, the total number of steps over all epochs and the
	// batch's loss.
	Progress func(done, total int, loss float64)
}

// withDefaults returns cfg with its zero fields set to the defaults.
func (cfg TrainConfig) withDefaults() TrainConfig {
	if cfg.Epochs == 0 {
		cfg.Epochs = DefaultEpochs
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	cfg.Optimizer = strings.ToLower(cfg.Optimizer)
	if cfg.Optimizer == "" {
		cfg.Optimizer = OptimizerSGD
	}
	if cfg.LearningRate == 0 {
		cfg.LearningRate = DefaultSGDLearningRate
		if cfg.Optimizer == OptimizerAdam {
			cfg.LearningRate = DefaultAdamLearningRate
		}
	}
	if cfg.Momentum == 0 {
		cfg.Momentum = DefaultMomentum
	} else if cfg.Momentum < 0 {
		cfg.Momentum = 0
	}
	cfg.Schedule = strings.ToLower(cfg.Schedule)
	if cfg.Schedule == "" {
		cfg.Schedule = ScheduleConstant
	}
	if cfg.StepGamma == 0 {
		cfg.StepGamma = DefaultStepGamma
	}
	return cfg
}

func (cfg TrainConfig) validate() error {
	if cfg.Epochs < 0 {
		return fmt.Errorf("epochs is %d, want 0 (default) or more", cfg.Epochs)
	}
	if cfg.BatchSize < 0 {
		return fmt.Errorf("batch size is %d, want 0 (default) or more", cfg.BatchSize)
	}
	if cfg.LearningRate < 0 {
		return fmt.Errorf("learning rate is %g, want 0 (default) or more", cfg.LearningRate)
	}
	if cfg.Limit < 0 {
		return fmt.Errorf("limit is %d, want 0 (all images) or more", cfg.Limit)
	}
	if cfg.WeightDecay < 0 {
		return fmt.Errorf("weight decay is %g, want 0 (none) or more", cfg.WeightDecay)
	}
	if cfg.CropPad < 0 {
		return fmt.Errorf("crop padding is %d, want 0 (no crop) or more pixels", cfg.CropPad)
	}
	return cfg.validateSchedule()
}

func (cfg TrainConfig) validateSchedule() error {
	switch strings.ToLower(cfg.Schedule) {
	case "", ScheduleConstant, ScheduleCosine:
	case ScheduleStep:
		if cfg.StepEvery <= 0 {
			return fmt.Errorf("step schedule has StepEvery %d, want a positive number of epochs",
				cfg.StepEvery)
		}
	default:
		return fmt.Errorf("unknown schedule %q, want %q, %q or %q", cfg.Schedule,
			ScheduleConstant, ScheduleStep, ScheduleCosine)
	}
	if cfg.StepGamma < 0 {
		return fmt.Errorf("step gamma is %g, want 0 (default 0.1) or more", cfg.StepGamma)
	}
	return nil
}

// LearningRateAt returns the learning rate of epoch (counted from 1) under
// cfg's schedule, with cfg's defaults applied. An invalid config gives its
// validation error.
func (cfg TrainConfig) LearningRateAt(epoch int) (float64, error) {
	if err := cfg.validate(); err != nil {
		return 0, err
	}
	return cfg.withDefaults().learningRateAt(epoch), nil
}

// learningRateAt is LearningRateAt for a valid cfg with defaults applied.
func (cfg TrainConfig) learningRateAt(epoch int) float64 {
	switch cfg.Schedule {
	case ScheduleStep:
		return cfg.LearningRate * math.Pow(cfg.StepGamma, float64((epoch-1)/cfg.StepEvery))
	case ScheduleCosine:
		progress := float64(epoch-1) / float64(cfg.Epochs)
		return cfg.LearningRate * (1 + math.Cos(math.Pi*progress)) / 2
	default:
		return cfg.LearningRate
	}
}

// TrainReport summarises a training run.
type TrainReport struct {
	// EpochLoss holds the mean training loss of each epoch, averaged over
	// its batches weighted by batch size.
	EpochLoss []float64

	// Steps is the number of optimiser steps taken.
	Steps int

	// Images is the number of images per epoch.
	Images int

	// Elapsed is the wall time of the run.
	Elapsed time.Duration
}

// TrainModel fits m's parameters to data in Train mode. The loss is the Net's
// TrainLoss when it implements TrainLosser and the mean cross-entropy of
// the logits otherwise. A NaN or infinite loss stops training with an
// error naming the epoch and batch (both counted from 1) before that
// batch's update, so the weights stay those of the last finite step.
func TrainModel(m *Model, data datasets.Dataset, cfg TrainConfig) (*TrainReport, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	cfg = cfg.withDefaults()
	if err := checkDataset(m, data); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}

	opt, err := newOptimizer(cfg)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}

	images := data.Len()
	if cfg.Limit > 0 && cfg.Limit < images {
		images = cfg.Limit
	}
	if images == 0 {
		return nil, fmt.Errorf("train: data set has no images")
	}

	start := time.Now()
	rng := rand.New(rand.NewSource(cfg.Seed))
	augment := newAugmenter(cfg)
	batches := (images + cfg.BatchSize - 1) / cfg.BatchSize
	report := &TrainReport{Images: images}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		opt.setLearningRate(cfg.learningRateAt(epoch))
		order := rng.Perm(images)
		var lossSum float64
		for b := range batches {
			indices := order[b*cfg.BatchSize : min((b+1)*cfg.BatchSize, images)]
			loss, err := m.augmentedTrainStep(data, indices, opt, augment)
			if err != nil {
				return nil, fmt.Errorf("train: epoch %d batch %d: %w", epoch, b+1, err)
			}
			lossSum += loss * float64(len(indices))

			report.Steps++
			if cfg.Progress != nil {
				cfg.Progress(report.Steps, batches*cfg.Epochs, loss)
			}
		}
		report.EpochLoss = append(report.EpochLoss, lossSum/float64(images))
	}
	report.Elapsed = time.Since(start)
	return report, nil
}

func checkDataset(m *Model, data datasets.Dataset) error {
	shape := data.Shape()
	if !tensor.Shape(shape).Eq(tensor.Shape(m.input)) {
		return fmt.Errorf("data set images have shape %v, model wants %v", shape, m.input)
	}
	if data.Classes() > m.classes {
		return fmt.Errorf("data set has %d classes, model gives %d logits",
			data.Classes(), m.classes)
	}
	return nil
}

// trainStep runs one optimiser step on the images at indices and returns
// the batch's loss before the step.
func (m *Model) trainStep(data datasets.Dataset, indices []int, opt optimizer) (float64, error) {
	return m.augmentedTrainStep(data, indices, opt, nil)
}

// augmentedTrainStep is trainStep on images augmented by augment (nil for
// none).
func (m *Model) augmentedTrainStep(data datasets.Dataset, indices []int, opt optimizer,
	augment *augmenter) (float64, error) {
	x, labels, err := loadBatch(data, indices)
	if err != nil {
		return 0, err
	}
	augment.batch(x)
	return m.step(x, labels, opt)
}

// step runs one optimiser step on the batch x with its labels and returns
// the batch's loss before the step.
func (m *Model) step(x *tensor.Dense, labels []int, opt optimizer) (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	if err := checkFinite(x); err != nil {
		return 0, err
	}
	gr, err := m.graphFor(x.Shape()[0], purposeTrain)
	if err != nil {
		return 0, err
	}
	if err := gr.run(x, labels); err != nil {
		return 0, err
	}

	loss, err := scalarValue(gr.loss.Value())
	if err != nil {
		return 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, fmt.Errorf("loss is %v", loss)
	}

	grads := make([][]float32, len(gr.paramGrads))
	for i, g := range gr.paramGrads {
		grads[i] = g.Value().Data().([]float32)
	}
	opt.step(gr.params, grads)
	for _, update := range gr.stateUpdates {
		update.run()
	}
	if err := checkParamsFinite(gr.params); err != nil {
		return 0, fmt.Errorf("after the step: %w; lower the learning rate", err)
	}
	return loss, nil
}

// checkParamsFinite rejects parameters holding NaN or infinite values,
// which would make the next loss NaN (and can crash gorgonia's max-pool
// gradient, see checkFinite).
func checkParamsFinite(params []*Param) error {
	for _, p := range params {
		for i, v := range p.Value.Data().([]float32) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("parameter %s value %d is %v", p.Name, i, v)
			}
		}
	}
	return nil
}

// loadBatch reads the images at indices into an N x C x H x W tensor and
// returns it with their labels.
func loadBatch(data datasets.Dataset, indices []int) (*tensor.Dense, []int, error) {
	shape := data.Shape()
	size := product(shape)
	pixels := make([]float32, len(indices)*size)
	labels := make([]int, len(indices))
	for i, index := range indices {
		label, err := data.Example(index, pixels[i*size:(i+1)*size])
		if err != nil {
			return nil, nil, fmt.Errorf("read example %d: %w", index, err)
		}
		labels[i] = label
	}

	full := append([]int{len(indices)}, shape...)
	return tensor.New(tensor.WithShape(full...), tensor.WithBacking(pixels)), labels, nil
}

// scalarValue returns the float32 scalar v, which gorgonia gives either as
// a scalar value or as a tensor of one element.
func scalarValue(v gorgonia.Value) (float64, error) {
	switch data := v.Data().(type) {
	case float32:
		return float64(data), nil
	case []float32:
		if len(data) == 1 {
			return float64(data[0]), nil
		}
	}
	return 0, fmt.Errorf("loss is %v, want a float32 scalar", v)
}
