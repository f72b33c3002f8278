package eval

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testTable returns two settings against two targets, with one missing
// cell, a NaN rate and text fields that need CSV quoting.
func testTable() *Table {
	return &Table{Rows: []Row{
		{
			Surrogate: "lenet", Attack: "pgd:eps=0.3,steps=10", Target: "mlp",
			Images: 100, CleanAccuracy: 0.98, SuccessAll: 0.45, SuccessCorrect: 0.4387755102040816,
			FoolingRate: 0.46, MeanL2: 4.5, MeanLinf: 0.3, Seed: 1,
			Config: `{"attack":"pgd:eps=0.3,steps=10","seed":1}`, AdvSet: "sets/lenet-pgd.adv",
		},
		{
			Surrogate: "lenet", Attack: "pgd:eps=0.3,steps=10", Target: "cnn",
			Images: 100, CleanAccuracy: 0.99, SuccessAll: 0.125, SuccessCorrect: 0.1161616,
			FoolingRate: 0.13, MeanL2: 4.5, MeanLinf: 0.3, Seed: 1,
			Config: "{}", AdvSet: "sets/lenet-pgd.adv", Note: `rounded to 8 bits, "PNG"`,
		},
		{
			Surrogate: "mma:backbone=lenet,tracks=4", Attack: "fgsm:eps=0.3", Target: "mlp",
			Images: 100, CleanAccuracy: 0, SuccessAll: 1, SuccessCorrect: math.NaN(),
			FoolingRate: 0.5, MeanL2: 5.25, MeanLinf: 0.3, Seed: 2,
			Config: "{}", AdvSet: "sets/mma-fgsm.adv",
		},
	}}
}

func sameRows(t *testing.T, got, want *Table) {
	t.Helper()
	if len(got.Rows) != len(want.Rows) {
		t.Fatalf("%d rows, want %d", len(got.Rows), len(want.Rows))
	}
	for i := range want.Rows {
		g, w := got.Rows[i], want.Rows[i]
		floats := [][2]float64{
			{g.CleanAccuracy, w.CleanAccuracy}, {g.SuccessAll, w.SuccessAll},
			{g.SuccessCorrect, w.SuccessCorrect}, {g.FoolingRate, w.FoolingRate},
			{g.MeanL2, w.MeanL2}, {g.MeanLinf, w.MeanLinf},
		}
		for _, f := range floats {
			if !sameFloat(f[0], f[1]) {
				t.Errorf("row %d: float %v, want %v", i, f[0], f[1])
			}
		}
		// The floats were checked above, so zero them to let NaN compare equal.
		g.CleanAccuracy, g.SuccessAll, g.SuccessCorrect, g.FoolingRate = 0, 0, 0, 0
		w.CleanAccuracy, w.SuccessAll, w.SuccessCorrect, w.FoolingRate = 0, 0, 0, 0
		g.MeanL2, g.MeanLinf, w.MeanL2, w.MeanLinf = 0, 0, 0, 0
		if g != w {
			t.Errorf("row %d:\n%+v\nwant\n%+v", i, g, w)
		}
	}
}

func TestTableCSVRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "table.csv")
	want := testTable()

	if err := WriteCSV(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}

	sameRows(t, got, want)
}

func TestTableJSONRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "table.json")
	want := testTable()

	if err := WriteJSON(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}

	sameRows(t, got, want)
}

func TestTableJSONStoresNaNAsNull(t *testing.T) {
	var b bytes.Buffer
	if err := EncodeJSON(&b, testTable()); err != nil {
		t.Fatal(err)
	}

	var stored struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(b.Bytes(), &stored); err != nil {
		t.Fatal(err)
	}
	value, ok := stored.Rows[2]["success_correct"]
	if !ok || value != nil {
		t.Errorf("NaN success_correct stored as %v (present %v), want null", value, ok)
	}
}

func TestReadCSVRejectsBadFiles(t *testing.T) {
	var b bytes.Buffer
	if err := EncodeCSV(&b, testTable()); err != nil {
		t.Fatal(err)
	}
	valid := b.String()
	header, _, _ := strings.Cut(valid, "\n")

	cases := map[string]string{
		"missing column": strings.Replace(valid, ",note", "", 1),
		"unknown column": strings.Replace(valid, "note", "remark", 1),
		"bad number":     strings.Replace(valid, "0.98", "high", 1),
		"duplicate row":  valid + strings.Split(valid, "\n")[1] + "\n",
		"empty target":   header + "\nlenet,pgd,,1,1,1,1,1,1,1,1,{},x,\n",
	}
	for name, text := range cases {
		if _, err := DecodeCSV(strings.NewReader(text)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReadJSONRejectsOtherFormat(t *testing.T) {
	text := `{"format": "something-else", "version": 1, "rows": []}`

	if _, err := DecodeJSON(strings.NewReader(text)); err == nil {
		t.Error("other format: no error")
	}
}

func TestReadTableNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.csv")
	if err := os.WriteFile(path, []byte("surrogate\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := ReadCSV(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one naming %s", err, path)
	}
}

func TestMarkdownCells(t *testing.T) {
	var b bytes.Buffer
	if err := EncodeMarkdown(&b, testTable(), MetricSuccessAll); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")

	want := []string{
		"Cells: attack success rate over all images (1 - accuracy under attack), in percent, " +
			"over 100 images. Mean L2 and L∞: mean perturbation norms in pixel units [0, 1].",
		"",
		"| surrogate | attack | mlp | cnn | mean L2 | mean L∞ |",
		"| --- | --- | ---: | ---: | ---: | ---: |",
		"| lenet | pgd:eps=0.3,steps=10 | 45.0 | 12.5 | 4.500 | 0.3000 |",
		"| mma:backbone=lenet,tracks=4 | fgsm:eps=0.3 | 100.0 | – | 5.250 | 0.3000 |",
	}
	want = append(want, "", "Notes:", "",
		`- lenet / pgd:eps=0.3,steps=10 on cnn: rounded to 8 bits, "PNG"`)
	if len(lines) != len(want) {
		t.Fatalf("markdown has %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n%s\nwant\n%s", i, lines[i], want[i])
		}
	}
}

func TestMarkdownOtherMetricAndNaN(t *testing.T) {
	var b bytes.Buffer
	if err := EncodeMarkdown(&b, testTable(), MetricSuccessCorrect); err != nil {
		t.Fatal(err)
	}
	text := b.String()

	if !strings.Contains(text, "| lenet | pgd:eps=0.3,steps=10 | 43.9 | 11.6 |") {
		t.Errorf("success over correct cells missing:\n%s", text)
	}
	if !strings.Contains(text, "| fgsm:eps=0.3 | n/a | – |") {
		t.Errorf("NaN cell is not n/a:\n%s", text)
	}
	if !strings.Contains(text, MetricSuccessCorrect.Description()) {
		t.Errorf("caption does not name the metric:\n%s", text)
	}
}

func TestMarkdownWeightsNormsByImages(t *testing.T) {
	table := &Table{Rows: []Row{
		{Surrogate: "s", Attack: "a", Target: "t1", Images: 1, MeanL2: 1, MeanLinf: 0.1},
		{Surrogate: "s", Attack: "a", Target: "t2", Images: 3, MeanL2: 2, MeanLinf: 0.2},
	}}
	var b bytes.Buffer
	if err := EncodeMarkdown(&b, table, MetricFoolingRate); err != nil {
		t.Fatal(err)
	}

	// (1*1 + 3*2) / 4 = 1.75 and (1*0.1 + 3*0.2) / 4 = 0.175.
	if !strings.Contains(b.String(), "| 1.750 | 0.1750 |") {
		t.Errorf("norms are not image-weighted means:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "1 to 3 images per cell") {
		t.Errorf("caption does not give the range of image counts:\n%s", b.String())
	}
}

func TestMarkdownEscapesPipes(t *testing.T) {
	table := &Table{Rows: []Row{{Surrogate: "a|b", Attack: "x", Target: "t", Images: 1}}}
	var b bytes.Buffer
	if err := EncodeMarkdown(&b, table, MetricSuccessAll); err != nil {
		t.Fatal(err)
	}

	if !strings.Contains(b.String(), `| a\|b | x |`) {
		t.Errorf("pipe in a name not escaped:\n%s", b.String())
	}
}

func TestMarkdownRejectsInvalidMetric(t *testing.T) {
	var b bytes.Buffer
	if err := EncodeMarkdown(&b, testTable(), Metric(99)); err == nil {
		t.Error("invalid metric: no error")
	}
}

func TestWriteMarkdownFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "table.md")
	if err := WriteMarkdown(path, testTable(), MetricFoolingRate); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "| 46.0 | 13.0 |") {
		t.Errorf("fooling-rate cells missing from the file:\n%s", data)
	}
}

func TestParseMetricRoundTrip(t *testing.T) {
	for _, m := range Metrics() {
		got, err := ParseMetric(m.String())
		if err != nil {
			t.Errorf("ParseMetric(%q): %v", m, err)
		}
		if got != m {
			t.Errorf("ParseMetric(%q) = %v, want %v", m, got, m)
		}
	}

	if _, err := ParseMetric("accuracy"); err == nil {
		t.Error("unknown metric name: no error")
	}
}

func TestMetricValue(t *testing.T) {
	row := Row{CleanAccuracy: 0.1, SuccessAll: 0.2, SuccessCorrect: 0.3, FoolingRate: 0.4}
	want := map[Metric]float64{
		MetricCleanAccuracy: 0.1, MetricSuccessAll: 0.2,
		MetricSuccessCorrect: 0.3, MetricFoolingRate: 0.4,
	}
	for m, v := range want {
		if got := m.Value(row); got != v {
			t.Errorf("%v.Value = %v, want %v", m, got, v)
		}
	}
	if got := Metric(-1).Value(row); !math.IsNaN(got) {
		t.Errorf("invalid metric value = %v, want NaN", got)
	}
}

func TestNewRowFromStoredResults(t *testing.T) {
	set := testSet()
	clean := make([]float32, len(set.Images)) // all-zero clean images
	cleanPredictions := []int{9, 0, 1}        // images 0 and 1 correct
	advPredictions := []int{9, 5, 5}          // image 1 flipped, image 2 changed

	row, err := NewRow(set, "sets/a.adv", "cnn", clean, cleanPredictions, advPredictions)
	if err != nil {
		t.Fatal(err)
	}

	if row.Surrogate != set.Config.Surrogate.Arch {
		t.Errorf("Surrogate = %q, want %q", row.Surrogate, set.Config.Surrogate.Arch)
	}
	if row.Attack != set.Config.Attack {
		t.Errorf("Attack = %q, want %q", row.Attack, set.Config.Attack)
	}
	if row.Target != "cnn" {
		t.Errorf("Target = %q, want cnn", row.Target)
	}
	if row.AdvSet != "sets/a.adv" {
		t.Errorf("AdvSet = %q, want sets/a.adv", row.AdvSet)
	}
	if row.Seed != 1 {
		t.Errorf("Seed = %d, want 1", row.Seed)
	}
	if row.Images != 3 {
		t.Errorf("Images = %d, want 3", row.Images)
	}
	if !closeTo(row.CleanAccuracy, 2.0/3) {
		t.Errorf("CleanAccuracy = %v, want 2/3", row.CleanAccuracy)
	}
	if !closeTo(row.SuccessAll, 2.0/3) {
		t.Errorf("SuccessAll = %v, want 2/3", row.SuccessAll)
	}
	if !closeTo(row.SuccessCorrect, 0.5) {
		t.Errorf("SuccessCorrect = %v, want 1/2", row.SuccessCorrect)
	}
	if !closeTo(row.FoolingRate, 2.0/3) {
		t.Errorf("FoolingRate = %v, want 2/3", row.FoolingRate)
	}

	// The clean images are zero, so the perturbations are the images.
	// Their L2 norms are sqrt(1.3125), sqrt(0.3) and sqrt(2 + 1/9), and
	// their L-infinity norms 1, 0.4 and 1.
	wantL2 := (math.Sqrt(1.3125) + math.Sqrt(0.3) + math.Sqrt(2+1.0/9)) / 3
	if !closeTo(row.MeanL2, wantL2) {
		t.Errorf("MeanL2 = %v, want %v", row.MeanL2, wantL2)
	}
	if !closeTo(row.MeanLinf, 2.4/3) {
		t.Errorf("MeanLinf = %v, want 0.8", row.MeanLinf)
	}

	var config AdvConfig
	if err := json.Unmarshal([]byte(row.Config), &config); err != nil {
		t.Fatalf("row config is not an AdvConfig: %v", err)
	}
	if config.Attack != set.Config.Attack {
		t.Errorf("config attack %q, want %q", config.Attack, set.Config.Attack)
	}
}

func TestMeasureTransfer(t *testing.T) {
	set := testSet()
	clean := []float32{
		0.9, 0, 0, 0,
		0.8, 0, 0, 0,
		0.7, 0, 0, 0,
	}
	// The first pixels of the clean images are 0.9, 0.8 and 0.7, and those
	// of the adversarial images 0, 0.1 and 1.
	target := &lookupClassifier{
		shape:   []int{1, 2, 2},
		classes: 10,
		classOf: map[float32]int{0.9: 9, 0.8: 0, 0.7: 1, 0: 9, 0.1: 5, 1: 5},
	}
	var last [2]int

	row, err := MeasureTransfer(target, "lookup", set, "sets/a.adv", clean, 2,
		func(done, total int) { last = [2]int{done, total} })
	if err != nil {
		t.Fatal(err)
	}

	if !closeTo(row.SuccessCorrect, 0.5) {
		t.Errorf("SuccessCorrect = %v, want 1/2", row.SuccessCorrect)
	}
	if !closeTo(row.FoolingRate, 2.0/3) {
		t.Errorf("FoolingRate = %v, want 2/3", row.FoolingRate)
	}
	if last != [2]int{6, 6} {
		t.Errorf("last progress call = %v, want [6 6]", last)
	}
}
