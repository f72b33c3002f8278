package mma

import (
	"testing"

	"github.com/mmatransfer/mma/models"
)

func TestVariantCycle(t *testing.T) {
	want := []string{
		"3x3 relu maxpool skip",
		"5x5 leakyrelu avgpool skip",
		"3x3 softplus strided no-skip",
		"5x5 gelu maxpool no-skip",
		"3x3 relu avgpool skip",
	}
	for k, w := range want {
		if got := VariantOf(k).String(); got != w {
			t.Errorf("VariantOf(%d) = %q, want %q", k, got, w)
		}
	}
}

func TestVariantApply(t *testing.T) {
	layers := []models.Layer{
		{Kind: models.Conv, Out: 8, Kernel: 3, Pad: 1},
		{Kind: models.ReLU},
		{Kind: models.MaxPool, Kernel: 2},
		{Kind: models.Conv, Out: 8, Kernel: 1},
		{Kind: models.BasicBlock, Out: 16, Kernel: 3, Stride: 2},
	}
	got := VariantOf(2).apply(layers, 1)

	if got[0].Kernel != 3 || got[0].Pad != 1 {
		t.Errorf("3x3 variant changed the conv to kernel %d pad %d", got[0].Kernel, got[0].Pad)
	}
	if got[1].Kind != models.Softplus {
		t.Errorf("activation = %s, want softplus", got[1].Kind)
	}
	strided := models.Layer{Kind: models.Conv, Out: 8, Kernel: 2, Stride: 2}
	if got[2] != strided {
		t.Errorf("pooling became %+v, want %+v", got[2], strided)
	}
	if !got[4].NoSkip || got[4].Activation != models.Softplus {
		t.Errorf("block = %+v, want no skip and softplus", got[4])
	}

	wide := VariantOf(1).apply(layers, 1)
	if wide[0].Kernel != 5 || wide[0].Pad != 2 {
		t.Errorf("5x5 variant gives kernel %d pad %d, want 5 and 2", wide[0].Kernel, wide[0].Pad)
	}
	if wide[3].Kernel != 1 {
		t.Errorf("5x5 variant changed a 1x1 conv to %dx%d", wide[3].Kernel, wide[3].Kernel)
	}
	if wide[2].Kind != models.AvgPool {
		t.Errorf("pooling = %s, want avgpool", wide[2].Kind)
	}
}

func TestHeteroTracksBuildAndKeepBudget(t *testing.T) {
	spec := models.SmallCNN([]int{1, 28, 28}, 10)
	backbone, err := models.NewBackbone(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	base := float64(countParams(backbone.Params()))
	for _, k := range []int{2, 4} {
		net, err := New(spec, Config{Tracks: k, Hetero: true}, 1)
		if err != nil {
			t.Fatal(err)
		}
		ratio := float64(countParams(net.Params())) / base
		if ratio < 0.85 || ratio > 1.15 {
			t.Errorf("hetero k=%d: %.3f times the backbone's parameters, want within 15%%", k, ratio)
		}
		fused, tracks := forward(t, net, randomPixels(2, spec.Input, 1))
		if len(tracks) != k || len(fused) != 2*spec.Classes {
			t.Errorf("hetero k=%d: %d tracks and %d logits", k, len(tracks), len(fused))
		}
	}
}

func TestHeteroIsReproducible(t *testing.T) {
	spec := tinyCNN()
	x := randomPixels(2, spec.Input, 1)
	first, err := New(spec, Config{Tracks: 4, Hetero: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	second, err := New(spec, Config{Tracks: 4, Hetero: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := forward(t, first, x)
	b, _ := forward(t, second, x)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("logit %d differs between two builds from one config and seed: %v, %v",
				i, a[i], b[i])
		}
	}
}
