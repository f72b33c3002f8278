package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// MNISTClasses is the number of classes of MNIST and Fashion-MNIST.
const MNISTClasses = 10

// The base names of the four files of an MNIST-format folder. Each may
// also be stored gzipped, with ".gz" appended.
const (
	MNISTTrainImages = "train-images-idx3-ubyte"
	MNISTTrainLabels = "train-labels-idx1-ubyte"
	MNISTTestImages  = "t10k-images-idx3-ubyte"
	MNISTTestLabels  = "t10k-labels-idx1-ubyte"
)

// LoadMNIST reads the training and test sets of an MNIST-format folder:
// the four files MNISTTrainImages, MNISTTrainLabels, MNISTTestImages and
// MNISTTestLabels, each plain or gzipped. It reads MNIST (60,000 and
// 10,000 images of 1 x 28 x 28) and Fashion-MNIST alike, with 10 classes.
func LoadMNIST(dir string) (train, test *ByteSet, err error) {
	train, err = loadMNISTSplit(dir, MNISTTrainImages, MNISTTrainLabels)
	if err != nil {
		return nil, nil, err
	}
	test, err = loadMNISTSplit(dir, MNISTTestImages, MNISTTestLabels)
	if err != nil {
		return nil, nil, err
	}

	trainShape, testShape := train.Shape(), test.Shape()
	if trainShape[1] != testShape[1] || trainShape[2] != testShape[2] {
		return nil, nil, fmt.Errorf("read MNIST from %s: training images are %dx%d, "+
			"test images %dx%d, want equal sizes",
			dir, trainShape[1], trainShape[2], testShape[1], testShape[2])
	}
	return train, test, nil
}

// loadMNISTSplit reads one split of an MNIST-format folder from the files
// with the given base names.
func loadMNISTSplit(dir, imagesBase, labelsBase string) (*ByteSet, error) {
	imagesPath, err := FindIDXFile(dir, imagesBase)
	if err != nil {
		return nil, err
	}
	labelsPath, err := FindIDXFile(dir, labelsBase)
	if err != nil {
		return nil, err
	}
	return LoadIDX(imagesPath, labelsPath, MNISTClasses)
}

// FindIDXFile returns the path of the file base in dir, or of base+".gz"
// when only the gzipped file exists.
func FindIDXFile(dir, base string) (string, error) {
	for _, name := range []string{base, base + ".gz"} {
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err == nil && info.Mode().IsRegular() {
			return path, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("find %s: %w", path, err)
		}
	}
	return "", fmt.Errorf("find %s in %s: neither %s nor %s.gz exists "+
		"(want an MNIST-format folder of IDX files)", base, dir, base, base)
}

// LoadIDX reads a set of single-channel images from an IDX images file and
// an IDX labels file, gzipped or plain, with labels in 0..classes-1. The
// files must hold the same number of examples.
func LoadIDX(imagesPath, labelsPath string, classes int) (*ByteSet, error) {
	images, err := ReadIDXImages(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadIDXLabels(labelsPath)
	if err != nil {
		return nil, err
	}

	if images.Count != len(labels) {
		return nil, fmt.Errorf("read %s and %s: images file has %d images, "+
			"labels file has %d labels, want equal counts",
			imagesPath, labelsPath, images.Count, len(labels))
	}
	if err := checkLabels(labels, classes); err != nil {
		return nil, fmt.Errorf("read %s: %w", labelsPath, err)
	}

	shape := []int{1, images.Rows, images.Cols}
	set, err := NewByteSet(shape, classes, images.Pixels, labels)
	if err != nil {
		return nil, fmt.Errorf("read %s and %s: %w", imagesPath, labelsPath, err)
	}
	return set, nil
}
