package mma

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/mmatransfer/mma/models"
)

// New decomposes backbone into the MMA that c describes, with weights drawn
// from seed. The stages before c.Split, with the stem, become one shared
// prefix, which is empty at split 0. The remaining stages and the head
// become c.Tracks tracks whose channel and feature counts are scaled by the
// width ratio (rounded, at least 4). The classifier keeps its Classes
// outputs.
//
// With one track New returns the backbone itself, built exactly as
// models.NewBackbone(backbone, seed) builds it. The shared prefix draws its
// weights from seed, track k from seed+k+1 and the shared classifier of
// concat fusion from seed+K+1, so a run is reproducible from its config
// and seed alone.
func New(backbone models.Spec, c Config, seed int64) (models.Net, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	if err := models.ValidateSpec(backbone); err != nil {
		return nil, fmt.Errorf("mma: %w", err)
	}
	if c.Split > len(backbone.Stages) {
		return nil, fmt.Errorf("mma: split = %d, but backbone %q has %d stages; want 0..%d",
			c.Split, backbone.Name, len(backbone.Stages), len(backbone.Stages))
	}
	if c.Tracks == 1 {
		return models.NewBackbone(backbone, seed)
	}

	net := &Net{config: c, backbone: backbone}
	shape := backbone.Input
	var err error
	net.shared, shape, err = buildParts("", sharedParts(backbone, c.Split), shape, seed)
	if err != nil {
		return nil, fmt.Errorf("mma: shared stages of %q: %w", backbone.Name, err)
	}
	if err := net.buildTracks(shape, seed); err != nil {
		return nil, err
	}
	if c.Fusion == Concat {
		if err := net.buildFusionHead(seed + int64(c.Tracks) + 1); err != nil {
			return nil, err
		}
	}
	return net, nil
}

// buildTracks builds every track on the shared prefix's output shape.
func (n *Net) buildTracks(shape []int, seed int64) error {
	c := n.config
	n.tracks = make([][]*models.Sequential, c.Tracks)
	n.variants = make([]Variant, c.Tracks)
	if c.Fusion == Concat && (c.auxWeight() > 0 || c.AttackLoss == TrackMean) {
		n.trackHeads = make([]*models.Sequential, c.Tracks)
	}

	for k := range n.tracks {
		variant := homogeneous
		if c.Hetero {
			variant = VariantOf(k)
		}
		n.variants[k] = variant

		ratio, err := n.trackRatio(shape, variant)
		if err != nil {
			return err
		}
		parts := trackParts(n.backbone, c.Split, ratio, shape[0], variant)
		var classifier models.Stage
		if c.Fusion == Concat {
			parts, classifier = splitClassifier(parts)
		}

		prefix := fmt.Sprintf("track%d.", k)
		rng := rand.New(rand.NewSource(seed + int64(k) + 1))
		track, out, err := buildPartsFrom(prefix, parts, shape, rng)
		if err != nil {
			return fmt.Errorf("mma: track %d (%s) of %q: %w", k, variant, n.backbone.Name, err)
		}
		n.tracks[k] = track
		if n.trackHeads != nil {
			n.trackHeads[k], err = models.NewSequential(prefix+"classifier", out,
				classifier.Layers, rng)
			if err != nil {
				return fmt.Errorf("mma: classifier of track %d: %w", k, err)
			}
		}
	}
	return nil
}

// buildFusionHead builds the shared classifier of concat fusion on the
// tracks' concatenated features.
func (n *Net) buildFusionHead(seed int64) error {
	features := 0
	for k, track := range n.tracks {
		out := track[len(track)-1].OutShape()
		if len(out) != 1 {
			return fmt.Errorf("mma: fusion=concat needs flat features before the classifier, "+
				"but track %d gives shape %v; end the head with flatten or global pooling", k, out)
		}
		features += out[0]
	}
	layers := []models.Layer{{Kind: models.Linear, Out: n.backbone.Classes}}
	var err error
	n.fusionHead, err = models.NewSequential("fusion", []int{features}, layers,
		rand.New(rand.NewSource(seed)))
	return err
}

// homogeneous is the variant of every track of a homogeneous MMA: the
// backbone's own layers.
var homogeneous = Variant{Kernel: 3, Activation: models.ReLU, Downsample: MaxPoolDown, Skip: true}

// buildParts builds one Sequential per part, named prefix plus the part's
// name, on input shape, with weights drawn from seed. It returns the
// Sequentials and their output shape.
func buildParts(prefix string, parts []models.Stage, shape []int,
	seed int64) ([]*models.Sequential, []int, error) {

	return buildPartsFrom(prefix, parts, shape, rand.New(rand.NewSource(seed)))
}

func buildPartsFrom(prefix string, parts []models.Stage, shape []int,
	rng *rand.Rand) ([]*models.Sequential, []int, error) {

	built := make([]*models.Sequential, 0, len(parts))
	for _, part := range parts {
		if len(part.Layers) == 0 {
			continue
		}
		seq, err := models.NewSequential(prefix+part.Name, shape, part.Layers, rng)
		if err != nil {
			return nil, nil, err
		}
		built = append(built, seq)
		shape = seq.OutShape()
	}
	return built, shape, nil
}

// sharedParts returns the stem and the stages before split, named as
// models.NewBackbone names them. At split 0 nothing is shared: the tracks
// start at the input, stem included.
func sharedParts(spec models.Spec, split int) []models.Stage {
	var parts []models.Stage
	if split > 0 && len(spec.Stem) > 0 {
		parts = append(parts, models.Stage{Name: "stem", Layers: spec.Stem})
	}
	for i := range spec.Stages[:split] {
		parts = append(parts, models.Stage{Name: models.StageName(spec, i),
			Layers: spec.Stages[i].Layers})
	}
	return parts
}

// trackParts returns the stem at split 0, the stages from split on and the
// head, with every conv and linear layer but the final classifier narrowed
// by ratio and the variant applied. channels is the track's input channel
// count.
func trackParts(spec models.Spec, split int, ratio float64, channels int,
	variant Variant) []models.Stage {

	var parts []models.Stage
	if split == 0 && len(spec.Stem) > 0 {
		parts = append(parts, models.Stage{Name: "stem",
			Layers: scaleLayers(spec.Stem, ratio, -1)})
	}
	for i := split; i < len(spec.Stages); i++ {
		layers := scaleLayers(spec.Stages[i].Layers, ratio, -1)
		parts = append(parts, models.Stage{Name: models.StageName(spec, i), Layers: layers})
	}
	head := scaleLayers(spec.Head, ratio, len(spec.Head)-1)
	parts = append(parts, models.Stage{Name: "head", Layers: head})

	for i := range parts {
		parts[i].Layers = variant.apply(parts[i].Layers, channels)
		channels = lastChannels(parts[i].Layers, channels)
	}
	return parts
}

// lastChannels returns the channel or feature count after layers, given
// channels before them.
func lastChannels(layers []models.Layer, channels int) int {
	for _, layer := range layers {
		if layer.Out > 0 {
			channels = layer.Out
		}
	}
	return channels
}

// splitClassifier removes the final classifier from the head part and
// returns it as a part of its own.
func splitClassifier(parts []models.Stage) ([]models.Stage, models.Stage) {
	last := len(parts) - 1
	head := parts[last]
	classifier := models.Stage{Name: "classifier",
		Layers: head.Layers[len(head.Layers)-1:]}
	parts[last].Layers = head.Layers[:len(head.Layers)-1]
	return parts, classifier
}

// Bounds and steps of the search for a heterogeneous track's width.
const (
	minWidthMultiplier = 0.25
	maxWidthMultiplier = 2.0
	widthSearchSteps   = 24
)

// trackRatio returns the width ratio of a track of the given variant on
// input shape. A homogeneous track uses the width rule's ratio r. A
// heterogeneous one multiplies r by the factor, found by bisection, that
// brings its parameter count closest to a homogeneous track's: its 5x5
// convolutions make it narrower, and a strided-conv downsampling layer a
// little narrower still.
func (n *Net) trackRatio(shape []int, variant Variant) (float64, error) {
	r := n.config.ratio()
	if variant == homogeneous {
		return r, nil
	}

	budget, err := n.trackParams(shape, r, homogeneous)
	if err != nil {
		return 0, err
	}
	best, bestGap := r, -1
	low, high := minWidthMultiplier, maxWidthMultiplier
	for range widthSearchSteps {
		middle := (low + high) / 2
		params, err := n.trackParams(shape, r*middle, variant)
		if err != nil {
			return 0, err
		}
		if gap := abs(params - budget); bestGap < 0 || gap < bestGap {
			best, bestGap = r*middle, gap
		}
		if params > budget {
			high = middle
		} else {
			low = middle
		}
	}
	return best, nil
}

// trackParams returns the parameter count of one track built with width
// ratio and variant on input shape.
func (n *Net) trackParams(shape []int, ratio float64, variant Variant) (int, error) {
	parts := trackParts(n.backbone, n.config.Split, ratio, shape[0], variant)
	built, _, err := buildParts("", parts, shape, 0)
	if err != nil {
		return 0, fmt.Errorf("mma: %s track of %q: %w", variant, n.backbone.Name, err)
	}
	total := 0
	for _, part := range built {
		for _, p := range part.Params() {
			total += p.Value.Shape().TotalSize()
		}
	}
	return total, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// scaleLayers returns a copy of layers with the Out of every layer but the
// one at index keep narrowed by ratio.
func scaleLayers(layers []models.Layer, ratio float64, keep int) []models.Layer {
	scaled := make([]models.Layer, len(layers))
	for i, layer := range layers {
		if i != keep && layer.Out > 0 {
			layer.Out = scaleWidth(layer.Out, ratio)
		}
		scaled[i] = layer
	}
	return scaled
}

// scaleWidth returns channels times ratio, rounded to the nearest whole
// number and at least minChannels (or channels itself, if smaller).
func scaleWidth(channels int, ratio float64) int {
	scaled := int(math.Round(float64(channels) * ratio))
	floor := min(minChannels, channels)
	return max(scaled, floor)
}
