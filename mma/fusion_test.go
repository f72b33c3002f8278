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

// handLogits are per-track logits of 2 images and 3 classes, with large
// values that overflow a softmax computed without the row max.
var handLogits = [][]float32{
	{1, 2, 3, 100, 0, -100},
	{0, 0, 0, 90, 95, -5},
	{-1, 4, 2, 0, 0, 200},
}

// fuse applies fusion to the hand-made logits in a fresh graph.
func fuse(t *testing.T, fusion func([]*gorgonia.Node) (*gorgonia.Node, error)) []float32 {
	t.Helper()
	g := gorgonia.NewGraph()
	nodes := make([]*gorgonia.Node, len(handLogits))
	for k, values := range handLogits {
		value := tensor.New(tensor.WithShape(2, 3),
			tensor.WithBacking(append([]float32(nil), values...)))
		nodes[k] = gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(2, 3),
			gorgonia.WithValue(value), gorgonia.WithName("z"+string(rune('0'+k))))
	}
	fused, err := fusion(nodes)
	if err != nil {
		t.Fatal(err)
	}
	result := read(fused)
	machine := gorgonia.NewTapeMachine(g)
	defer machine.Close()
	if err := machine.RunAll(); err != nil {
		t.Fatal(err)
	}
	return floats(result)
}

func TestMeanFusionFormula(t *testing.T) {
	got := fuse(t, meanOf)
	for i := range got {
		want := 0.0
		for _, z := range handLogits {
			want += float64(z[i]) / 3
		}
		if math.Abs(float64(got[i])-want) > 1e-4 {
			t.Errorf("mean fusion element %d = %v, want %v", i, got[i], want)
		}
	}
}

func TestSoftmaxMeanFusionFormula(t *testing.T) {
	got := fuse(t, softmaxMean)
	for row := 0; row < 2; row++ {
		for class := 0; class < 3; class++ {
			mean := 0.0
			for _, z := range handLogits {
				mean += softmax64(z[row*3 : row*3+3])[class] / 3
			}
			want := math.Log(mean + probabilityFloor)
			i := row*3 + class
			if math.IsNaN(float64(got[i])) || math.IsInf(float64(got[i]), 0) {
				t.Fatalf("softmax-mean element %d = %v, want finite", i, got[i])
			}
			if math.Abs(float64(got[i])-want) > 1e-4*math.Max(1, math.Abs(want)) {
				t.Errorf("softmax-mean element %d = %v, want log p = %v", i, got[i], want)
			}
		}
	}
}

func softmax64(z []float32) []float64 {
	maxLogit := math.Inf(-1)
	for _, v := range z {
		maxLogit = math.Max(maxLogit, float64(v))
	}
	sum := 0.0
	p := make([]float64, len(z))
	for i, v := range z {
		p[i] = math.Exp(float64(v) - maxLogit)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

func TestConcatFusionFormula(t *testing.T) {
	spec := tinyCNN()
	net, err := New(spec, Config{Tracks: 2, Fusion: Concat}, 5)
	if err != nil {
		t.Fatal(err)
	}
	mma := net.(*Net)
	x := randomPixels(3, spec.Input, 6)

	g := gorgonia.NewGraph()
	input := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(x.Shape()...),
		gorgonia.WithValue(x), gorgonia.WithName("x"))
	shared, err := forwardParts(mma.shared, input, models.Eval)
	if err != nil {
		t.Fatal(err)
	}
	var features []*gorgonia.Value
	for _, track := range mma.tracks {
		f, err := forwardParts(track, shared, models.Eval)
		if err != nil {
			t.Fatal(err)
		}
		features = append(features, read(f))
	}
	machine := gorgonia.NewTapeMachine(g)
	if err := machine.RunAll(); err != nil {
		t.Fatal(err)
	}
	machine.Close()

	var joined []float32
	featureCount := 0
	for _, f := range features {
		featureCount += (*f).Shape()[1]
	}
	for row := 0; row < 3; row++ {
		for _, f := range features {
			width := (*f).Shape()[1]
			joined = append(joined, floats(f)[row*width:(row+1)*width]...)
		}
	}

	params := mma.fusionHead.Params()
	weight := params[0].Value.Data().([]float32)
	bias := params[1].Value.Data().([]float32)
	fused, _ := forward(t, net, x)
	for row := 0; row < 3; row++ {
		for class := 0; class < spec.Classes; class++ {
			want := float64(bias[class])
			for j := 0; j < featureCount; j++ {
				want += float64(weight[class*featureCount+j]) *
					float64(joined[row*featureCount+j])
			}
			got := fused[row*spec.Classes+class]
			if math.Abs(float64(got)-want) > 1e-5 {
				t.Errorf("concat logit (%d, %d) = %v, W [f_1; f_2] + b = %v",
					row, class, got, want)
			}
		}
	}
}

func TestConcatKeepsTrackClassifiersForAux(t *testing.T) {
	withAux, err := New(tinyCNN(), Config{Tracks: 3, Fusion: Concat}, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, tracks := forward(t, withAux, randomPixels(2, tinyCNN().Input, 1))
	if len(tracks) != 3 {
		t.Errorf("concat with aux gives %d track outputs, want 3", len(tracks))
	}

	withoutAux, err := New(tinyCNN(), Config{Tracks: 3, Fusion: Concat, NoAux: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if withoutAux.(*Net).trackHeads != nil {
		t.Error("concat without aux built track classifiers nothing uses")
	}

	_, err = ParseConfig("fusion=concat,aux=0,attack-loss=track-mean")
	if err == nil || !strings.Contains(err.Error(), "track-mean") {
		t.Errorf("error = %v, want one explaining track-mean needs track classifiers", err)
	}
}

// TestTrackLossIgnoresOtherTracks checks that track 0's loss does not reach
// any other track's weights: gorgonia finds no path to them, and changing
// them leaves track 0's logits bit for bit the same.
func TestTrackLossIgnoresOtherTracks(t *testing.T) {
	spec := tinyCNN()
	for _, split := range []int{0, 1} {
		net, err := New(spec, Config{Tracks: 3, Split: split}, 8)
		if err != nil {
			t.Fatal(err)
		}
		mma := net.(*Net)
		x := randomPixels(2, spec.Input, 3)

		g := gorgonia.NewGraph()
		input := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(x.Shape()...),
			gorgonia.WithValue(x), gorgonia.WithName("x"))
		out, err := net.Forward(input, models.Eval)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := gorgonia.Sum(out.Tracks[0])
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k < 3; k++ {
			for _, p := range partParams(mma.tracks[k]) {
				node := g.ByName(p.Name)[0]
				if _, err := gorgonia.Grad(loss, node); err == nil {
					t.Errorf("split %d: track 0's loss reaches %s", split, p.Name)
				}
			}
		}

		_, before := forward(t, net, x)
		rng := rand.New(rand.NewSource(1))
		for k := 1; k < 3; k++ {
			for _, p := range partParams(mma.tracks[k]) {
				for i, v := range p.Value.Data().([]float32) {
					p.Value.Data().([]float32)[i] = v + float32(rng.NormFloat64())
				}
			}
		}
		_, after := forward(t, net, x)
		for i := range before[0] {
			if before[0][i] != after[0][i] {
				t.Fatalf("split %d: track 0 logit %d changed from %v to %v when other "+
					"tracks' weights changed", split, i, before[0][i], after[0][i])
			}
		}
		if before[1][0] == after[1][0] {
			t.Errorf("split %d: track 1's logits did not change with its weights", split)
		}
	}
}

func partParams(parts []*models.Sequential) []*models.Param {
	var params []*models.Param
	for _, part := range parts {
		params = append(params, part.Params()...)
	}
	return params
}
