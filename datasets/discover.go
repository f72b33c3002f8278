package datasets

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
)

// Availability is the outcome of Discover for one data set.
type Availability struct {
	// Name is the data set's name, one of Names().
	Name string

	// Found reports whether the set was read without error.
	Found bool

	// Dir is the folder the set was read from, when found.
	Dir string

	// TrainLen and TestLen are the numbers of examples of the splits, Shape
	// the image shape C x H x W and Classes the number of classes, when
	// found.
	TrainLen, TestLen int
	Shape             []int
	Classes           int

	// Searched lists the folders tried, in order.
	Searched []string

	// Err is the error of the first folder tried, when not found: that of
	// the subfolder named after the set when there is one.
	Err error

	// Hint is how to get the set, when not found.
	Hint string
}

// subfolderNames are the folder names under which Discover looks for each
// data set inside a root folder, besides the root itself.
var subfolderNames = map[string][]string{
	MNIST:        {"mnist", "MNIST"},
	FashionMNIST: {"fashion-mnist", "fashion_mnist", "FashionMNIST"},
	CIFAR10:      {"cifar10", "cifar-10", CIFAR10ArchiveFolder},
	CIFAR100:     {"cifar100", "cifar-100", CIFAR100ArchiveFolder},
	ImageFolders: {"imagefolder"},
}

// Discover tries to open every data set of Names() and returns what it
// found, in that order. For each set it tries the subfolders of root named
// after the set (root/cifar10, root/cifar-10-batches-bin, ...), then root
// itself, then the set's default folder (see DefaultDir). An empty root
// skips the first two. A set is found at the first folder Open reads
// without error, so a folder of MNIST-format files in root counts as both
// mnist and fashion-mnist.
//
// Discover reads each set in full, as Open does, which takes a few
// seconds for the 60,000-image sets; for mnist it may run "go mod
// download" as DefaultMNISTDir does.
func Discover(root string, opts Options) []Availability {
	var all []Availability
	for _, name := range Names() {
		all = append(all, discoverSet(name, root, opts))
	}
	return all
}

// discoverSet tries the folders of one data set in turn.
func discoverSet(name, root string, opts Options) Availability {
	result := Availability{Name: name}
	for _, dir := range candidateDirs(name, root) {
		if slices.Contains(result.Searched, dir) {
			continue
		}
		result.Searched = append(result.Searched, dir)
		splits, err := Open(name, dir, opts)
		if err != nil {
			result.Err = cmp.Or(result.Err, err)
			continue
		}
		result.describe(splits)
		return result
	}

	// The default folder, tried last; an empty dir makes Open look there.
	splits, err := Open(name, "", opts)
	if err == nil {
		result.Searched = append(result.Searched, splits.Dir)
		result.describe(splits)
		return result
	}
	result.Err = cmp.Or(result.Err, err)
	result.Hint = Hint(name)
	return result
}

// candidateDirs returns the folders under root to try for the set name.
func candidateDirs(name, root string) []string {
	if root == "" {
		return nil
	}
	var dirs []string
	for _, sub := range subfolderNames[name] {
		dir := filepath.Join(root, sub)
		if info, err := os.Stat(dir); err == nil && info.IsDir() {
			dirs = append(dirs, dir)
		}
	}
	return append(dirs, root)
}

// describe records the sizes of splits as found.
func (a *Availability) describe(splits *Splits) {
	a.Found = true
	a.Dir = splits.Dir
	a.Err = nil
	a.TrainLen = splits.Train.Len()
	a.TestLen = splits.Test.Len()
	a.Shape = splits.Test.Shape()
	a.Classes = splits.Test.Classes()
}
