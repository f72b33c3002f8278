package models

import (
	"math/rand"
	"testing"
)

const benchBatch = 128

// benchSmallCNN returns the 28x28 SmallCNN, a batch of random images and
// labels: the workload of the PyTorch reference for MNIST.
func benchSmallCNN(b *testing.B) (*Model, *memDataset) {
	return benchModel(b, SmallCNN([]int{1, 28, 28}, 10))
}

// benchResNet20 returns ResNet-20 on 3x32x32 images with a random batch:
// the workload of the PyTorch reference for CIFAR-10.
func benchResNet20(b *testing.B) (*Model, *memDataset) {
	spec, err := SpecByName("resnet20", []int{3, 32, 32}, 10)
	if err != nil {
		b.Fatal(err)
	}
	return benchModel(b, spec)
}

func benchModel(b *testing.B, spec Spec) (*Model, *memDataset) {
	m := mustModel(b, spec, 1)
	rng := rand.New(rand.NewSource(2))
	data := &memDataset{shape: spec.Input, classes: 10}
	size := spec.Input[0] * spec.Input[1] * spec.Input[2]
	for i := range benchBatch {
		img := make([]float32, size)
		for j := range img {
			img[j] = rng.Float32()
		}
		data.images = append(data.images, img)
		data.labels = append(data.labels, i%10)
	}
	return m, data
}

func reportImagesPerSecond(b *testing.B) {
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkTrainStepSmallCNN(b *testing.B) {
	benchTrainStep(b, benchSmallCNN)
}

func BenchmarkTrainStepResNet20(b *testing.B) {
	benchTrainStep(b, benchResNet20)
}

func benchTrainStep(b *testing.B, workload func(*testing.B) (*Model, *memDataset)) {
	m, data := workload(b)
	opt, err := newOptimizer(TrainConfig{}.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	indices := rand.New(rand.NewSource(3)).Perm(benchBatch)
	if _, err := m.trainStep(data, indices, opt); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for range b.N {
		if _, err := m.trainStep(data, indices, opt); err != nil {
			b.Fatal(err)
		}
	}
	reportImagesPerSecond(b)
}

func BenchmarkInputGradientSmallCNN(b *testing.B) {
	benchInputGradient(b, benchSmallCNN)
}

func BenchmarkInputGradientResNet20(b *testing.B) {
	benchInputGradient(b, benchResNet20)
}

func benchInputGradient(b *testing.B, workload func(*testing.B) (*Model, *memDataset)) {
	m, data := workload(b)
	indices := rand.New(rand.NewSource(3)).Perm(benchBatch)
	x, labels, err := loadBatch(data, indices)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := m.InputGradient(x, labels); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for range b.N {
		if _, _, err := m.InputGradient(x, labels); err != nil {
			b.Fatal(err)
		}
	}
	reportImagesPerSecond(b)
}

func BenchmarkLogitsSmallCNN(b *testing.B) {
	benchLogits(b, benchSmallCNN)
}

func BenchmarkLogitsResNet20(b *testing.B) {
	benchLogits(b, benchResNet20)
}

func benchLogits(b *testing.B, workload func(*testing.B) (*Model, *memDataset)) {
	m, data := workload(b)
	indices := rand.New(rand.NewSource(3)).Perm(benchBatch)
	x, _, err := loadBatch(data, indices)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Logits(x); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for range b.N {
		if _, err := m.Logits(x); err != nil {
			b.Fatal(err)
		}
	}
	reportImagesPerSecond(b)
}
