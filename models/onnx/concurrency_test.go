package onnx

import (
	"slices"
	"sync"
	"testing"

	"gorgonia.org/tensor"
)

func TestModelConcurrentUse(t *testing.T) {
	fixture := loadMNIST8Fixture(t)
	m := mustMNIST8(t)
	x := fixture.batch()
	labels := make([]int, len(fixture.Images))
	for i, im := range fixture.Images {
		labels[i] = im.Label
	}
	want, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	wantGrad, _, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for worker := 0; worker < 4; worker++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			logits, err := m.Logits(x)
			if err != nil {
				errs <- err
				return
			}
			if !slices.Equal(logits.Data().([]float32), want.Data().([]float32)) {
				t.Errorf("concurrent Logits differ from sequential ones")
			}
			grad, _, err := m.InputGradient(x, labels)
			if err != nil {
				errs <- err
				return
			}
			if !slices.Equal(grad.Data().([]float32), wantGrad.Data().([]float32)) {
				t.Errorf("concurrent InputGradient differs from the sequential one")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// benchmarkImages is the batch size of the benchmarks.
const benchmarkImages = 8

// blankBatch returns n black MNIST-sized images.
func blankBatch(n int) *tensor.Dense {
	return tensor.New(tensor.WithShape(n, 1, 28, 28), tensor.WithBacking(make([]float32, n*784)))
}

func BenchmarkMNIST8Logits(b *testing.B) {
	m := mustMNIST8(b)
	x := blankBatch(benchmarkImages)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Logits(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchmarkImages), "ns/image")
}

func BenchmarkMNIST8InputGradient(b *testing.B) {
	m := mustMNIST8(b)
	x := blankBatch(benchmarkImages)
	labels := make([]int, benchmarkImages)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := m.InputGradient(x, labels); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchmarkImages), "ns/image")
}
