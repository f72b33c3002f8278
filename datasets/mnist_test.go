package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDataDir returns the shared data folder beside the repository root,
// found by walking up from the working directory to the folder holding
// go.mod, or skips t when that folder lacks sub.
func sharedDataDir(t *testing.T, sub string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}

	path := filepath.Join(dir, "..", "shared", "data", sub)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("data folder %s not found: %v", path, err)
	}
	return path
}

// writeMNISTFolder writes an MNIST-format folder of 3 training and 2 test
// images of 2x3 pixels, with the training files gzipped and the test files
// plain.
func writeMNISTFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, MNISTTrainImages+".gz",
		gzipBytes(t, idxBytes(0x803, []uint32{3, 2, 3}, sequence(18))))
	writeFile(t, dir, MNISTTrainLabels+".gz",
		gzipBytes(t, idxBytes(0x801, []uint32{3}, []byte{5, 0, 4})))
	writeFile(t, dir, MNISTTestImages, idxBytes(0x803, []uint32{2, 2, 3}, []byte{
		0, 51, 102, 153, 204, 255,
		255, 255, 255, 0, 0, 0,
	}))
	writeFile(t, dir, MNISTTestLabels, idxBytes(0x801, []uint32{2}, []byte{7, 9}))
	return dir
}

func TestLoadMNISTMixedFiles(t *testing.T) {
	train, test, err := LoadMNIST(writeMNISTFolder(t))
	if err != nil {
		t.Fatal(err)
	}

	if train.Len() != 3 || test.Len() != 2 {
		t.Errorf("lengths %d and %d, want 3 and 2", train.Len(), test.Len())
	}
	if shape := test.Shape(); len(shape) != 3 || shape[0] != 1 || shape[1] != 2 ||
		shape[2] != 3 {
		t.Errorf("shape %v, want [1 2 3]", shape)
	}
	if train.Classes() != 10 {
		t.Errorf("%d classes, want 10", train.Classes())
	}

	pixels := make([]float32, 6)
	label, err := test.Example(0, pixels)
	if err != nil {
		t.Fatal(err)
	}
	if label != 7 {
		t.Errorf("label %d, want 7", label)
	}
	want := []float32{0, 0.2, 0.4, 0.6, 0.8, 1}
	for i := range want {
		if diff := pixels[i] - want[i]; diff > 1e-6 || diff < -1e-6 {
			t.Errorf("pixel %d is %v, want %v", i, pixels[i], want[i])
		}
	}

	label, err = train.Example(2, pixels)
	if err != nil {
		t.Fatal(err)
	}
	if label != 4 {
		t.Errorf("training label 2 is %d, want 4", label)
	}
	if want := float32(12) / 255; pixels[0] != want {
		t.Errorf("training image 2 starts with %v, want %v", pixels[0], want)
	}
}

func TestLoadMNISTMissingFile(t *testing.T) {
	dir := writeMNISTFolder(t)
	if err := os.Remove(filepath.Join(dir, MNISTTestLabels)); err != nil {
		t.Fatal(err)
	}

	_, _, err := LoadMNIST(dir)
	wantErrorParts(t, err, dir, "neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz")
}

func TestLoadIDXMismatchedCounts(t *testing.T) {
	dir := t.TempDir()
	images := writeFile(t, dir, "images", idxBytes(0x803, []uint32{3, 2, 2}, sequence(12)))
	labels := writeFile(t, dir, "labels", idxBytes(0x801, []uint32{2}, []byte{1, 2}))

	_, err := LoadIDX(images, labels, 10)
	wantErrorParts(t, err, images, labels, "images file has 3 images",
		"labels file has 2 labels")
}

func TestLoadIDXLabelOutOfRange(t *testing.T) {
	dir := t.TempDir()
	images := writeFile(t, dir, "images", idxBytes(0x803, []uint32{3, 2, 2}, sequence(12)))
	labels := writeFile(t, dir, "labels.gz",
		gzipBytes(t, idxBytes(0x801, []uint32{3}, []byte{1, 12, 2})))

	_, err := LoadIDX(images, labels, 10)
	wantErrorParts(t, err, "read "+labels+": ", "label 12 of example 1 is out of range 0..9")
}

func TestByteSetExampleErrors(t *testing.T) {
	set, err := NewByteSet([]int{1, 2, 2}, 3, sequence(8), []uint8{0, 2})
	if err != nil {
		t.Fatal(err)
	}

	_, err = set.Example(2, make([]float32, 4))
	wantErrorParts(t, err, "example 2 out of range [0, 2)")
	_, err = set.Example(-1, make([]float32, 4))
	wantErrorParts(t, err, "example -1 out of range [0, 2)")
	_, err = set.Example(0, make([]float32, 3))
	wantErrorParts(t, err, "destination has 3 values, want 4")
}

func TestNewByteSetErrors(t *testing.T) {
	tests := []struct {
		name    string
		shape   []int
		classes int
		pixels  int
		labels  []uint8
		part    string
	}{
		{"two dimensions", []int{2, 2}, 3, 8, []uint8{0, 1}, "image shape [2 2]"},
		{"zero height", []int{1, 0, 2}, 3, 0, []uint8{0, 1}, "image shape [1 0 2]"},
		{"no classes", []int{1, 2, 2}, 0, 8, []uint8{0, 1}, "0 classes, want 1..256"},
		{"short pixels", []int{1, 2, 2}, 3, 7, []uint8{0, 1}, "7 pixel values for 2 labels"},
		{"label too large", []int{1, 2, 2}, 3, 8, []uint8{0, 3}, "label 3 of example 1"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := NewByteSet(test.shape, test.classes, sequence(test.pixels), test.labels)
			wantErrorParts(t, err, test.part)
		})
	}
}

// classCounts returns how many images of set carry each label.
func classCounts(set *ByteSet) []int {
	counts := make([]int, set.Classes())
	for i := 0; i < set.Len(); i++ {
		counts[set.Label(i)]++
	}
	return counts
}

func TestLoadMNISTRealData(t *testing.T) {
	train, test, err := LoadMNIST(sharedDataDir(t, "mnist"))
	if err != nil {
		t.Fatal(err)
	}

	if train.Len() != 60000 || test.Len() != 10000 {
		t.Errorf("lengths %d and %d, want 60000 and 10000", train.Len(), test.Len())
	}
	if shape := train.Shape(); shape[0] != 1 || shape[1] != 28 || shape[2] != 28 {
		t.Errorf("shape %v, want [1 28 28]", shape)
	}
	// The first test digit is a 7 and the first training digit a 5.
	if label := test.Label(0); label != 7 {
		t.Errorf("first test label %d, want 7", label)
	}
	if label := train.Label(0); label != 5 {
		t.Errorf("first training label %d, want 5", label)
	}
	// The 10,000 test digits have 980 zeros and 1135 ones.
	counts := classCounts(test)
	if counts[0] != 980 || counts[1] != 1135 {
		t.Errorf("test class counts %v, want 980 zeros and 1135 ones", counts)
	}

	pixels := make([]float32, 28*28)
	if _, err := test.Example(0, pixels); err != nil {
		t.Fatal(err)
	}
	var lowest, highest float32 = 1, 0
	for _, v := range pixels {
		lowest, highest = min(lowest, v), max(highest, v)
	}
	if lowest != 0 || highest != 1 {
		t.Errorf("first test image spans [%v, %v], want [0, 1]", lowest, highest)
	}
}

func TestLoadMNISTFashion(t *testing.T) {
	train, test, err := LoadMNIST(sharedDataDir(t, "fashion-mnist"))
	if err != nil {
		t.Fatal(err)
	}

	if train.Len() != 60000 || test.Len() != 10000 {
		t.Errorf("lengths %d and %d, want 60000 and 10000", train.Len(), test.Len())
	}
	// Fashion-MNIST is balanced: 6,000 training and 1,000 test images a class.
	for class, count := range classCounts(train) {
		if count != 6000 {
			t.Errorf("class %d has %d training images, want 6000", class, count)
		}
	}
	for class, count := range classCounts(test) {
		if count != 1000 {
			t.Errorf("class %d has %d test images, want 1000", class, count)
		}
	}
}
