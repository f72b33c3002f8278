package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkImageFolderImageNet decodes, resizes (shorter side 256) and
// centre-crops to 3 x 224 x 224 the 20 ImageNet sample JPEGs in turn.
func BenchmarkImageFolderImageNet(b *testing.B) {
	dir := filepath.Join(moduleRoot(b), "..", "shared", "data", "samples", "imagenet")
	set, err := NewImageFolder(dir, ImageFolderConfig{Resize: 256, Classes: 1000})
	if err != nil {
		b.Skipf("samples in %s: %v", dir, err)
	}
	dst := make([]float32, 3*224*224)

	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := set.Example(i%set.Len(), dst); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkLoadCIFAR10 reads a CIFAR-10 folder of full size: 50,000
// training and 10,000 test records, 184 MB.
func BenchmarkLoadCIFAR10(b *testing.B) {
	dir := b.TempDir()
	for k, name := range CIFAR10TrainFiles {
		writeBenchFile(b, dir, name, cifarRecords(k*10000, 10000, 1, cifar10Label))
	}
	writeBenchFile(b, dir, CIFAR10TestFile, cifarRecords(0, 10000, 1, cifar10Label))

	b.SetBytes(60000 * (1 + cifarPixels))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := LoadCIFAR10(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// moduleRoot returns the folder holding go.mod above the working directory.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// writeBenchFile writes content to name in dir.
func writeBenchFile(tb testing.TB, dir, name string, content []byte) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
		tb.Fatal(err)
	}
}
