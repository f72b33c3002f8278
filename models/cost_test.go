package models

import (
	"math/rand"
	"testing"
)

func TestConvAndLinearCost(t *testing.T) {
	s, err := NewSequential("net", []int{3, 8, 8}, []Layer{
		{Kind: Conv, Out: 4, Kernel: 3, Stride: 2, Pad: 1},
		{Kind: BatchNorm},
		{Kind: ReLU},
		{Kind: Flatten},
		{Kind: Linear, Out: 5},
	}, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	costs := s.LayerCosts()

	// The conv gives 4 x 4 x 4 outputs, each a sum of 3 x 3 x 3 products.
	if got, want := costs[0].MultiplyAdds, int64(4*4*4*3*3*3); got != want {
		t.Errorf("conv multiply-adds %d, want %d", got, want)
	}
	if got, want := costs[0].Params, 4*3*3*3+4; got != want {
		t.Errorf("conv params %d, want %d", got, want)
	}
	if got := costs[1]; got.MultiplyAdds != 0 || got.Params != 8 {
		t.Errorf("batchnorm cost %+v, want 0 multiply-adds and 8 params", got)
	}
	if got, want := costs[4].MultiplyAdds, int64(64*5); got != want {
		t.Errorf("linear multiply-adds %d, want %d", got, want)
	}
	if got, want := costs[4].Params, 64*5+5; got != want {
		t.Errorf("linear params %d, want %d", got, want)
	}
	if got := costs[4].Name; got != "net.4" {
		t.Errorf("linear layer name %q, want net.4", got)
	}
	if got := costs[0].Output; !sameInts(got, []int{4, 4, 4}) {
		t.Errorf("conv output %v, want [4 4 4]", got)
	}
}

func TestResNet20Cost(t *testing.T) {
	spec, err := SpecByName("resnet20", []int{3, 32, 32}, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBackbone(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	cost := CountCost(b)

	// Hand count: a 3x3 conv at c channels on an s x s map costs
	// c*s*s*cIn*9. Stem 16*32*32*3*9; stage1 six 16->16 convs at 32x32;
	// stage2 one 16->32 and five 32->32 convs at 16x16 plus a 1x1
	// projection 32*16*16*16; stage3 likewise at 8x8; linear 64*10.
	conv := func(out, side, in, kernel int) int64 {
		return int64(out * side * side * in * kernel * kernel)
	}
	want := conv(16, 32, 3, 3) +
		6*conv(16, 32, 16, 3) +
		conv(32, 16, 16, 3) + 5*conv(32, 16, 32, 3) + conv(32, 16, 16, 1) +
		conv(64, 8, 32, 3) + 5*conv(64, 8, 64, 3) + conv(64, 8, 32, 1) +
		64*10
	if cost.MultiplyAdds != want {
		t.Errorf("ResNet-20 has %d multiply-adds, hand count %d", cost.MultiplyAdds, want)
	}
	if cost.MultiplyAdds < 40_000_000 || cost.MultiplyAdds > 42_000_000 {
		t.Errorf("ResNet-20 has %d multiply-adds, want about 41 million", cost.MultiplyAdds)
	}
	if got, want := cost.Params, countParams(b.Params()); got != want {
		t.Errorf("Cost.Params is %d, the parameters hold %d values", got, want)
	}
	if got := len(cost.Layers); got != 3+3*3+2 {
		t.Errorf("got %d layers, want 14 (stem 3, nine blocks, head 2)", got)
	}
}
