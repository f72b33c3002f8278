package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmatransfer/mma/datasets"
)

// writeCIFAR10 writes the six CIFAR-10 binary files into dir with one
// record each, labelled 3.
func writeCIFAR10(t *testing.T, dir string) {
	t.Helper()
	record := make([]byte, 1+3*32*32)
	record[0] = 3
	names := append(append([]string{}, datasets.CIFAR10TrainFiles...), datasets.CIFAR10TestFile)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), record, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadDataCIFAR10(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir)

	data, err := LoadData("cifar10", dir)
	if err != nil {
		t.Fatal(err)
	}
	if data.Name != "cifar10" || data.Dir != dir {
		t.Errorf("Name %q Dir %q, want cifar10 and %q", data.Name, data.Dir, dir)
	}
	if data.Train.Len() != 5 || data.Test.Len() != 1 || data.Test.Classes() != 10 {
		t.Errorf("Len train %d test %d Classes %d, want 5, 1 and 10",
			data.Train.Len(), data.Test.Len(), data.Test.Classes())
	}
}

func TestLoadDataWithCoarseLabels(t *testing.T) {
	dir := t.TempDir()
	record := make([]byte, 2+3*32*32)
	record[0], record[1] = 19, 99
	for _, name := range []string{datasets.CIFAR100TrainFile, datasets.CIFAR100TestFile} {
		if err := os.WriteFile(filepath.Join(dir, name), record, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	data, err := LoadDataWith("cifar100", dir, datasets.Options{Coarse: true})
	if err != nil {
		t.Fatal(err)
	}
	label, err := data.Test.Example(0, make([]float32, 3*32*32))
	if err != nil {
		t.Fatal(err)
	}
	if data.Test.Classes() != 20 || label != 19 {
		t.Errorf("Classes %d label %d, want 20 and 19", data.Test.Classes(), label)
	}
}

func TestLoadDataErrors(t *testing.T) {
	_, err := LoadData("kmnist", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), `unknown data set "kmnist"`) {
		t.Errorf("error %v, want one naming the unknown data set", err)
	}
	_, err = LoadData("cifar10", "")
	if err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("error %v, want one saying to pass --data-dir", err)
	}
}
