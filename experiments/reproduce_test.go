package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmatransfer/mma/eval"
)

// tinyPreset is the MNIST path made small enough for a unit test.
func tinyPreset() Preset {
	preset, err := LookupPreset("mnist-quick")
	if err != nil {
		panic(err)
	}
	preset.Name = "tiny"
	preset.TrainImages = 256
	preset.AttackImages = 16
	preset.AccuracyImages = 64
	preset.Surrogates = []string{"mlp", "mlp/mma:k=2"}
	return preset
}

// recorder is a Reporter that keeps the log lines.
type recorder struct {
	silent
	lines []string
}

func (r *recorder) Logf(format string, args ...any) {
	r.lines = append(r.lines, format)
}

func TestReproduceWritesTableAndResumes(t *testing.T) {
	out := t.TempDir()
	preset := tinyPreset()
	table, run, err := Reproduce(preset, "", out, nil)
	if err != nil {
		t.Fatal(err)
	}

	settings := len(preset.Surrogates) * len(preset.Attacks)
	targets := len(preset.Surrogates) + len(preset.Targets)
	if got, want := len(table.Rows), settings*targets; got != want {
		t.Errorf("table has %d rows, want %d (settings x targets)", got, want)
	}
	for _, name := range []string{"table.csv", "table.json", "table.md", "figure.png",
		"figure.svg", RunFile} {
		info, err := os.Stat(filepath.Join(out, name))
		if err != nil || info.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
	for _, row := range table.Rows {
		if row.Images != preset.AttackImages {
			t.Errorf("row %s/%s on %s has %d images, want %d", row.Surrogate, row.Attack,
				row.Target, row.Images, preset.AttackImages)
		}
		if row.MeanLinf > 0.3+1e-6 {
			t.Errorf("row %s/%s: mean L-infinity %v exceeds eps 0.3", row.Surrogate,
				row.Attack, row.MeanLinf)
		}
	}
	if len(run.Surrogates) != 2 || run.Surrogates[0].Reused {
		t.Errorf("first run surrogates = %+v, want 2 freshly trained", run.Surrogates)
	}

	stored, err := eval.ReadCSV(filepath.Join(out, "table.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Rows) != len(table.Rows) {
		t.Errorf("table.csv has %d rows, want %d", len(stored.Rows), len(table.Rows))
	}

	log := &recorder{}
	_, again, err := Reproduce(preset, "", out, log)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range again.Surrogates {
		if !s.Reused {
			t.Errorf("second run retrained %s, want its checkpoint reused", s.Arch)
		}
	}
	for _, a := range again.Attacks {
		if !a.Reused {
			t.Errorf("second run recrafted %s on %s, want the set reused", a.Attack, a.Surrogate)
		}
	}
	if !strings.Contains(strings.Join(log.lines, "\n"), "reusing") {
		t.Errorf("second run log %q does not say what it reused", log.lines)
	}
}
