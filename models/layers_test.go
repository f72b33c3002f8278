package models

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
)

func TestSequentialShapeErrors(t *testing.T) {
	cases := []struct {
		name   string
		input  []int
		layers []Layer
		want   string
	}{
		{"linear on image", []int{1, 4, 4}, []Layer{{Kind: ReLU}, {Kind: Linear, Out: 3}},
			"layer 1 (linear): input has rank 3"},
		{"conv on vector", []int{16}, []Layer{{Kind: Conv, Out: 2, Kernel: 3}},
			"layer 0 (conv): input has rank 1"},
		{"kernel too large", []int{1, 4, 4}, []Layer{{Kind: Conv, Out: 2, Kernel: 5}},
			"layer 0 (conv): kernel 5 is larger"},
		{"pool too large", []int{1, 4, 4}, []Layer{{Kind: MaxPool, Kernel: 2},
			{Kind: MaxPool, Kernel: 3}}, "layer 1 (maxpool): kernel 3 is larger"},
		{"zero out", []int{4}, []Layer{{Kind: Linear}}, "layer 0 (linear): out is 0"},
		{"unknown kind", []int{4}, []Layer{{Kind: "dropout"}}, `unknown kind "dropout"`},
		{"negative pad", []int{1, 4, 4}, []Layer{{Kind: Conv, Out: 2, Kernel: 3, Pad: -1}},
			"must not be negative"},
	}
	for _, c := range cases {
		_, err := NewSequential("s", c.input, c.layers, rand.New(rand.NewSource(1)))
		if err == nil {
			t.Errorf("%s: NewSequential accepted the layers", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestSequentialShapesAndNames(t *testing.T) {
	layers := []Layer{
		{Kind: Conv, Out: 8, Kernel: 3, Stride: 2, Pad: 1},
		{Kind: ReLU},
		{Kind: MaxPool, Kernel: 2},
		{Kind: Flatten},
		{Kind: Linear, Out: 5},
	}
	s, err := NewSequential("stage1", []int{3, 10, 10}, layers, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}

	// conv: (10 + 2 - 3)/2 + 1 = 5, pool: (5 - 2)/2 + 1 = 2, flatten: 8*2*2.
	if got := s.OutShape(); len(got) != 1 || got[0] != 5 {
		t.Errorf("OutShape %v, want [5]", got)
	}
	wantNames := []string{"stage1.0.weight", "stage1.0.bias", "stage1.4.weight", "stage1.4.bias"}
	wantSizes := []int{8 * 3 * 3 * 3, 8, 5 * 32, 5}
	params := s.Params()
	if len(params) != len(wantNames) {
		t.Fatalf("got %d params, want %d", len(params), len(wantNames))
	}
	for i, p := range params {
		if p.Name != wantNames[i] {
			t.Errorf("param %d is named %q, want %q", i, p.Name, wantNames[i])
		}
		if p.Value.Shape().TotalSize() != wantSizes[i] {
			t.Errorf("%s has %d values, want %d", p.Name, p.Value.Shape().TotalSize(), wantSizes[i])
		}
	}
}

func TestInitBounds(t *testing.T) {
	s, err := NewSequential("", []int{4, 5, 5}, []Layer{{Kind: Conv, Out: 16, Kernel: 3}},
		rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}

	// PyTorch's defaults bound both weights and biases by 1/sqrt(fan_in).
	bound := 1 / math.Sqrt(4*3*3)
	for _, p := range s.Params() {
		var maxAbs float64
		for _, v := range p.Value.Data().([]float32) {
			maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
		}
		if maxAbs > bound {
			t.Errorf("%s: max |value| %g exceeds the bound %g", p.Name, maxAbs, bound)
		}
		if maxAbs < 0.5*bound {
			t.Errorf("%s: max |value| %g is far below the bound %g", p.Name, maxAbs, bound)
		}
	}
}

func TestBackboneSeedReproducesWeights(t *testing.T) {
	spec := SmallCNN([]int{1, 12, 12}, 10)
	a, err := NewBackbone(spec, 42)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewBackbone(spec, 42)
	c, _ := NewBackbone(spec, 43)

	same, differ := true, false
	for i, p := range a.Params() {
		bData := b.Params()[i].Value.Data().([]float32)
		cData := c.Params()[i].Value.Data().([]float32)
		for j, v := range p.Value.Data().([]float32) {
			same = same && v == bData[j]
			differ = differ || v != cData[j]
		}
	}
	if !same {
		t.Error("seed 42 gave different weights twice")
	}
	if !differ {
		t.Error("seeds 42 and 43 gave the same weights")
	}
}

func TestSmallCNNMatchesReference(t *testing.T) {
	b, err := NewBackbone(SmallCNN([]int{1, 28, 28}, 10), 1)
	if err != nil {
		t.Fatal(err)
	}

	// The PyTorch SmallCNN: conv 1->32, conv 32->64, linear 3136->128, 128->10.
	want := 32*9 + 32 + 64*32*9 + 64 + 3136*128 + 128 + 128*10 + 10
	got := 0
	for _, p := range b.Params() {
		got += p.Value.Shape().TotalSize()
	}
	if got != want {
		t.Errorf("SmallCNN has %d parameters, want %d", got, want)
	}
	if name := b.Params()[0].Name; name != "stage1.0.weight" {
		t.Errorf("first parameter is %q, want stage1.0.weight", name)
	}
}

func TestSpecValidation(t *testing.T) {
	good := SmallCNN([]int{1, 8, 8}, 10)
	cases := map[string]func(s *Spec){
		"input rank":    func(s *Spec) { s.Input = []int{8, 8} },
		"input zero":    func(s *Spec) { s.Input = []int{1, 0, 8} },
		"classes":       func(s *Spec) { s.Classes = 1 },
		"empty head":    func(s *Spec) { s.Head = nil },
		"head not lin":  func(s *Spec) { s.Head = append(s.Head, Layer{Kind: ReLU}) },
		"head classes":  func(s *Spec) { s.Classes = 5 },
		"duplicate":     func(s *Spec) { s.Stages[1].Name = s.Stages[0].Name },
		"bad layer":     func(s *Spec) { s.Stages[0].Layers[0].Kernel = 0 },
		"missing flat":  func(s *Spec) { s.Head = s.Head[1:] },
		"pool too deep": func(s *Spec) { s.Stages = append(s.Stages, s.Stages...) },
	}
	for name, mutate := range cases {
		spec := SmallCNN(good.Input, good.Classes)
		mutate(&spec)
		if _, err := NewBackbone(spec, 1); err == nil {
			t.Errorf("%s: NewBackbone accepted the spec", name)
		}
	}
	if _, err := NewBackbone(good, 1); err != nil {
		t.Errorf("NewBackbone rejected SmallCNN: %v", err)
	}
}

func TestSpecByName(t *testing.T) {
	for _, name := range SpecNames {
		spec, err := SpecByName(name, []int{1, 8, 8}, 10)
		if err != nil {
			t.Errorf("SpecByName(%q): %v", name, err)
			continue
		}
		if _, err := NewBackbone(spec, 1); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := SpecByName("resnet999", []int{1, 8, 8}, 10); err == nil {
		t.Error("SpecByName accepted resnet999")
	}

	mlp := MLP([]int{1, 8, 8}, 10)
	if len(mlp.Stages) != 2 || mlp.Stages[0].Layers[0].Out != 256 {
		t.Errorf("MLP default stages %+v, want linear 256 then 128", mlp.Stages)
	}
}

func TestCrossEntropyLargeLogits(t *testing.T) {
	m := NewModel(constantNet{logits: []float32{1000, -1000, 0, 0, 0, 1000}}, []int{1, 1, 1}, 3)
	x := randomImages(rand.New(rand.NewSource(1)), 2, 1, 1, 1)

	_, losses, err := m.InputGradient(x, []int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	// Image 0 predicts its class with certainty; image 1's class has logit
	// 0 against 1000, a loss of 1000.
	if !closeEnough(float64(losses[0]), 0, 1e-6, 0) {
		t.Errorf("loss of a certain prediction is %g, want 0", losses[0])
	}
	if !closeEnough(float64(losses[1]), 1000, 0, 1e-5) {
		t.Errorf("loss of a wrong prediction is %g, want 1000", losses[1])
	}
}

func TestDuplicateParamNamesRejected(t *testing.T) {
	layers := []Layer{{Kind: Flatten}, {Kind: Linear, Out: 3}}
	rng := rand.New(rand.NewSource(1))
	first, err := NewSequential("track", []int{1, 2, 2}, layers, rng)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := NewSequential("track", []int{1, 2, 2}, layers, rng)

	m := NewModel(twoSequentials{first, second}, []int{1, 2, 2}, 3)
	_, err = m.Logits(randomImages(rng, 1, 1, 2, 2))
	if err == nil || !strings.Contains(err.Error(), `"track.1.weight" is used twice`) {
		t.Errorf("error %v, want it to name the duplicate parameter", err)
	}

	renamed, _ := NewSequential("other", []int{1, 2, 2}, layers, rng)
	m = NewModel(twoSequentials{first, renamed}, []int{1, 2, 2}, 3)
	if _, err := m.Logits(randomImages(rng, 1, 1, 2, 2)); err != nil {
		t.Errorf("distinct names: %v", err)
	}
}

// twoSequentials sums the outputs of two Sequentials on the same input.
type twoSequentials struct {
	first, second *Sequential
}

func (n twoSequentials) Params() []*Param {
	return append(n.first.Params(), n.second.Params()...)
}

func (n twoSequentials) Forward(x *gorgonia.Node, mode Mode) (Outputs, error) {
	a, err := n.first.Forward(x, mode)
	if err != nil {
		return Outputs{}, err
	}
	b, err := n.second.Forward(x, mode)
	if err != nil {
		return Outputs{}, err
	}
	sum, err := gorgonia.Add(a, b)
	return Outputs{Logits: sum}, err
}
