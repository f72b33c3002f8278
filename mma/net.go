package mma

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/mmatransfer/mma/models"
)

// Net is an MMA of two or more tracks: a shared prefix followed by tracks
// whose outputs are fused. It implements models.Net, models.TrainLosser
// and models.AttackLosser.
type Net struct {
	config   Config
	backbone models.Spec
	variants []Variant

	// shared is the stem and the stages before the split.
	shared []*models.Sequential

	// tracks holds each track's stages and head. With concat fusion the
	// head stops before the classifier.
	tracks [][]*models.Sequential

	// trackHeads holds each track's own classifier under concat fusion,
	// used for the auxiliary loss; nil otherwise or when nothing uses it.
	trackHeads []*models.Sequential

	// fusionHead is the shared classifier of concat fusion; nil otherwise.
	fusionHead *models.Sequential
}

// Config returns the configuration the net was built with, defaults filled
// in.
func (n *Net) Config() Config { return n.config }

// Backbone returns the spec of the backbone the net was decomposed from.
func (n *Net) Backbone() models.Spec { return n.backbone }

// Tracks returns the number of tracks K.
func (n *Net) Tracks() int { return len(n.tracks) }

// Variant returns the variant track k was built with.
func (n *Net) Variant(k int) Variant { return n.variants[k] }

// Sequentials returns every part in the order of Params: the shared
// prefix, each track (with its classifier under concat fusion) and the
// shared classifier of concat fusion.
func (n *Net) Sequentials() []*models.Sequential {
	parts := append([]*models.Sequential(nil), n.shared...)
	for k, track := range n.tracks {
		parts = append(parts, track...)
		if n.trackHeads != nil {
			parts = append(parts, n.trackHeads[k])
		}
	}
	if n.fusionHead != nil {
		parts = append(parts, n.fusionHead)
	}
	return parts
}

// Params returns the parameters of every part, in the order of
// Sequentials.
func (n *Net) Params() []*models.Param {
	var params []*models.Param
	for _, part := range n.Sequentials() {
		params = append(params, part.Params()...)
	}
	return params
}

// Forward adds the shared prefix, every track and the fusion to x's graph.
// Outputs.Logits is the fused logits and Outputs.Tracks each track's
// (nil under concat fusion when no track keeps a classifier).
func (n *Net) Forward(x *gorgonia.Node, mode models.Mode) (models.Outputs, error) {
	features, err := forwardParts(n.shared, x, mode)
	if err != nil {
		return models.Outputs{}, fmt.Errorf("mma shared stages: %w", err)
	}

	trackOutputs := make([]*gorgonia.Node, len(n.tracks))
	for k, track := range n.tracks {
		trackOutputs[k], err = forwardParts(track, features, mode)
		if err != nil {
			return models.Outputs{}, fmt.Errorf("mma track %d: %w", k, err)
		}
	}

	var out models.Outputs
	switch n.config.Fusion {
	case Concat:
		out, err = n.concatFusion(trackOutputs, mode)
	case SoftmaxMean:
		out.Tracks = trackOutputs
		out.Logits, err = softmaxMean(trackOutputs)
	default:
		out.Tracks = trackOutputs
		out.Logits, err = meanOf(trackOutputs)
	}
	if err != nil {
		return models.Outputs{}, fmt.Errorf("mma %s fusion: %w", n.config.Fusion, err)
	}
	return out, nil
}

// concatFusion classifies the concatenated track features with the shared
// classifier, and each track's features with its own.
func (n *Net) concatFusion(features []*gorgonia.Node, mode models.Mode) (models.Outputs, error) {
	joined, err := gorgonia.Concat(1, features...)
	if err != nil {
		return models.Outputs{}, err
	}
	var out models.Outputs
	if out.Logits, err = n.fusionHead.Forward(joined, mode); err != nil {
		return models.Outputs{}, err
	}
	for k, head := range n.trackHeads {
		logits, err := head.Forward(features[k], mode)
		if err != nil {
			return models.Outputs{}, fmt.Errorf("classifier of track %d: %w", k, err)
		}
		out.Tracks = append(out.Tracks, logits)
	}
	return out, nil
}

// TrainLoss returns CE(z, y) + aux * (1/K) sum_k CE(z_k, y), each
// cross-entropy averaged over the batch.
func (n *Net) TrainLoss(out models.Outputs, targets *gorgonia.Node) (*gorgonia.Node, error) {
	fusedLoss, err := meanCrossEntropy(out.Logits, targets)
	if err != nil {
		return nil, err
	}
	weight := n.config.auxWeight()
	if weight == 0 || len(out.Tracks) == 0 {
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

// scalar returns a float32 constant node; gorgonia adds it to the graph of
// the op that uses it.
func scalar(value float64) *gorgonia.Node {
	return gorgonia.NewConstant(float32(value), gorgonia.WithName(fmt.Sprintf("%g", value)))
}

// Buffers returns the state of every part that is not trained by gradient,
// such as BatchNorm running statistics, in the order of Sequentials.
func (n *Net) Buffers() []*models.Param {
	var buffers []*models.Param
	for _, part := range n.Sequentials() {
		buffers = append(buffers, part.Buffers()...)
	}
	return buffers
}
