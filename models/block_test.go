package models

import (
	"math"
	"math/rand"
	"strings"
	"testing"
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
// separate conv, batchnorm and relu layers, which does not fold.
func TestBasicBlockEvalMatchesLayers(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	block := mustSequential(t, []int{3, 6, 6},
		[]Layer{{Kind: BasicBlock, Out: 4, Kernel: 3, Stride: 2, NoSkip: true}}, 1)
	randomizeBatchNorm(block, rng)
	layers := mustSequential(t, []int{3, 6, 6}, []Layer{
		{Kind: Conv, Out: 4, Kernel: 3, Stride: 2, Pad: 1, NoBias: true},
		{Kind: BatchNorm}, {Kind: ReLU},
		{Kind: Conv, Out: 4, Kernel: 3, Pad: 1, NoBias: true},
		{Kind: BatchNorm}, {Kind: ReLU},
	}, 3)
	for i, p := range append(layers.Params(), layers.Buffers()...) {
		source := append(block.Params(), block.Buffers()...)[i]
		copy(p.Value.Data().([]float32), source.Value.Data().([]float32))
	}

	x := randomImages(rng, 2, 3, 6, 6)
	got := runSequential(t, block, x)
	want := runSequential(t, layers, x)
	if len(got) != len(want) {
		t.Fatalf("block gives %d values, layers %d", len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Fatalf("output %d is %g, want %g", i, got[i], want[i])
		}
	}
}
