package models

import (
	"math/rand"
	"strings"
	"testing"
)

func TestTrainerStepLowersLoss(t *testing.T) {
	spec := tinyCNNSpec()
	m := mustModel(t, spec, 1)
	trainer, err := NewTrainer(m, TrainConfig{Optimizer: OptimizerAdam})
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(rand.New(rand.NewSource(2)), append([]int{8}, spec.Input...)...)
	labels := []int{0, 1, 2, 0, 1, 2, 0, 1}

	first, err := trainer.Step(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	var last float64
	for range 20 {
		if last, err = trainer.Step(x, labels); err != nil {
			t.Fatal(err)
		}
	}
	if last >= first {
		t.Errorf("loss after 20 steps on one batch = %v, first = %v; want it lower", last, first)
	}
}

func TestTrainerStepErrors(t *testing.T) {
	spec := tinyCNNSpec()
	m := mustModel(t, spec, 1)
	trainer, err := NewTrainer(m, TrainConfig{})
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(rand.New(rand.NewSource(2)), append([]int{2}, spec.Input...)...)

	if _, err := trainer.Step(x, []int{0}); err == nil || !strings.Contains(err.Error(), "labels") {
		t.Errorf("one label for two images: error = %v, want one about labels", err)
	}
	wrong := randomImages(rand.New(rand.NewSource(2)), 2, 3, 5, 5)
	if _, err := trainer.Step(wrong, []int{0, 1}); err == nil ||
		!strings.Contains(err.Error(), "shape") {
		t.Errorf("wrong shape: error = %v, want one about the shape", err)
	}
	if _, err := NewTrainer(m, TrainConfig{Optimizer: "lbfgs"}); err == nil {
		t.Error("unknown optimizer accepted")
	}
}
