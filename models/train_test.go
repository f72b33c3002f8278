package models

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
)

func tinyTrainSpec() Spec {
	return Spec{
		Name:    "traincnn",
		Input:   []int{1, 8, 8},
		Classes: 4,
		Stages: []Stage{{Layers: []Layer{
			{Kind: Conv, Out: 4, Kernel: 3, Pad: 1},
			{Kind: ReLU},
			{Kind: MaxPool, Kernel: 2},
		}}},
		Head: []Layer{{Kind: Flatten}, {Kind: Linear, Out: 4}},
	}
}

func TestTrainLowersLoss(t *testing.T) {
	learningRates := map[string]float64{OptimizerSGD: 0.05, OptimizerAdam: 0.01}
	for optimizer, learningRate := range learningRates {
		t.Run(optimizer, func(t *testing.T) {
			m := mustModel(t, tinyTrainSpec(), 1)
			data := separableDataset(64, []int{1, 8, 8}, 2)

			const epochs = 6
			report, err := TrainModel(m, data, TrainConfig{
				Epochs: epochs, BatchSize: 16, Optimizer: optimizer,
				LearningRate: learningRate, Seed: 3,
			})
			if err != nil {
				t.Fatalf("TrainModel: %v", err)
			}
			if len(report.EpochLoss) != epochs {
				t.Fatalf("got %d epoch losses, want %d", len(report.EpochLoss), epochs)
			}
			first, last := report.EpochLoss[0], report.EpochLoss[epochs-1]
			if last >= 0.7*first {
				t.Errorf("loss went from %g to %g, want a drop of at least 30%%", first, last)
			}

			accuracy, err := Accuracy(m, data, 20)
			if err != nil {
				t.Fatal(err)
			}
			if accuracy < 0.9 {
				t.Errorf("training accuracy %g, want at least 0.9", accuracy)
			}
		})
	}
}

func TestTrainSameSeedSameWeights(t *testing.T) {
	data := separableDataset(40, []int{1, 8, 8}, 4)
	train := func() []*Param {
		m := mustModel(t, tinyTrainSpec(), 5)
		cfg := TrainConfig{Epochs: 2, BatchSize: 16, Seed: 6}
		if _, err := TrainModel(m, data, cfg); err != nil {
			t.Fatal(err)
		}
		return m.Params()
	}

	first, second := train(), train()
	for i, p := range first {
		want := p.Value.Data().([]float32)
		for j, v := range second[i].Value.Data().([]float32) {
			if math.Float32bits(v) != math.Float32bits(want[j]) {
				t.Fatalf("%s[%d]: %g in one run, %g in the other", p.Name, j, want[j], v)
			}
		}
	}
}

// nanLossNet is a backbone whose training loss is the log of the negated
// cross-entropy, NaN for every batch.
type nanLossNet struct {
	*Backbone
}

func (n nanLossNet) TrainLoss(out Outputs, targets *gorgonia.Node) (*gorgonia.Node, error) {
	loss, err := meanCrossEntropy(out.Logits, targets)
	if err != nil {
		return nil, err
	}
	return gorgonia.Log(gorgonia.Must(gorgonia.Neg(loss)))
}

func TestTrainNaNLossFails(t *testing.T) {
	spec := tinyTrainSpec()
	backbone, err := NewBackbone(spec, 7)
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(nanLossNet{backbone}, spec.Input, spec.Classes)
	before := append([]float32(nil), m.Params()[0].Value.Data().([]float32)...)
	data := separableDataset(32, []int{1, 8, 8}, 8)

	_, err = TrainModel(m, data, TrainConfig{BatchSize: 8})
	if err == nil {
		t.Fatal("TrainModel accepted a NaN loss")
	}
	if !strings.Contains(err.Error(), "epoch 1 batch 1") || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("error %q does not name the epoch, batch and NaN", err)
	}
	for j, v := range m.Params()[0].Value.Data().([]float32) {
		if v != before[j] {
			t.Fatalf("weight %d changed from %g to %g by a NaN step", j, before[j], v)
		}
	}
}

func TestTrainNaNPixelFails(t *testing.T) {
	m := mustModel(t, tinyTrainSpec(), 7)
	data := separableDataset(32, []int{1, 8, 8}, 8)
	data.images[20][5] = float32(math.NaN())

	_, err := TrainModel(m, data, TrainConfig{BatchSize: 8})
	if err == nil {
		t.Fatal("TrainModel accepted a NaN pixel")
	}
	if !strings.Contains(err.Error(), "batch") || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("error %q does not name the batch and NaN", err)
	}
}

func TestTrainProgressAndLimit(t *testing.T) {
	m := mustModel(t, tinyTrainSpec(), 9)
	data := separableDataset(50, []int{1, 8, 8}, 10)

	var calls, lastDone, lastTotal int
	cfg := TrainConfig{
		Epochs: 2, BatchSize: 8, Limit: 20,
		Progress: func(done, total int, loss float64) {
			calls++
			lastDone, lastTotal = done, total
		},
	}
	report, err := TrainModel(m, data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 20 images in batches of 8 is 3 steps per epoch.
	if report.Steps != 6 || calls != 6 || lastDone != 6 || lastTotal != 6 {
		t.Errorf("steps %d, progress calls %d, last (%d, %d), want 6 each",
			report.Steps, calls, lastDone, lastTotal)
	}
	if report.Images != 20 {
		t.Errorf("images %d, want 20", report.Images)
	}
}

func TestTrainConfigErrors(t *testing.T) {
	m := mustModel(t, tinyTrainSpec(), 11)
	data := separableDataset(8, []int{1, 8, 8}, 12)
	cases := map[string]TrainConfig{
		"optimizer": {Optimizer: "rmsprop"},
		"epochs":    {Epochs: -1},
		"batch":     {BatchSize: -2},
	}
	for name, cfg := range cases {
		if _, err := TrainModel(m, data, cfg); err == nil {
			t.Errorf("%s: TrainModel accepted %+v", name, cfg)
		}
	}

	wrongShape := separableDataset(8, []int{1, 6, 6}, 13)
	if _, err := TrainModel(m, wrongShape, TrainConfig{}); err == nil {
		t.Error("TrainModel accepted 6x6 images for an 8x8 model")
	}
}

func TestTrainConfigDefaults(t *testing.T) {
	sgd := TrainConfig{}.withDefaults()
	if sgd.Epochs != 1 || sgd.BatchSize != 128 || sgd.Optimizer != OptimizerSGD ||
		sgd.LearningRate != 0.01 || sgd.Momentum != 0.9 {
		t.Errorf("zero config became %+v", sgd)
	}
	adam := TrainConfig{Optimizer: "Adam"}.withDefaults()
	if adam.Optimizer != OptimizerAdam || adam.LearningRate != 0.001 {
		t.Errorf("Adam config became %+v, want adam with learning rate 0.001", adam)
	}
	if none := (TrainConfig{Momentum: -1}).withDefaults(); none.Momentum != 0 {
		t.Errorf("momentum -1 became %g, want 0", none.Momentum)
	}
}

func TestTrainUpdatesCachedGraphs(t *testing.T) {
	m := mustModel(t, tinyTrainSpec(), 14)
	data := separableDataset(16, []int{1, 8, 8}, 15)
	x, labels, err := loadBatch(data, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.InputGradient(x, labels); err != nil {
		t.Fatal(err)
	}

	if _, err := TrainModel(m, data, TrainConfig{BatchSize: 8, LearningRate: 0.1}); err != nil {
		t.Fatal(err)
	}
	cached, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := NewModel(m.Net(), m.InputShape(), m.Classes()).Logits(x)
	if err != nil {
		t.Fatal(err)
	}

	changed := false
	freshData := fresh.Data().([]float32)
	beforeData := before.Data().([]float32)
	for j, v := range cached.Data().([]float32) {
		changed = changed || v != beforeData[j]
		if v != freshData[j] {
			t.Fatalf("logit %d: cached graph %g, fresh graph %g", j, v, freshData[j])
		}
	}
	if !changed {
		t.Error("logits did not change after training")
	}
}
