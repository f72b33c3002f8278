package eval

import (
	"path/filepath"
	"testing"
)

// benchmarkSet returns 1000 CIFAR-sized (3 x 32 x 32) images, 12 MB of
// pixels.
func benchmarkSet() *AdvSet {
	set := testSet()
	set.Shape = []int{3, 32, 32}
	n := 1000
	set.Indices = make([]int, n)
	set.Labels = make([]int, n)
	set.Images = make([]float32, n*3*32*32)
	for i := range set.Images {
		set.Images[i] = float32(i%255) / 255
	}
	return set
}

func BenchmarkSaveAdvSet(b *testing.B) {
	set := benchmarkSet()
	path := filepath.Join(b.TempDir(), "bench.adv")
	b.SetBytes(int64(4 * len(set.Images)))

	for b.Loop() {
		if err := SaveAdvSet(path, set); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadAdvSet(b *testing.B) {
	set := benchmarkSet()
	path := filepath.Join(b.TempDir(), "bench.adv")
	if err := SaveAdvSet(path, set); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(4 * len(set.Images)))

	for b.Loop() {
		if _, err := LoadAdvSet(path); err != nil {
			b.Fatal(err)
		}
	}
}
