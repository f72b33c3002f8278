package mma

import (
	"strings"
	"testing"

	"github.com/mmatransfer/mma/models"
)

func TestBalancedWidthOnResNetAndVGG(t *testing.T) {
	for _, name := range []string{"resnet20", "vgg11-w0.25"} {
		spec, err := models.SpecByName(name, []int{3, 32, 32}, 10)
		if err != nil {
			t.Fatal(err)
		}
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
				t.Errorf("%s k=%d balanced: %.3f times the backbone's parameters, "+
					"want within 15%%", name, k, ratio)
			}
		}
	}
}

func TestOneTrackIsResNet(t *testing.T) {
	spec, err := models.SpecByName("resnet8", []int{3, 16, 16}, 10)
	if err != nil {
		t.Fatal(err)
	}
	backbone, err := models.NewBackbone(spec, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := randomPixels(2, spec.Input, 1)
	want, _ := forward(t, backbone, x)

	for split := 0; split <= len(spec.Stages); split++ {
		net, err := New(spec, Config{Tracks: 1, Split: split}, 2)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := forward(t, net, x)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("split %d: logit %d = %v, backbone gives %v", split, i, got[i], want[i])
			}
		}
	}
}

func TestHeteroResNetBuilds(t *testing.T) {
	spec, err := models.SpecByName("resnet8", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, split := range []int{0, 2} {
		net, err := New(spec, Config{Tracks: 4, Split: split, Hetero: true}, 1)
		if err != nil {
			t.Fatalf("split %d: %v", split, err)
		}
		fused, tracks := forward(t, net, randomPixels(2, spec.Input, 1))
		if len(tracks) != 4 || len(fused) != 20 {
			t.Errorf("split %d: %d tracks, %d logits; want 4 and 20", split, len(tracks),
				len(fused))
		}
		if block := firstBlock(net.(*Net).tracks[3]); block == nil || !block.NoSkip {
			t.Errorf("split %d: track 3's first block is %+v, want one without skip",
				split, block)
		}
	}
}

func TestSplitZeroSharesNothing(t *testing.T) {
	spec, err := models.SpecByName("resnet8", []int{3, 16, 16}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for split, wantShared := range map[int]bool{0: false, 1: true} {
		net, err := New(spec, Config{Tracks: 2, Split: split}, 1)
		if err != nil {
			t.Fatal(err)
		}
		shared := false
		for _, p := range net.Params() {
			shared = shared || strings.HasPrefix(p.Name, "stem.")
		}
		if shared != wantShared {
			t.Errorf("split %d: stem shared = %v, want %v", split, shared, wantShared)
		}
	}
}

// firstBlock returns the first residual block of parts, or nil.
func firstBlock(parts []*models.Sequential) *models.Layer {
	for _, part := range parts {
		for _, layer := range part.Layers() {
			if layer.Kind == models.BasicBlock {
				return &layer
			}
		}
	}
	return nil
}
