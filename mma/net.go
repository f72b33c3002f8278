package mma

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/mmatransfer/mma/models"
)

// Net is an MMA of two or more tracks: a shared prefix followed by tracks
// whose logits are fused. It implements models.Net, models.TrainLosser and
// models.AttackLosser.
type Net struct {
	config   Config
	backbone models.Spec
	shared   []*models.Sequential   // stem and stages before the split
	tracks   [][]*models.Sequential // each track's stages and head
}

// Config returns the configuration the net was built with, defaults filled
// in.
func (n *Net) Config() Config { return n.config }

// Backbone returns the spec of the backbone the net was decomposed from.
func (n *Net) Backbone() models.Spec { return n.backbone }

// Tracks returns the number of tracks K.
func (n *Net) Tracks() int { return len(n.tracks) }

// Params returns the shared prefix's parameters, then each track's.
func (n *Net) Params() []*models.Param {
	params := partParams(n.shared)
	for _, track := range n.tracks {
		params = append(params, partParams(track)...)
	}
	return params
}

// Forward adds the shared prefix, every track and the fusion to x's graph.
// Outputs.Logits is the fused logits and Outputs.Tracks each track's.
func (n *Net) Forward(x *gorgonia.Node, mode models.Mode) (models.Outputs, error) {
	features, err := forwardParts(n.shared, x, mode)
	if err != nil {
		return models.Outputs{}, fmt.Errorf("mma shared stages: %w", err)
	}

	trackLogits := make([]*gorgonia.Node, len(n.tracks))
	for k, track := range n.tracks {
		trackLogits[k], err = forwardParts(track, features, mode)
		if err != nil {
			return models.Outputs{}, fmt.Errorf("mma track %d: %w", k, err)
		}
	}

	fused, err := meanOf(trackLogits)
	if err != nil {
		return models.Outputs{}, fmt.Errorf("mma %s fusion: %w", n.config.Fusion, err)
	}
	return models.Outputs{Logits: fused, Tracks: trackLogits}, nil
}

// TrainLoss returns CE(z, y) + aux * (1/K) sum_k CE(z_k, y), each
// cross-entropy averaged over the batch.
func (n *Net) TrainLoss(out models.Outputs, targets *gorgonia.Node) (*gorgonia.Node, error) {
	fusedLoss, err := meanCrossEntropy(out.Logits, targets)
	if err != nil {
		return nil, err
	}
	weight := n.config.auxWeight()
	if weight == 0 {
		return fusedLoss, nil
	}

	trackLosses := make([]*gorgonia.Node, len(out.Tracks))
	for k, logits := range out.Tracks {
		trackLosses[k], err = meanCrossEntropy(logits, targets)
		if err != nil {
			return nil, fmt.Errorf("track %d: %w", k, err)
		}
	}
	auxLoss, err := meanOf(trackLosses)
	if err != nil {
		return nil, err
	}
	scaled, err := gorgonia.Mul(auxLoss, scalar(weight))
	if err != nil {
		return nil, err
	}
	return gorgonia.Add(fusedLoss, scaled)
}

// AttackLoss returns the per-image loss attacks maximise: the
// cross-entropy of the fused logits, or with AttackLoss TrackMean the mean
// of the tracks' cross-entropies.
func (n *Net) AttackLoss(out models.Outputs, targets *gorgonia.Node) (*gorgonia.Node, error) {
	if n.config.AttackLoss != TrackMean {
		return models.CrossEntropy(out.Logits, targets)
	}
	losses := make([]*gorgonia.Node, len(out.Tracks))
	for k, logits := range out.Tracks {
		loss, err := models.CrossEntropy(logits, targets)
		if err != nil {
			return nil, fmt.Errorf("track %d: %w", k, err)
		}
		losses[k] = loss
	}
	return meanOf(losses)
}

// Parts returns the Sequentials of the shared prefix and of each track, in
// the order Forward runs them.
func (n *Net) Parts() (shared []*models.Sequential, tracks [][]*models.Sequential) {
	tracks = make([][]*models.Sequential, len(n.tracks))
	for k, track := range n.tracks {
		tracks[k] = append([]*models.Sequential(nil), track...)
	}
	return append([]*models.Sequential(nil), n.shared...), tracks
}

func partParams(parts []*models.Sequential) []*models.Param {
	var params []*models.Param
	for _, part := range parts {
		params = append(params, part.Params()...)
	}
	return params
}

func forwardParts(parts []*models.Sequential, x *gorgonia.Node,
	mode models.Mode) (*gorgonia.Node, error) {

	var err error
	for _, part := range parts {
		if x, err = part.Forward(x, mode); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func meanCrossEntropy(logits, targets *gorgonia.Node) (*gorgonia.Node, error) {
	losses, err := models.CrossEntropy(logits, targets)
	if err != nil {
		return nil, err
	}
	return gorgonia.Mean(losses)
}

// meanOf returns the element-wise mean of nodes of one shape.
func meanOf(nodes []*gorgonia.Node) (*gorgonia.Node, error) {
	sum := nodes[0]
	for _, node := range nodes[1:] {
		var err error
		if sum, err = gorgonia.Add(sum, node); err != nil {
			return nil, err
		}
	}
	if len(nodes) == 1 {
		return sum, nil
	}
	return gorgonia.Mul(sum, scalar(1/float64(len(nodes))))
}

// scalar returns a float32 constant node; gorgonia adds it to the graph of
// the op that uses it.
func scalar(value float64) *gorgonia.Node {
	return gorgonia.NewConstant(float32(value), gorgonia.WithName(fmt.Sprintf("%g", value)))
}
