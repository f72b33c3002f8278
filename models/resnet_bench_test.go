package models

import (
	"testing"
)

// BenchmarkTrainStepResNet20 times one SGD step of ResNet-20 at batch 32
// on 3x32x32 images; images/s is the batch size over the time per step.
func BenchmarkTrainStepResNet20(b *testing.B) {
	spec, err := SpecByName("resnet20", []int{3, 32, 32}, 10)
	if err != nil {
		b.Fatal(err)
	}
	m := mustModel(b, spec, 1)
	data := separableDataset(32, []int{3, 32, 32}, 2)
	indices := make([]int, 32)
	for i := range indices {
		indices[i] = i
	}
	opt, err := newOptimizer(TrainConfig{WeightDecay: 5e-4}.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.trainStep(data, indices, opt); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for range b.N {
		if _, err := m.trainStep(data, indices, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "images/s")
}
