package models

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestBasicBlockFiniteDifference(t *testing.T) {
	cases := []struct {
		name  string
		block Layer
	}{
		{"identity skip", Layer{Kind: BasicBlock, Out: 2, Kernel: 3}},
		{"projection skip", Layer{Kind: BasicBlock, Out: 3, Kernel: 3, Stride: 2}},
		{"no skip", Layer{Kind: BasicBlock, Out: 3, Kernel: 3, NoSkip: true}},
		{"gelu", Layer{Kind: BasicBlock, Out: 2, Kernel: 3, Activation: GELU}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			s := mustSequential(t, []int{2, 4, 4}, []Layer{c.block}, 2)
			randomizeBatchNorm(s, rng)
			x := randomImages(rng, 2, 2, 4, 4)
			checkSequentialGradients(t, s, x, Eval, 3)
		})
	}
}

func TestBasicBlockParamNames(t *testing.T) {
	block := Layer{Kind: BasicBlock, Out: 4, Kernel: 3, Stride: 2}
	s := mustSequential(t, []int{2, 6, 6}, []Layer{block}, 1)
	var names []string
	for _, p := range s.Params() {
		names = append(names, p.Name)
	}
	want := "seq.0.conv1.weight seq.0.bn1.weight seq.0.bn1.bias seq.0.conv2.weight " +
		"seq.0.bn2.weight seq.0.bn2.bias seq.0.skip.conv.weight seq.0.skip.bn.weight " +
		"seq.0.skip.bn.bias"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("params are %s, want %s", got, want)
	}
	if got := len(s.Buffers()); got != 6 {
		t.Errorf("got %d buffers, want 6", got)
	}
	if got := s.OutShape(); got[0] != 4 || got[1] != 3 || got[2] != 3 {
		t.Errorf("output shape is %v, want [4 3 3]", got)
	}

	identity := mustSequential(t, []int{4, 6, 6}, []Layer{{Kind: BasicBlock, Out: 4, Kernel: 3}}, 1)
	if got := len(identity.Params()); got != 6 {
		t.Errorf("block without projection has %d params, want 6", got)
	}
	noSkip := mustSequential(t, []int{2, 6, 6},
		[]Layer{{Kind: BasicBlock, Out: 4, Kernel: 3, Stride: 2, NoSkip: true}}, 1)
	if got := len(noSkip.Params()); got != 6 {
		t.Errorf("block with NoSkip has %d params, want 6", got)
	}
}

func TestBasicBlockErrors(t *testing.T) {
	cases := []struct {
		name  string
		block Layer
		want  string
	}{
		{"even kernel", Layer{Kind: BasicBlock, Out: 2, Kernel: 2}, "odd"},
		{"activation", Layer{Kind: BasicBlock, Out: 2, Kernel: 3, Activation: MaxPool},
			"activation"},
		{"out", Layer{Kind: BasicBlock, Kernel: 3}, "out"},
	}
	for _, c := range cases {
		_, err := NewSequential("seq", []int{2, 4, 4}, []Layer{c.block},
			rand.New(rand.NewSource(1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// TestBasicBlockEvalMatchesLayers checks the Eval-mode block, which folds
// each BatchNorm into its convolution, against the same network written as
// separate Sequentials of conv, batchnorm and relu layers. A Sequential
// folds only within itself, so that network does not fold.
func TestBasicBlockEvalMatchesLayers(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	block := mustSequential(t, []int{3, 6, 6},
		[]Layer{{Kind: BasicBlock, Out: 4, Kernel: 3, Stride: 2, NoSkip: true}}, 1)
	randomizeBatchNorm(block, rng)
	layers := unfoldedSequentials(t, []int{3, 6, 6}, [][]Layer{
		{{Kind: Conv, Out: 4, Kernel: 3, Stride: 2, Pad: 1, NoBias: true}},
		{{Kind: BatchNorm}, {Kind: ReLU}},
		{{Kind: Conv, Out: 4, Kernel: 3, Pad: 1, NoBias: true}},
		{{Kind: BatchNorm}, {Kind: ReLU}},
	})
	copyState(t, block, layers)

	x := randomImages(rng, 2, 3, 6, 6)
	assertSameOutputs(t, runSequentials(t, x, block), runSequentials(t, x, layers...))
}

// TestSequentialFoldsConvBatchNorm checks a conv layer with a bias
// followed by a BatchNorm in one Sequential, which Eval mode folds into
// one convolution, against the two layers in separate Sequentials.
func TestSequentialFoldsConvBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	conv := Layer{Kind: Conv, Out: 5, Kernel: 3, Pad: 1}
	folded := mustSequential(t, []int{2, 5, 5}, []Layer{conv, {Kind: BatchNorm}}, 1)
	randomizeBatchNorm(folded, rng)
	for _, p := range folded.Params() {
		if p.Name == "seq.0.bias" {
			for i := range p.Value.Data().([]float32) {
				p.Value.Data().([]float32)[i] = rng.Float32() - 0.5
			}
		}
	}
	separate := unfoldedSequentials(t, []int{2, 5, 5}, [][]Layer{{conv}, {{Kind: BatchNorm}}})
	copyState(t, folded, separate)

	x := randomImages(rng, 3, 2, 5, 5)
	assertSameOutputs(t, runSequentials(t, x, folded), runSequentials(t, x, separate...))
}

// unfoldedSequentials returns one Sequential per group of layers, each
// taking the previous one's output shape, with names of their own.
func unfoldedSequentials(t *testing.T, input []int, groups [][]Layer) []*Sequential {
	t.Helper()
	var seqs []*Sequential
	for i, layers := range groups {
		s, err := NewSequential(fmt.Sprintf("part%d", i), input, layers,
			rand.New(rand.NewSource(int64(i))))
		if err != nil {
			t.Fatalf("NewSequential: %v", err)
		}
		seqs = append(seqs, s)
		input = s.OutShape()
	}
	return seqs
}

// copyState copies the parameters and buffers of from, in order, into
// the Sequentials to.
func copyState(t *testing.T, from *Sequential, to []*Sequential) {
	t.Helper()
	var params, buffers []*Param
	for _, s := range to {
		params = append(params, s.Params()...)
		buffers = append(buffers, s.Buffers()...)
	}
	source := append(from.Params(), from.Buffers()...)
	target := append(params, buffers...)
	if len(source) != len(target) {
		t.Fatalf("%d parameters and buffers to copy into %d", len(source), len(target))
	}
	for i, p := range target {
		if !p.Value.Shape().Eq(source[i].Value.Shape()) {
			t.Fatalf("%s has shape %v, %s has %v", source[i].Name, source[i].Value.Shape(),
				p.Name, p.Value.Shape())
		}
		copy(p.Value.Data().([]float32), source[i].Value.Data().([]float32))
	}
}

// runSequentials runs the Sequentials one after the other on x in Eval
// mode and returns the last one's output.
func runSequentials(t *testing.T, x *tensor.Dense, seqs ...*Sequential) []float32 {
	t.Helper()
	g := gorgonia.NewGraph()
	out := gorgonia.NewTensor(g, tensor.Float32, x.Dims(),
		gorgonia.WithShape(x.Shape().Clone()...), gorgonia.WithName("input"),
		gorgonia.WithValue(x))
	for _, s := range seqs {
		var err error
		if out, err = s.Forward(out, Eval); err != nil {
			t.Fatalf("Forward: %v", err)
		}
	}
	machine := gorgonia.NewTapeMachine(g)
	defer machine.Close()
	if err := machine.RunAll(); err != nil {
		t.Fatalf("RunAll: %v", err)
	}
	return append([]float32(nil), out.Value().Data().([]float32)...)
}

func assertSameOutputs(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Fatalf("output %d is %g, want %g", i, got[i], want[i])
		}
	}
}
