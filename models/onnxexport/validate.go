package onnxexport

import (
	"fmt"
	"slices"

	"github.com/mmatransfer/mma/models"
)

// validate checks that n's parts fit one after another and end in
// N x Classes logits, so that a wrong Network fails here with a message
// rather than in the program that loads the file.
func (n Network) validate() error {
	if len(n.Input) != 3 || slices.Min(n.Input) <= 0 {
		return fmt.Errorf("input shape %v: want C x H x W, all positive", n.Input)
	}
	if n.Classes < 2 {
		return fmt.Errorf("classes is %d, want at least 2", n.Classes)
	}
	if len(n.Shared) == 0 && len(n.Tracks) == 0 {
		return fmt.Errorf("network has no Sequentials: Shared and Tracks are both empty")
	}

	shape, err := chainShape(n.Shared, n.Input, "shared")
	if err != nil {
		return err
	}
	if len(n.Tracks) == 0 {
		return checkLogitShape(shape, n.Classes, "shared part")
	}
	return n.validateTracks(shape)
}

// validateTracks checks every track on input shape and the fusion.
func (n Network) validateTracks(shape []int) error {
	features := 0
	for k, track := range n.Tracks {
		if len(track) == 0 {
			return fmt.Errorf("track %d has no Sequentials", k)
		}
		out, err := chainShape(track, shape, fmt.Sprintf("track %d", k))
		if err != nil {
			return err
		}
		if n.fusion() != Concat {
			if err := checkLogitShape(out, n.Classes, fmt.Sprintf("track %d", k)); err != nil {
				return err
			}
			continue
		}
		if len(out) != 1 {
			return fmt.Errorf("track %d gives shape %v, but concat fusion needs flat features",
				k, out)
		}
		features += out[0]
	}

	switch n.fusion() {
	case Mean, SoftmaxMean:
		if n.FusionHead != nil {
			return fmt.Errorf("fusion %s takes no FusionHead", n.fusion())
		}
		return nil
	case Concat:
		if n.FusionHead == nil {
			return fmt.Errorf("concat fusion needs a FusionHead")
		}
		if _, err := chainShape([]*models.Sequential{n.FusionHead}, []int{features},
			"fusion head"); err != nil {
			return err
		}
		return checkLogitShape(n.FusionHead.OutShape(), n.Classes, "fusion head")
	default:
		return fmt.Errorf("fusion %q is unknown, want %s, %s or %s", n.Fusion, Mean,
			SoftmaxMean, Concat)
	}
}

// chainShape checks that parts fit one after another on input shape and
// returns the shape of the last one's output.
func chainShape(parts []*models.Sequential, shape []int, what string) ([]int, error) {
	for i, part := range parts {
		if part == nil {
			return nil, fmt.Errorf("%s: Sequential %d is nil", what, i)
		}
		if !slices.Equal(part.InShape(), shape) {
			return nil, fmt.Errorf("%s: Sequential %q takes shape %v, but its input has "+
				"shape %v", what, part.Name(), part.InShape(), shape)
		}
		shape = part.OutShape()
	}
	return shape, nil
}

func checkLogitShape(shape []int, classes int, what string) error {
	if !slices.Equal(shape, []int{classes}) {
		return fmt.Errorf("%s gives shape %v, want [%d] logits", what, shape, classes)
	}
	return nil
}
