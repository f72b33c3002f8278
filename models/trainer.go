package models

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Trainer takes optimiser steps on a Model one batch at a time, for
// training loops that TrainModel does not cover and for benchmarks.
type Trainer struct {
	model     *Model
	optimizer optimizer
}

// NewTrainer returns a Trainer for m with the optimiser, learning rate,
// momentum and weight decay of cfg (defaults as for TrainModel). The
// learning rate stays fixed; epochs, schedules, augmentation and the
// other fields of cfg are TrainModel's and are not used.
func NewTrainer(m *Model, cfg TrainConfig) (*Trainer, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	opt, err := newOptimizer(cfg.withDefaults())
	if err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	return &Trainer{model: m, optimizer: opt}, nil
}

// Step runs one optimiser step in Train mode on x (N x C x H x W, pixels in
// [0, 1]) with its labels, and returns the batch's loss before the step.
// The loss is the same as TrainModel's.
func (t *Trainer) Step(x *tensor.Dense, labels []int) (float64, error) {
	if err := t.model.checkInput(x); err != nil {
		return 0, fmt.Errorf("train step: %w", err)
	}
	loss, err := t.model.step(contiguous(x), labels, t.optimizer)
	if err != nil {
		return 0, fmt.Errorf("train step: %w", err)
	}
	return loss, nil
}
