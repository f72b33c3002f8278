package models

import (
	"math/rand"
	"testing"
)

const benchBatch = 128

// benchSmallCNN returns the 28x28 SmallCNN, a batch of random images and
// labels: the workload of the PyTorch reference for MNIST.
func benchSmallCNN(b *testing.B) (*Model, *memDataset) {
	m := mustModel(b, SmallCNN([]int{1, 28, 28}, 10), 1)
	rng := rand.New(rand.NewSource(2))
	data := &memDataset{shape: []int{1, 28, 28}, classes: 10}
	for i := range benchBatch {
		img := make([]float32, 28*28)
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
	m, data := benchSmallCNN(b)
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
	m, data := benchSmallCNN(b)
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
	m, data := benchSmallCNN(b)
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
