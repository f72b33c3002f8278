package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Names of the data sets that Open reads.
const (
	MNIST        = "mnist"
	FashionMNIST = "fashion-mnist"
	CIFAR10      = "cifar10"
	CIFAR100     = "cifar100"
	ImageFolders = "imagefolder"
)

// DebianFashionMNISTDir is the folder in which Debian's package
// dataset-fashion-mnist installs the four gzipped Fashion-MNIST IDX files.
const DebianFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// Split folder names of an image folder: a "train" subfolder holds the
// training split, and a "test" subfolder, or else a "val" one, the test
// split.
const (
	TrainFolder      = "train"
	TestFolder       = "test"
	ValidationFolder = "val"
)

// Options selects among the variants of a data set. The zero value gives
// each set's defaults.
type Options struct {
	// Coarse selects CIFAR-100's 20 coarse labels instead of its 100 fine
	// ones.
	Coarse bool

	// ImageFolder sets the image shape, resizing and classes of the
	// "imagefolder" set.
	ImageFolder ImageFolderConfig
}

// Splits is a data set's training and test splits.
type Splits struct {
	// Name is the data set's name, one of Names().
	Name string

	// Dir is the folder the files were read from.
	Dir string

	// Train and Test are the splits. Both have the same Shape and Classes.
	// Train is empty (Len 0) for an image folder without a train
	// subfolder.
	Train, Test Dataset
}

// Names returns the names Open accepts, in the order "mma datasets" lists
// them.
func Names() []string {
	return []string{MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageFolders}
}

// Open reads the data set called name from dir. An empty dir means the
// set's default copy. For mnist that is the Go module cache copy that
// DefaultMNISTDir finds, and for fashion-mnist DebianFashionMNISTDir. The
// other sets have none and need a dir.
//
// MNIST-format sets (mnist, fashion-mnist) and CIFAR sets are read into
// memory as bytes, one per pixel value; an image folder is read lazily,
// one file per Example call. An image folder with "train" and "test" (or
// "val") subfolders gives those two splits; any other image folder is the
// test split, with an empty training split.
func Open(name, dir string, opts Options) (*Splits, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(name); err != nil {
			return nil, err
		}
	}

	var train, test Dataset
	var err error
	switch name {
	case MNIST, FashionMNIST:
		train, test, err = openMNIST(dir)
	case CIFAR10:
		train, test, err = openCIFAR10(dir)
	case CIFAR100:
		train, test, err = openCIFAR100(dir, opts.Coarse)
	case ImageFolders:
		train, test, err = LoadImageFolders(dir, opts.ImageFolder)
	default:
		return nil, unknownNameError(name)
	}
	if err != nil {
		return nil, err
	}
	return &Splits{Name: name, Dir: dir, Train: train, Test: test}, nil
}

// DefaultDir returns the folder Open reads name from when given none, or
// an error saying how to get the data set.
func DefaultDir(name string) (string, error) {
	switch name {
	case MNIST:
		return DefaultMNISTDir()
	case FashionMNIST:
		if hasMNISTFiles(DebianFashionMNISTDir) {
			return DebianFashionMNISTDir, nil
		}
		return "", fmt.Errorf("Fashion-MNIST not found in %s: %s",
			DebianFashionMNISTDir, Hint(name))
	case CIFAR10, CIFAR100, ImageFolders:
		return "", fmt.Errorf("data set %s has no default folder: %s", name, Hint(name))
	}
	return "", unknownNameError(name)
}

// Hint returns how to get the data set called name, for messages.
func Hint(name string) string {
	switch name {
	case MNIST:
		return "build with the Go module " + GoMNISTModule + " in the module cache, " +
			"or pass --data-dir with the four MNIST IDX files"
	case FashionMNIST:
		return "install Debian's package dataset-fashion-mnist " +
			"(apt-get install dataset-fashion-mnist), or pass --data-dir with its " +
			"four IDX files"
	case CIFAR10:
		return "pass --data-dir with the CIFAR-10 binary files (data_batch_1.bin .. " +
			"data_batch_5.bin, test_batch.bin), as extracted from " +
			"https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
	case CIFAR100:
		return "pass --data-dir with the CIFAR-100 binary files (train.bin, test.bin), " +
			"as extracted from https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
	case ImageFolders:
		return "pass --data-dir with a folder of PNG or JPEG files labelled by file name " +
			"(NAME_LABEL.png), by " + LabelsFileName + " or by class subfolders"
	}
	return ""
}

// unknownNameError lists the known names.
func unknownNameError(name string) error {
	return fmt.Errorf("unknown data set %q, want one of %s",
		name, strings.Join(Names(), ", "))
}

// openMNIST reads an MNIST-format folder.
func openMNIST(dir string) (train, test Dataset, err error) {
	trainSet, testSet, err := LoadMNIST(dir)
	if err != nil {
		return nil, nil, err
	}
	return trainSet, testSet, nil
}

// openCIFAR10 reads a CIFAR-10 binary folder.
func openCIFAR10(dir string) (train, test Dataset, err error) {
	trainSet, testSet, err := LoadCIFAR10(dir)
	if err != nil {
		return nil, nil, err
	}
	return trainSet, testSet, nil
}

// openCIFAR100 reads a CIFAR-100 binary folder.
func openCIFAR100(dir string, coarse bool) (train, test Dataset, err error) {
	trainSet, testSet, err := LoadCIFAR100(dir, coarse)
	if err != nil {
		return nil, nil, err
	}
	return trainSet, testSet, nil
}

// LoadImageFolders reads an image folder's splits. When dir has a "train"
// subfolder or a "test" (else "val") one, each of them is a split, listed
// as NewImageFolder does, and a missing one is an empty split. Class
// folder names are pooled across the splits, so that a class has the same
// label in both. A folder without such subfolders is the test split, and
// the training split is empty. Empty splits have the shape and classes of
// the other.
func LoadImageFolders(dir string, cfg ImageFolderConfig) (train, test Dataset, err error) {
	trainDir, testDir, err := imageFolderSplits(dir)
	if err != nil {
		return nil, nil, err
	}

	var listings []*folderListing
	for _, splitDir := range []string{trainDir, testDir} {
		if splitDir == "" {
			continue
		}
		listing, err := listImageFolder(splitDir)
		if err != nil {
			return nil, nil, err
		}
		listings = append(listings, listing)
	}
	sets, err := newImageFolders(listings, cfg)
	if err != nil {
		return nil, nil, err
	}

	switch {
	case trainDir != "" && testDir != "":
		return sets[0], sets[1], nil
	case trainDir != "":
		return sets[0], Head(sets[0], 0), nil
	default:
		return Head(sets[0], 0), sets[0], nil
	}
}

// imageFolderSplits returns the split folders of dir: its train and test
// (or val) subfolders, or "" and dir itself when it has neither.
func imageFolderSplits(dir string) (trainDir, testDir string, err error) {
	info, err := os.Stat(dir)
	if err != nil {
		return "", "", fmt.Errorf("image folder: %w", err)
	}
	if !info.IsDir() {
		return "", "", fmt.Errorf("image folder %s is not a folder", dir)
	}

	if trainDir, err = subfolder(dir, TrainFolder); err != nil {
		return "", "", err
	}
	for _, name := range []string{TestFolder, ValidationFolder} {
		if testDir, err = subfolder(dir, name); testDir != "" || err != nil {
			break
		}
	}
	if err != nil {
		return "", "", err
	}
	if trainDir == "" && testDir == "" {
		return "", dir, nil
	}
	return trainDir, testDir, nil
}

// subfolder returns dir/name when it is a folder, and "" when it is absent
// or not a folder.
func subfolder(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("image folder: %w", err)
	}
	if !info.IsDir() {
		return "", nil
	}
	return path, nil
}
