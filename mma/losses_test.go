package mma

import (
	"math"
	"testing"

	"github.com/mmatransfer/mma/models"
)

// TestAttackLossMatchesLogits checks the per-image losses InputGradient
// returns against the cross-entropy of the logits computed apart, for the
// backbone and for an MMA with each attack loss.
func TestAttackLossMatchesLogits(t *testing.T) {
	spec := tinyCNN()
	labels := []int{2, 0, 1, 1}
	x := randomPixels(len(labels), spec.Input, 9)

	nets := map[string]Config{
		"backbone":         {Tracks: 1},
		"mma fused":        {Tracks: 3},
		"mma track-mean":   {Tracks: 3, AttackLoss: TrackMean},
		"mma split, fused": {Tracks: 2, Split: 1},
	}
	for name, cfg := range nets {
		net, err := New(spec, cfg, 4)
		if err != nil {
			t.Fatal(err)
		}
		model := models.NewModel(net, spec.Input, spec.Classes)
		_, losses, err := model.InputGradient(x, labels)
		if err != nil {
			t.Fatal(err)
		}

		fused, tracks := forward(t, net, x)
		for i, label := range labels {
			row := fused[i*spec.Classes : (i+1)*spec.Classes]
			want := crossEntropy(row, []int{label}, spec.Classes)
			if cfg.AttackLoss == TrackMean {
				want = 0
				for _, track := range tracks {
					row := track[i*spec.Classes : (i+1)*spec.Classes]
					want += crossEntropy(row, []int{label}, spec.Classes) / float64(len(tracks))
				}
			}
			if math.Abs(float64(losses[i])-want) > 1e-5 {
				t.Errorf("%s: loss of image %d = %v, cross-entropy of its logits = %v",
					name, i, losses[i], want)
			}
		}
	}
}
