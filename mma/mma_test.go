package mma

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// tinyCNN is a small backbone of two stages, quick to build and run.
func tinyCNN() models.Spec {
	return models.Spec{
		Name:    "tinycnn",
		Input:   []int{1, 8, 8},
		Classes: 3,
		Stages: []models.Stage{
			{Layers: []models.Layer{
				{Kind: models.Conv, Out: 8, Kernel: 3, Pad: 1},
				{Kind: models.ReLU},
				{Kind: models.MaxPool, Kernel: 2},
			}},
			{Layers: []models.Layer{
				{Kind: models.Conv, Out: 16, Kernel: 3, Pad: 1},
				{Kind: models.ReLU},
				{Kind: models.MaxPool, Kernel: 2},
			}},
		},
		Head: []models.Layer{
			{Kind: models.Flatten},
			{Kind: models.Linear, Out: 12},
			{Kind: models.ReLU},
			{Kind: models.Linear, Out: 3},
		},
	}
}

// randomPixels returns n images of shape in [0, 1].
func randomPixels(n int, shape []int, seed int64) *tensor.Dense {
	rng := rand.New(rand.NewSource(seed))
	size := n * shape[0] * shape[1] * shape[2]
	pixels := make([]float32, size)
	for i := range pixels {
		pixels[i] = rng.Float32()
	}
	return tensor.New(tensor.WithShape(n, shape[0], shape[1], shape[2]),
		tensor.WithBacking(pixels))
}

// forward runs net on x in a fresh graph and returns the values of its
// fused and per-track logits.
func forward(t *testing.T, net models.Net, x *tensor.Dense) (fused []float32,
	tracks [][]float32) {

	t.Helper()
	g := gorgonia.NewGraph()
	input := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(x.Shape()...),
		gorgonia.WithValue(x), gorgonia.WithName("x"))
	out, err := net.Forward(input, models.Eval)
	if err != nil {
		t.Fatal(err)
	}
	fusedValue := read(out.Logits)
	trackValues := make([]*gorgonia.Value, len(out.Tracks))
	for k, logits := range out.Tracks {
		trackValues[k] = read(logits)
	}

	machine := gorgonia.NewTapeMachine(g)
	defer machine.Close()
	if err := machine.RunAll(); err != nil {
		t.Fatal(err)
	}

	fused = floats(fusedValue)
	for _, value := range trackValues {
		tracks = append(tracks, floats(value))
	}
	return fused, tracks
}

// read returns where the tape machine will copy node's value when it is
// computed. Reading node.Value() after the run is unreliable, because
// later ops may reuse its buffer in place.
func read(node *gorgonia.Node) *gorgonia.Value {
	value := new(gorgonia.Value)
	gorgonia.Read(node, value)
	return value
}

func floats(value *gorgonia.Value) []float32 {
	switch v := (*value).(type) {
	case *gorgonia.F32:
		return []float32{float32(*v)}
	default:
		return append([]float32(nil), v.Data().([]float32)...)
	}
}

func countParams(params []*models.Param) int {
	total := 0
	for _, p := range params {
		total += p.Value.Shape().TotalSize()
	}
	return total
}

func TestOneTrackIsBackbone(t *testing.T) {
	spec := tinyCNN()
	backbone, err := models.NewBackbone(spec, 7)
	if err != nil {
		t.Fatal(err)
	}
	x := randomPixels(2, spec.Input, 1)
	want, _ := forward(t, backbone, x)

	for split := 0; split <= len(spec.Stages); split++ {
		net, err := New(spec, Config{Tracks: 1, Split: split}, 7)
		if err != nil {
			t.Fatalf("split %d: %v", split, err)
		}
		if got, want := countParams(net.Params()), countParams(backbone.Params()); got != want {
			t.Errorf("split %d: %d parameters, backbone has %d", split, got, want)
		}
		got, _ := forward(t, net, x)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("split %d: logit %d = %v, backbone gives %v", split, i, got[i], want[i])
			}
		}
	}
}

func TestMeanFusionAveragesTracks(t *testing.T) {
	spec := tinyCNN()
	for _, split := range []int{0, 1, 2} {
		net, err := New(spec, Config{Tracks: 3, Split: split}, 3)
		if err != nil {
			t.Fatal(err)
		}
		fused, tracks := forward(t, net, randomPixels(4, spec.Input, 2))
		if len(tracks) != 3 {
			t.Fatalf("split %d: %d track outputs, want 3", split, len(tracks))
		}
		for i := range fused {
			want := (tracks[0][i] + tracks[1][i] + tracks[2][i]) / 3
			if math.Abs(float64(fused[i]-want)) > 1e-6 {
				t.Errorf("split %d: fused logit %d = %v, mean of tracks = %v",
					split, i, fused[i], want)
			}
		}
	}
}

func TestTracksDifferInWeights(t *testing.T) {
	net, err := New(tinyCNN(), Config{Tracks: 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, tracks := forward(t, net, randomPixels(1, tinyCNN().Input, 2))
	same := true
	for i := range tracks[0] {
		same = same && tracks[0][i] == tracks[1][i]
	}
	if same {
		t.Error("two tracks give identical logits, want independent initial weights")
	}
}

// crossEntropy returns the mean cross-entropy of N x classes logits.
func crossEntropy(logits []float32, labels []int, classes int) float64 {
	total := 0.0
	for i, label := range labels {
		row := logits[i*classes : (i+1)*classes]
		maxLogit := math.Inf(-1)
		for _, z := range row {
			maxLogit = math.Max(maxLogit, float64(z))
		}
		sum := 0.0
		for _, z := range row {
			sum += math.Exp(float64(z) - maxLogit)
		}
		total += maxLogit + math.Log(sum) - float64(row[label])
	}
	return total / float64(len(labels))
}

func TestTrainLossAddsAuxiliaryTerm(t *testing.T) {
	spec := tinyCNN()
	labels := []int{0, 2, 1}
	x := randomPixels(len(labels), spec.Input, 5)

	for _, cfg := range []Config{{Tracks: 3}, {Tracks: 3, Aux: 0.5}, {Tracks: 3, NoAux: true}} {
		net, err := New(spec, cfg, 11)
		if err != nil {
			t.Fatal(err)
		}

		g := gorgonia.NewGraph()
		input := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(x.Shape()...),
			gorgonia.WithValue(x), gorgonia.WithName("x"))
		onehot := tensor.New(tensor.WithShape(len(labels), spec.Classes),
			tensor.WithBacking(make([]float32, len(labels)*spec.Classes)))
		for i, label := range labels {
			onehot.Data().([]float32)[i*spec.Classes+label] = 1
		}
		targets := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(onehot.Shape()...),
			gorgonia.WithValue(onehot), gorgonia.WithName("targets"))
		out, err := net.Forward(input, models.Train)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := net.(*Net).TrainLoss(out, targets)
		if err != nil {
			t.Fatal(err)
		}
		fusedValue, lossValue := read(out.Logits), read(loss)
		trackValues := make([]*gorgonia.Value, len(out.Tracks))
		for k, logits := range out.Tracks {
			trackValues[k] = read(logits)
		}
		machine := gorgonia.NewTapeMachine(g)
		if err := machine.RunAll(); err != nil {
			t.Fatal(err)
		}
		machine.Close()

		want := crossEntropy(floats(fusedValue), labels, spec.Classes)
		weight := cfg.withDefaults().auxWeight()
		for _, value := range trackValues {
			want += weight / 3 * crossEntropy(floats(value), labels, spec.Classes)
		}
		got := float64(floats(lossValue)[0])
		if math.Abs(got-want) > 1e-5*math.Max(1, want) {
			t.Errorf("config %v: train loss = %v, formula gives %v", cfg, got, want)
		}
	}
}

func TestBalancedWidthKeepsParameters(t *testing.T) {
	spec := models.SmallCNN([]int{1, 28, 28}, 10)
	backbone, err := models.NewBackbone(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	base := float64(countParams(backbone.Params()))
	for _, k := range []int{2, 4, 8} {
		net, err := New(spec, Config{Tracks: k}, 1)
		if err != nil {
			t.Fatal(err)
		}
		ratio := float64(countParams(net.Params())) / base
		if ratio < 0.85 || ratio > 1.15 {
			t.Errorf("k=%d balanced: %.3f times the backbone's parameters, want within 15%%",
				k, ratio)
		}
	}
}

func TestScaleWidth(t *testing.T) {
	cases := []struct {
		channels int
		ratio    float64
		want     int
	}{
		{64, 0.5, 32},
		{16, 1 / math.Sqrt(8), 6},
		{16, 1.0 / 8, 4},
		{3, 0.25, 3},
		{128, 1, 128},
	}
	for _, c := range cases {
		if got := scaleWidth(c.channels, c.ratio); got != c.want {
			t.Errorf("scaleWidth(%d, %.3f) = %d, want %d", c.channels, c.ratio, got, c.want)
		}
	}
}

func TestSplitOutOfRange(t *testing.T) {
	_, err := New(tinyCNN(), Config{Split: 3}, 1)
	if err == nil || !strings.Contains(err.Error(), "split = 3") {
		t.Errorf("error = %v, want one naming split = 3", err)
	}
}

func TestConfigStringRoundTrip(t *testing.T) {
	configs := []Config{
		{},
		{Tracks: 8, Split: 1, Width: Thin, Aux: 0.5, AttackLoss: TrackMean},
		{Tracks: 2, Width: Full, NoAux: true},
	}
	for _, c := range configs {
		parsed, err := ParseConfig(c.String())
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", c.String(), err)
		}
		if parsed.String() != c.String() {
			t.Errorf("round trip of %q gives %q", c.String(), parsed.String())
		}
	}
}

func TestParseArch(t *testing.T) {
	backbone, config, err := ParseArch("smallcnn/mma:k=2,split=1")
	if err != nil {
		t.Fatal(err)
	}
	if backbone != "smallcnn" {
		t.Errorf("backbone = %q, want smallcnn", backbone)
	}
	if config == nil || config.Tracks != 2 || config.Split != 1 {
		t.Errorf("config = %+v, want k=2 split=1", config)
	}

	backbone, config, err = ParseArch("mlp")
	if err != nil || backbone != "mlp" || config != nil {
		t.Errorf("ParseArch(mlp) = %q, %v, %v; want mlp, nil, nil", backbone, config, err)
	}

	_, config, err = ParseArch("smallcnn/mma")
	if err != nil || config == nil || config.withDefaults().Tracks != DefaultTracks {
		t.Errorf("ParseArch(smallcnn/mma) = %v, %v; want the default config", config, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := map[string]string{
		"k=0":          "k=0",
		"tracks=4":     `unknown key "tracks"`,
		"width=wide":   `width "wide"`,
		"aux=-1":       "aux=-1",
		"k=4,split":    `"split" is not key=value`,
		"fusion=magic": `fusion "magic"`,
		"k=4,k=2":      `key "k" is given twice`,
	}
	for input, want := range cases {
		_, err := ParseConfig(input)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig(%q) error = %v, want it to contain %q", input, err, want)
		}
	}
}

func TestArchWritesNonDefaults(t *testing.T) {
	cases := []struct {
		config Config
		want   string
	}{
		{Config{}, "smallcnn/mma:k=4"},
		{Config{Tracks: 8, Split: 1, Width: Thin}, "smallcnn/mma:k=8,split=1,width=thin"},
		{Config{NoAux: true, AttackLoss: TrackMean}, "smallcnn/mma:k=4,aux=0,attack-loss=track-mean"},
		{Config{Aux: 0.5}, "smallcnn/mma:k=4,aux=0.5"},
	}
	for _, c := range cases {
		got := Arch("smallcnn", c.config)
		if got != c.want {
			t.Errorf("Arch(%+v) = %q, want %q", c.config, got, c.want)
		}
		_, parsed, err := ParseArch(got)
		if err != nil {
			t.Fatalf("ParseArch(%q): %v", got, err)
		}
		if parsed.String() != c.config.String() {
			t.Errorf("ParseArch(%q) = %s, want %s", got, parsed, c.config)
		}
	}
}
