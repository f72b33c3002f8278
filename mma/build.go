package mma

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/mmatransfer/mma/models"
)

// New decomposes backbone into the MMA that c describes, with weights drawn
// from seed. Stem and stages before c.Split become one shared prefix; the
// remaining stages and the head become c.Tracks tracks whose channel and
// feature counts are scaled by the width ratio (rounded, at least 4). The
// classifier layer keeps its Classes outputs.
//
// With one track New returns the backbone itself, built exactly as
// models.NewBackbone(backbone, seed) builds it. The shared prefix draws its
// weights from seed and track k from seed+k+1, so a run is reproducible from
// its config and seed alone.
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

	parts := trackParts(backbone, c.Split, c.ratio())
	net.tracks = make([][]*models.Sequential, c.Tracks)
	for k := range net.tracks {
		prefix := fmt.Sprintf("track%d.", k)
		net.tracks[k], _, err = buildParts(prefix, parts, shape, seed+int64(k)+1)
		if err != nil {
			return nil, fmt.Errorf("mma: track %d of %q: %w", k, backbone.Name, err)
		}
	}
	return net, nil
}

// buildParts builds one Sequential per part, named prefix plus the part's
// name, on input shape, with weights drawn from seed. It returns the
// Sequentials and their output shape.
func buildParts(prefix string, parts []models.Stage, shape []int,
	seed int64) ([]*models.Sequential, []int, error) {

	rng := rand.New(rand.NewSource(seed))
	built := make([]*models.Sequential, len(parts))
	for i, part := range parts {
		seq, err := models.NewSequential(prefix+part.Name, shape, part.Layers, rng)
		if err != nil {
			return nil, nil, err
		}
		built[i] = seq
		shape = seq.OutShape()
	}
	return built, shape, nil
}

// sharedParts returns the stem, when it has layers, and the stages before
// split, named as models.NewBackbone names them.
func sharedParts(spec models.Spec, split int) []models.Stage {
	var parts []models.Stage
	if len(spec.Stem) > 0 {
		parts = append(parts, models.Stage{Name: "stem", Layers: spec.Stem})
	}
	for i := range spec.Stages[:split] {
		parts = append(parts, models.Stage{Name: models.StageName(spec, i),
			Layers: spec.Stages[i].Layers})
	}
	return parts
}

// trackParts returns the stages from split on and the head, with every
// conv and linear layer but the final classifier narrowed by ratio.
func trackParts(spec models.Spec, split int, ratio float64) []models.Stage {
	var parts []models.Stage
	for i := split; i < len(spec.Stages); i++ {
		parts = append(parts, models.Stage{Name: models.StageName(spec, i),
			Layers: scaleLayers(spec.Stages[i].Layers, ratio, -1)})
	}
	head := scaleLayers(spec.Head, ratio, len(spec.Head)-1)
	return append(parts, models.Stage{Name: "head", Layers: head})
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
