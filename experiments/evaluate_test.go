package experiments

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmatransfer/mma/attacks"
	"github.com/mmatransfer/mma/datasets"
	"github.com/mmatransfer/mma/eval"
	"github.com/mmatransfer/mma/models"
)

// inverted serves a data set's images with every pixel p replaced by 1-p.
type inverted struct{ datasets.Dataset }

func (d inverted) Example(i int, dst []float32) (int, error) {
	label, err := d.Dataset.Example(i, dst)
	for j := range dst {
		dst[j] = 1 - dst[j]
	}
	return label, err
}

// craftTwoSeeds attacks the first images of data's test split with FGSM on
// two untrained MLPs of one architecture and returns the set files and
// the first model.
func craftTwoSeeds(t *testing.T, data *Data) ([]string, *models.Model) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	var first *models.Model
	for _, seed := range []int64{1, 2} {
		model, _, arch, err := BuildModel("mlp", data.Test.Shape(), 10, seed)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = model
		}
		set, err := Craft(CraftOptions{
			Surrogate: model, Ref: eval.ModelRef{Arch: arch}, Attack: attacks.FGSM{Eps: 0.1},
			Data: data.Test, Source: eval.ImageSource{Dataset: data.Name, Split: "test"},
			Indices: firstIndices(8),
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "seed"+string(rune('0'+seed))+".advset")
		if err := eval.SaveAdvSet(path, set); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths, first
}

func TestEvaluateNamesSurrogatesApart(t *testing.T) {
	data, err := LoadData("mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	sets, model := craftTwoSeeds(t, data)
	table, err := Evaluate(EvalOptions{Sets: sets, Data: data,
		Targets: []Target{{Name: "mlp", Model: model}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mlp [seed1]", "mlp [seed2]"}
	for i, row := range table.Rows {
		if row.Surrogate != want[i] {
			t.Errorf("row %d surrogate = %q, want %q", i, row.Surrogate, want[i])
		}
	}
}

func TestEvaluateRejectsMismatches(t *testing.T) {
	data, err := LoadData("mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	sets, model := craftTwoSeeds(t, data)

	fiveClasses, _, _, err := BuildModel("mlp", data.Test.Shape(), 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	invertedData := &Data{Name: "mnist", Dir: "inverted", Train: data.Train,
		Test: inverted{data.Test}}

	cases := []struct {
		name string
		opts EvalOptions
		want string
	}{
		{"five-class target", EvalOptions{Sets: sets[:1], Data: data,
			Targets: []Target{{Name: "five", Model: fiveClasses}}}, "gives 5 classes"},
		{"other images", EvalOptions{Sets: sets[:1], Data: invertedData,
			Targets: []Target{{Name: "mlp", Model: model}}}, "beyond the attack's budget"},
		{"target of another data set", EvalOptions{Sets: sets[:1], Data: data,
			Targets: []Target{{Name: "fashion", Model: model, Dataset: "fashion-mnist"}}},
			"was trained on fashion-mnist"},
		{"one name twice", EvalOptions{Sets: sets[:1], Data: data,
			Targets: []Target{{Name: "mlp", Model: model}, {Name: "mlp", Model: model}}},
			`two targets are named "mlp"`},
	}
	for _, c := range cases {
		_, err := Evaluate(c.opts, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want one containing %q", c.name, err, c.want)
		}
	}
}
