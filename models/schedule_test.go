package models

import (
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"
)

func TestLearningRateSchedules(t *testing.T) {
	cases := []struct {
		name  string
		cfg   TrainConfig
		epoch int
		want  float64
	}{
		{"constant", TrainConfig{LearningRate: 0.1, Epochs: 10}, 7, 0.1},
		{"step first", TrainConfig{LearningRate: 0.1, Epochs: 10, Schedule: "step",
			StepEvery: 3}, 3, 0.1},
		{"step decayed", TrainConfig{LearningRate: 0.1, Epochs: 10, Schedule: "step",
			StepEvery: 3}, 4, 0.01},
		{"step twice", TrainConfig{LearningRate: 0.1, Epochs: 10, Schedule: "step",
			StepEvery: 3, StepGamma: 0.5}, 7, 0.025},
		{"cosine start", TrainConfig{LearningRate: 0.1, Epochs: 4, Schedule: "cosine"}, 1, 0.1},
		{"cosine middle", TrainConfig{LearningRate: 0.1, Epochs: 4, Schedule: "Cosine"}, 3, 0.05},
		{"cosine second", TrainConfig{LearningRate: 0.1, Epochs: 4, Schedule: "cosine"}, 2,
			0.1 * (1 + math.Sqrt(0.5)) / 2},
	}
	for _, c := range cases {
		got, err := c.cfg.LearningRateAt(c.epoch)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: epoch %d has learning rate %g, want %g", c.name, c.epoch, got, c.want)
		}
	}

	for _, bad := range []TrainConfig{{Schedule: "step"}, {Schedule: "linear"}} {
		if _, err := bad.LearningRateAt(1); err == nil {
			t.Errorf("schedule %q with StepEvery %d: no error", bad.Schedule, bad.StepEvery)
		}
	}
}

func TestWeightDecayStep(t *testing.T) {
	for _, name := range []string{OptimizerSGD, OptimizerAdam} {
		cfg := TrainConfig{Optimizer: name, LearningRate: 0.1, Momentum: -1,
			WeightDecay: 0.5}.withDefaults()
		opt, err := newOptimizer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := &Param{Name: "w", Value: tensor.New(tensor.WithShape(2),
			tensor.WithBacking([]float32{2, -1}))}
		opt.step([]*Param{p}, [][]float32{{0.2, 0.3}})

		// The decayed gradients are 0.2 + 0.5*2 = 1.2 and 0.3 + 0.5*(-1) = -0.2.
		// SGD steps by 0.1 times them; Adam's first step by 0.1 times their sign.
		want := []float64{2 - 0.1*1.2, -1 + 0.1*0.2}
		if name == OptimizerAdam {
			want = []float64{2 - 0.1, -1 + 0.1}
		}
		for j, v := range p.Value.Data().([]float32) {
			if math.Abs(float64(v)-want[j]) > 1e-6 {
				t.Errorf("%s: weight %d is %g after one step, want %g", name, j, v, want[j])
			}
		}
	}
}

// labelledDataset returns n images whose pixels all equal (label+1)/10, so
// any pixel a crop keeps tells the label.
func labelledDataset(n int, shape []int) *memDataset {
	d := &memDataset{shape: shape, classes: 5}
	for i := range n {
		img := make([]float32, product(shape))
		for j := range img {
			img[j] = float32(i%5+1) / 10
		}
		d.images = append(d.images, img)
		d.labels = append(d.labels, i%5)
	}
	return d
}

func augmentedBatch(t *testing.T, data *memDataset, cfg TrainConfig) (*tensor.Dense, []int) {
	t.Helper()
	indices := make([]int, data.Len())
	for i := range indices {
		indices[i] = i
	}
	x, labels, err := loadBatch(data, indices)
	if err != nil {
		t.Fatal(err)
	}
	newAugmenter(cfg).batch(x)
	return x, labels
}

func TestCropKeepsLabels(t *testing.T) {
	data := labelledDataset(20, []int{3, 6, 6})
	x, labels := augmentedBatch(t, data, TrainConfig{CropPad: 2, Flip: true, Seed: 1})
	size := 3 * 6 * 6
	zeros := 0
	for i, label := range labels {
		if label != data.labels[i] {
			t.Fatalf("image %d has label %d, want %d", i, label, data.labels[i])
		}
		for _, v := range x.Data().([]float32)[i*size : (i+1)*size] {
			if v == 0 {
				zeros++
				continue
			}
			if want := float32(label+1) / 10; v != want {
				t.Fatalf("image %d (label %d) has pixel %g, want %g or 0", i, label, v, want)
			}
		}
	}
	if zeros == 0 {
		t.Errorf("no image got zero padding from a crop with pad 2")
	}
}

func TestAugmentReproducibleFromSeed(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := &memDataset{shape: []int{1, 5, 5}, classes: 2}
	for i := range 8 {
		data.images = append(data.images, randomImages(rng, 1, 5, 5).Data().([]float32))
		data.labels = append(data.labels, i%2)
	}

	first, _ := augmentedBatch(t, data, TrainConfig{CropPad: 1, Flip: true, Seed: 3})
	second, _ := augmentedBatch(t, data, TrainConfig{CropPad: 1, Flip: true, Seed: 3})
	other, _ := augmentedBatch(t, data, TrainConfig{CropPad: 1, Flip: true, Seed: 4})
	if !sameFloats(first.Data().([]float32), second.Data().([]float32)) {
		t.Errorf("the same seed gave different augmented batches")
	}
	if sameFloats(first.Data().([]float32), other.Data().([]float32)) {
		t.Errorf("seeds 3 and 4 gave the same augmented batch")
	}
}

func TestFlipMirrorsRows(t *testing.T) {
	pixels := []float32{1, 2, 3, 4, 5, 6}
	flipRows(pixels, 2, 3)
	if want := []float32{3, 2, 1, 6, 5, 4}; !sameFloats(pixels, want) {
		t.Errorf("flipped rows are %v, want %v", pixels, want)
	}
}

func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTrainWithAugmentationAndSchedule(t *testing.T) {
	data := separableDataset(16, []int{1, 8, 8}, 2)
	train := func() []float64 {
		m := mustModel(t, batchNormSpecFor([]int{1, 8, 8}), 3)
		cfg := TrainConfig{Epochs: 2, BatchSize: 8, CropPad: 2, Flip: true, Seed: 5,
			Schedule: ScheduleCosine, WeightDecay: 5e-4}
		report, err := TrainModel(m, data, cfg)
		if err != nil {
			t.Fatalf("TrainModel: %v", err)
		}
		return report.EpochLoss
	}
	first, second := train(), train()
	for i := range first {
		// NOTE: a tolerance, not equality, because the conv kernels are not
		// always bit-reproducible from one run to the next.
		if math.IsNaN(first[i]) || !closeEnough(first[i], second[i], 1e-6, 1e-5) {
			t.Errorf("epoch %d loss is %g in one run and %g in the other", i+1, first[i],
				second[i])
		}
	}
}

func batchNormSpecFor(input []int) Spec {
	spec := batchNormSpec()
	spec.Input = input
	return spec
}
