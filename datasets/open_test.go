package datasets

import (
	"fmt"
	"path/filepath"
	"testing"
)

// checkContract checks the Dataset methods of set against the wanted
// sizes and reads its last example.
func checkContract(t *testing.T, set Dataset, length int, shape string, classes int) {
	t.Helper()
	if set.Len() != length || fmt.Sprint(set.Shape()) != shape || set.Classes() != classes {
		t.Errorf("Len %d Shape %v Classes %d, want %d %s %d",
			set.Len(), set.Shape(), set.Classes(), length, shape, classes)
	}
	if length == 0 {
		return
	}

	size := 1
	for _, d := range set.Shape() {
		size *= d
	}
	label, err := set.Example(length-1, make([]float32, size))
	if err != nil {
		t.Fatal(err)
	}
	if label < 0 || label >= classes {
		t.Errorf("label %d of the last example is out of range 0..%d", label, classes-1)
	}
}

func TestOpenMNISTAndFashion(t *testing.T) {
	for _, name := range []string{MNIST, FashionMNIST} {
		dir := sharedDataDir(t, name)
		splits, err := Open(name, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if splits.Name != name || splits.Dir != dir {
			t.Errorf("Name %q Dir %q, want %q and %q", splits.Name, splits.Dir, name, dir)
		}
		checkContract(t, splits.Train, 60000, "[1 28 28]", 10)
		checkContract(t, splits.Test, 10000, "[1 28 28]", 10)
	}
}

func TestOpenFashionDefaultDir(t *testing.T) {
	splits, err := Open(FashionMNIST, "", Options{})
	if !hasMNISTFiles(DebianFashionMNISTDir) {
		wantErrorParts(t, err, DebianFashionMNISTDir, "dataset-fashion-mnist")
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if splits.Dir != DebianFashionMNISTDir {
		t.Errorf("Dir %q, want %q", splits.Dir, DebianFashionMNISTDir)
	}
	checkContract(t, splits.Test, 10000, "[1 28 28]", 10)
}

func TestOpenCIFAR(t *testing.T) {
	dir10 := t.TempDir()
	writeCIFAR10Folder(t, dir10, 4)
	dir100 := t.TempDir()
	writeFile(t, dir100, CIFAR100TrainFile, cifarRecords(0, 7, 2, cifar100Labels))
	writeFile(t, dir100, CIFAR100TestFile, cifarRecords(0, 3, 2, cifar100Labels))

	cifar10, err := Open(CIFAR10, dir10, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, cifar10.Train, 20, "[3 32 32]", 10)
	checkContract(t, cifar10.Test, 4, "[3 32 32]", 10)

	fine, err := Open(CIFAR100, dir100, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, fine.Train, 7, "[3 32 32]", 100)
	coarse, err := Open(CIFAR100, dir100, Options{Coarse: true})
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, coarse.Test, 3, "[3 32 32]", 20)
}

func TestOpenImageFolderOneSplit(t *testing.T) {
	dir := sharedDataDir(t, filepath.Join("samples", "mnist"))
	opts := Options{ImageFolder: ImageFolderConfig{Shape: []int{1, 28, 28}}}
	splits, err := Open(ImageFolders, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, splits.Test, 20, "[1 28 28]", 10)
	checkContract(t, splits.Train, 0, "[1 28 28]", 10)
}

func TestOpenImageFolderSplits(t *testing.T) {
	dir := t.TempDir()
	mkdirs(t, dir, "train/ant", "train/bee", "val/bee", "val/cow")
	writePNG(t, dir, "train/ant/1.png", greyImage(4, 4, 1))
	writePNG(t, dir, "train/bee/2.png", greyImage(4, 4, 2))
	writePNG(t, dir, "val/bee/3.png", greyImage(4, 4, 3))
	writePNG(t, dir, "val/cow/4.png", greyImage(4, 4, 4))

	splits, err := Open(ImageFolders, dir, Options{ImageFolder: ImageFolderConfig{
		Shape: []int{3, 4, 4},
	}})
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, splits.Train, 2, "[3 4 4]", 3)
	checkContract(t, splits.Test, 2, "[3 4 4]", 3)

	// Class names are pooled, so bee is label 1 in both splits.
	test := splits.Test.(*ImageFolder)
	if test.Label(0) != 1 || test.Label(1) != 2 {
		t.Errorf("val labels %d %d, want 1 (bee) and 2 (cow)", test.Label(0), test.Label(1))
	}
	if splits.Train.(*ImageFolder).Label(1) != 1 {
		t.Errorf("train label of bee %d, want 1", splits.Train.(*ImageFolder).Label(1))
	}
}

func TestOpenImageFolderMixedLayouts(t *testing.T) {
	dir := t.TempDir()
	mkdirs(t, dir, "train/ant", "test")
	writePNG(t, dir, "train/ant/1.png", greyImage(4, 4, 1))
	writePNG(t, dir, "test/x_0.png", greyImage(4, 4, 1))

	_, err := Open(ImageFolders, dir, Options{})
	wantErrorParts(t, err, "label differently")
}

func TestOpenErrors(t *testing.T) {
	_, err := Open("svhn", t.TempDir(), Options{})
	wantErrorParts(t, err, `unknown data set "svhn"`, "mnist, fashion-mnist, cifar10, "+
		"cifar100, imagefolder")
	_, err = Open(CIFAR10, "", Options{})
	wantErrorParts(t, err, "no default folder", "cifar-10-binary.tar.gz")
	_, err = Open(ImageFolders, filepath.Join(t.TempDir(), "absent"), Options{})
	wantErrorParts(t, err, "absent")
}

func TestDiscoverRoot(t *testing.T) {
	root := t.TempDir()
	mkdirs(t, root, "cifar-10", "cifar100")
	writeCIFAR10Folder(t, filepath.Join(root, "cifar-10"), 2)
	writeFile(t, filepath.Join(root, "cifar100"), CIFAR100TrainFile,
		cifarRecords(0, 2, 2, cifar100Labels))

	found := Discover(root, Options{})
	if len(found) != len(Names()) {
		t.Fatalf("%d results, want %d", len(found), len(Names()))
	}
	byName := map[string]Availability{}
	for i, a := range found {
		if a.Name != Names()[i] {
			t.Errorf("result %d is %s, want %s", i, a.Name, Names()[i])
		}
		byName[a.Name] = a
	}

	cifar10 := byName[CIFAR10]
	if !cifar10.Found || cifar10.Dir != filepath.Join(root, "cifar-10") ||
		cifar10.TrainLen != 10 || cifar10.TestLen != 2 || cifar10.Classes != 10 ||
		fmt.Sprint(cifar10.Shape) != "[3 32 32]" {
		t.Errorf("cifar10: %+v, want found in cifar-10 with 10 and 2 images", cifar10)
	}

	cifar100 := byName[CIFAR100]
	if cifar100.Found || cifar100.Hint == "" {
		t.Errorf("cifar100: found %v hint %q, want not found with a hint",
			cifar100.Found, cifar100.Hint)
	}
	wantErrorParts(t, cifar100.Err, "missing test.bin")
	if fmt.Sprint(cifar100.Searched) != fmt.Sprint([]string{filepath.Join(root, "cifar100"), root}) {
		t.Errorf("cifar100 searched %v, want root/cifar100 then root", cifar100.Searched)
	}
}
