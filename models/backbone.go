package models

import (
	"fmt"
	"math/rand"

	"gorgonia.org/gorgonia"
)

// Backbone is a single-track network built from a Spec: the stem, each
// stage and the head as consecutive Sequentials. It implements Net.
type Backbone struct {
	spec  Spec
	parts []*Sequential
}

// NewBackbone validates spec and builds it with weights drawn from a
// generator seeded with seed, so the same seed gives the same weights.
// Parameter names start with "stem", the stage's name ("stage1", "stage2"
// ... for stages without one) or "head".
func NewBackbone(spec Spec, seed int64) (*Backbone, error) {
	if err := ValidateSpec(spec); err != nil {
		return nil, err
	}

	rng := rand.New(rand.NewSource(seed))
	b := &Backbone{spec: spec}
	shape := spec.Input
	for _, part := range specParts(spec) {
		seq, err := NewSequential(part.Name, shape, part.Layers, rng)
		if err != nil {
			return nil, fmt.Errorf("spec %q: %w", spec.Name, err)
		}
		b.parts = append(b.parts, seq)
		shape = seq.OutShape()
	}

	if len(shape) != 1 || shape[0] != spec.Classes {
		return nil, fmt.Errorf("spec %q: output shape is %v, want [%d] (classes)",
			spec.Name, shape, spec.Classes)
	}
	return b, nil
}

// ValidateSpec checks the parts of spec that do not depend on layer
// shapes: the input shape, the class count, stage names and the final
// Linear layer of the head. NewBackbone checks the layer shapes.
func ValidateSpec(spec Spec) error {
	if len(spec.Input) != 3 {
		return fmt.Errorf("spec %q: input is %v, want 3 dimensions C x H x W", spec.Name, spec.Input)
	}
	for _, d := range spec.Input {
		if d <= 0 {
			return fmt.Errorf("spec %q: input %v has a dimension <= 0", spec.Name, spec.Input)
		}
	}
	if spec.Classes < 2 {
		return fmt.Errorf("spec %q: classes is %d, want at least 2", spec.Name, spec.Classes)
	}
	if len(spec.Head) == 0 {
		return fmt.Errorf("spec %q: head is empty, want it to end in a linear layer with %d outputs",
			spec.Name, spec.Classes)
	}

	last := spec.Head[len(spec.Head)-1]
	if last.Kind != Linear || last.Out != spec.Classes {
		return fmt.Errorf("spec %q: last head layer is %s with out %d, want linear with out %d",
			spec.Name, last.Kind, last.Out, spec.Classes)
	}

	seen := map[string]bool{"stem": true, "head": true}
	for i, name := range stageNames(spec) {
		if seen[name] {
			return fmt.Errorf("spec %q: stage %d has the duplicate name %q", spec.Name, i, name)
		}
		seen[name] = true
	}
	return nil
}

// StageName returns the name of stage i of spec: its Name, or "stage"
// followed by i+1 when it has none.
func StageName(spec Spec, i int) string {
	if spec.Stages[i].Name != "" {
		return spec.Stages[i].Name
	}
	return fmt.Sprintf("stage%d", i+1)
}

func stageNames(spec Spec) []string {
	names := make([]string, len(spec.Stages))
	for i := range spec.Stages {
		names[i] = StageName(spec, i)
	}
	return names
}

// specParts lists the stem, the stages and the head as named layer groups,
// leaving out an empty stem.
func specParts(spec Spec) []Stage {
	var parts []Stage
	if len(spec.Stem) > 0 {
		parts = append(parts, Stage{Name: "stem", Layers: spec.Stem})
	}
	for i, st := range spec.Stages {
		parts = append(parts, Stage{Name: StageName(spec, i), Layers: st.Layers})
	}
	return append(parts, Stage{Name: "head", Layers: spec.Head})
}

// Spec returns the spec the backbone was built from.
func (b *Backbone) Spec() Spec { return b.spec }

// Parts returns the Sequentials of the stem (when it has layers), each
// stage and the head, in order.
func (b *Backbone) Parts() []*Sequential { return append([]*Sequential(nil), b.parts...) }

// Params returns the parameters of all parts in order.
func (b *Backbone) Params() []*Param {
	var params []*Param
	for _, p := range b.parts {
		params = append(params, p.Params()...)
	}
	return params
}

// Buffers returns the running statistics of all parts in order.
func (b *Backbone) Buffers() []*Param {
	var buffers []*Param
	for _, p := range b.parts {
		buffers = append(buffers, p.Buffers()...)
	}
	return buffers
}

// Sequentials returns the parts, as Parts does; it lets CountCost and other
// per-layer tools walk the backbone.
func (b *Backbone) Sequentials() []*Sequential { return b.Parts() }

// Forward adds the backbone to x's graph (N x C x H x W) and returns its
// N x Classes logits.
func (b *Backbone) Forward(x *gorgonia.Node, mode Mode) (Outputs, error) {
	var err error
	for _, p := range b.parts {
		if x, err = p.Forward(x, mode); err != nil {
			return Outputs{}, fmt.Errorf("%s: %w", b.spec.Name, err)
		}
	}
	return Outputs{Logits: x}, nil
}
