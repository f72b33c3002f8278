package plots

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmatransfer/mma/eval"
)

// transferTable returns three settings against three targets, with one
// missing row and one NaN rate.
func transferTable() *eval.Table {
	settings := []eval.Setting{
		{Surrogate: "lenet", Attack: "pgd:eps=0.3,alpha=0.03,steps=10"},
		{Surrogate: "mma:backbone=lenet,tracks=4", Attack: "pgd:eps=0.3,alpha=0.03,steps=10"},
		{Surrogate: "ensemble:lenet,k=4", Attack: "mi-fgsm:eps=0.3,mu=1"},
	}
	targets := []string{"mlp", "cnn-small", "resnet8-onnx"}

	table := &eval.Table{}
	for i, s := range settings {
		for j, target := range targets {
			if i == 2 && j == 2 {
				continue
			}
			success := 0.2 + 0.25*float64(i) + 0.1*float64(j)
			correct := success + 0.02
			if i == 1 && j == 1 {
				correct = math.NaN()
			}
			table.Rows = append(table.Rows, eval.Row{
				Surrogate: s.Surrogate, Attack: s.Attack, Target: target, Images: 1000,
				CleanAccuracy: 0.98, SuccessAll: success, SuccessCorrect: correct,
				FoolingRate: success, MeanL2: 4, MeanLinf: 0.3, Seed: 1,
			})
		}
	}
	return table
}

func TestBarChartWritesPNGAndSVG(t *testing.T) {
	base := filepath.Join(t.TempDir(), "transfer")

	err := BarChart(transferTable(), eval.MetricSuccessAll, "Transfer from MNIST surrogates", base)
	if err != nil {
		t.Fatal(err)
	}

	checkPNG(t, base+".png")
	checkSVG(t, base+".svg")
}

func TestBarChartMarksUndefinedBars(t *testing.T) {
	cases := map[eval.Metric]int{
		eval.MetricSuccessAll:     1, // the missing row
		eval.MetricSuccessCorrect: 2, // the missing row and the NaN rate
	}
	for metric, want := range cases {
		base := filepath.Join(t.TempDir(), metric.String())
		if err := BarChart(transferTable(), metric, "", base); err != nil {
			t.Fatal(err)
		}
		checkPNG(t, base+".png")
		svg := checkSVG(t, base+".svg")

		if got := strings.Count(svg, ">n/a<"); got != want {
			t.Errorf("%v: %d n/a marks, want %d", metric, got, want)
		}
		if !strings.Contains(svg, "mi-fgsm:eps=0.3,mu=1") {
			t.Errorf("%v: legend does not name the third setting", metric)
		}
		if !strings.Contains(svg, metric.Label()+" (%)") {
			t.Errorf("%v: y axis label missing", metric)
		}
	}
}

func TestBarChartManySettings(t *testing.T) {
	table := &eval.Table{}
	for i := range 9 {
		table.Rows = append(table.Rows, eval.Row{
			Surrogate: "s", Attack: string(rune('a' + i)), Target: "t",
			Images: 1, SuccessAll: float64(i) / 9,
		})
	}
	base := filepath.Join(t.TempDir(), "many")

	if err := BarChart(table, eval.MetricSuccessAll, "nine settings", base); err != nil {
		t.Fatal(err)
	}

	checkPNG(t, base+".png")
}

func TestBarChartRejectsBadInput(t *testing.T) {
	base := filepath.Join(t.TempDir(), "bad")

	if err := BarChart(&eval.Table{}, eval.MetricSuccessAll, "", base); err == nil {
		t.Error("empty table: no error")
	}
	if err := BarChart(transferTable(), eval.Metric(42), "", base); err == nil {
		t.Error("invalid metric: no error")
	}
	if _, err := os.Stat(base + ".png"); err == nil {
		t.Error("a rejected chart still wrote a PNG")
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s does not decode as PNG: %v", path, err)
	}
	if size := img.Bounds().Size(); size.X < 100 || size.Y < 100 {
		t.Errorf("%s is %v pixels, want at least 100 x 100", path, size)
	}
}

// checkSVG checks that path parses as XML with an svg root and returns
// its text.
func checkSVG(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		t.Fatalf("%s is empty", path)
	}

	decoder := xml.NewDecoder(bytes.NewReader(data))
	var root string
	for {
		token, err := decoder.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not XML: %v", path, err)
		}
		if start, ok := token.(xml.StartElement); ok && root == "" {
			root = start.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s has root element %q, want svg", path, root)
	}
	return string(data)
}
