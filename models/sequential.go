package models

import (
	"fmt"
	"math/rand"

	"gorgonia.org/gorgonia"
)

// Sequential is a chain of layers applied one after another, the building
// block of backbones and of the tracks of a multi-track net. It owns the
// parameters of its conv and linear layers.
type Sequential struct {
	name   string
	input  []int
	output []int
	layers []Layer

	// layerParams holds the weight and bias of each layer (nil for layers
	// without parameters), and layerBuffers the running statistics of each
	// BatchNorm and BasicBlock layer.
	layerParams  [][]*Param
	layerBuffers [][]*Param
}

// NewSequential checks that layers fit one after another on inputs of
// shape input (C x H x W or a feature count, without the batch axis) and
// draws their parameters from rng. Parameter names are name, the layer
// index and "weight" or "bias", such as "stage1.0.weight"; an empty name
// drops the prefix. BatchNorm adds the buffers "running_mean" and
// "running_var", and a BasicBlock names its parts (see newBasicBlock). The
// error of an invalid layer names its index and kind.
func NewSequential(name string, input []int, layers []Layer, rng *rand.Rand) (*Sequential, error) {
	if len(input) == 0 {
		return nil, fmt.Errorf("sequential %q: input shape is empty", name)
	}
	for _, d := range input {
		if d <= 0 {
			return nil, fmt.Errorf("sequential %q: input shape %v has a dimension <= 0", name, input)
		}
	}

	s := &Sequential{
		name:         name,
		input:        append([]int(nil), input...),
		layers:       append([]Layer(nil), layers...),
		layerParams:  make([][]*Param, len(layers)),
		layerBuffers: make([][]*Param, len(layers)),
	}
	shape := s.input
	for i, l := range layers {
		out, err := layerOutShape(l, shape)
		if err != nil {
			return nil, fmt.Errorf("%slayer %d (%s): %w", s.errorPrefix(), i, l.Kind, err)
		}
		params, buffers, ok := newNormLayer(s.paramPrefix(i), l, shape, rng)
		if !ok {
			params = newLayerParams(s.paramPrefix(i), l, shape, rng)
		}
		s.layerParams[i], s.layerBuffers[i] = params, buffers
		shape = out
	}
	s.output = shape
	return s, nil
}

func (s *Sequential) paramPrefix(layer int) string {
	if s.name == "" {
		return fmt.Sprint(layer)
	}
	return fmt.Sprintf("%s.%d", s.name, layer)
}

func (s *Sequential) errorPrefix() string {
	if s.name == "" {
		return ""
	}
	return s.name + ": "
}

// Name returns the prefix of the parameter names.
func (s *Sequential) Name() string { return s.name }

// InShape returns the input shape without the batch axis.
func (s *Sequential) InShape() []int { return append([]int(nil), s.input...) }

// OutShape returns the output shape without the batch axis.
func (s *Sequential) OutShape() []int { return append([]int(nil), s.output...) }

// Layers returns a copy of the layers.
func (s *Sequential) Layers() []Layer { return append([]Layer(nil), s.layers...) }

// Params returns the parameters of all layers in layer order, weight before
// bias.
func (s *Sequential) Params() []*Param {
	var params []*Param
	for _, lp := range s.layerParams {
		params = append(params, lp...)
	}
	return params
}

// Buffers returns the running statistics of all BatchNorm layers
// (including those inside BasicBlocks) in layer order, running mean before
// running variance. They are state for checkpoints, not trainable
// parameters.
func (s *Sequential) Buffers() []*Param {
	var buffers []*Param
	for _, lb := range s.layerBuffers {
		buffers = append(buffers, lb...)
	}
	return buffers
}

// Forward adds the layers to x's graph. x has the batch axis first and
// then the input shape. mode selects batch or running statistics in
// BatchNorm layers; in Train mode the graph also updates the running
// statistics after each training step of a Model.
func (s *Sequential) Forward(x *gorgonia.Node, mode Mode) (*gorgonia.Node, error) {
	if err := s.checkInput(x); err != nil {
		return nil, err
	}

	var err error
	for i := 0; i < len(s.layers); i++ {
		l := s.layers[i]
		if s.foldsWithNext(i, mode) {
			bn := batchNormFrom(s.layerParams[i+1], s.layerBuffers[i+1])
			x, err = foldedConvNorm(x, l, s.layerParams[i], bn)
			if err != nil {
				return nil, fmt.Errorf("%slayers %d and %d (%s, %s): %w", s.errorPrefix(), i,
					i+1, l.Kind, BatchNorm, err)
			}
			i++
			continue
		}
		if s.fusesWithNext(i, mode) {
			bn := batchNormFrom(s.layerParams[i], s.layerBuffers[i])
			if x, err = bn.forwardReLU(x, mode); err != nil {
				return nil, fmt.Errorf("%slayers %d and %d (%s, %s): %w", s.errorPrefix(), i,
					i+1, l.Kind, ReLU, err)
			}
			i++
			continue
		}

		x, err = s.forwardLayer(x, i, mode)
		if err != nil {
			return nil, fmt.Errorf("%slayer %d (%s): %w", s.errorPrefix(), i, l.Kind, err)
		}
	}
	return x, nil
}

// foldsWithNext reports whether layer i is a convolution followed by a
// BatchNorm in Eval mode, which run as one convolution.
func (s *Sequential) foldsWithNext(i int, mode Mode) bool {
	return mode == Eval && s.layers[i].Kind == Conv && i+1 < len(s.layers) &&
		s.layers[i+1].Kind == BatchNorm
}

// fusesWithNext reports whether layer i is a BatchNorm followed by a ReLU
// in Train mode, which run as one op.
func (s *Sequential) fusesWithNext(i int, mode Mode) bool {
	return mode == Train && s.layers[i].Kind == BatchNorm && i+1 < len(s.layers) &&
		s.layers[i+1].Kind == ReLU
}

func (s *Sequential) checkInput(x *gorgonia.Node) error {
	shape := x.Shape()
	if len(shape) != len(s.input)+1 {
		return fmt.Errorf("%sinput has shape %v, want N x %v", s.errorPrefix(), shape, s.input)
	}
	for i, d := range s.input {
		if shape[i+1] != d {
			return fmt.Errorf("%sinput has shape %v, want N x %v", s.errorPrefix(), shape, s.input)
		}
	}
	return nil
}

func (s *Sequential) forwardLayer(x *gorgonia.Node, i int, mode Mode) (*gorgonia.Node, error) {
	l := s.layers[i]
	if out, ok, err := normForward(x, l, s.layerParams[i], s.layerBuffers[i], mode); ok {
		return out, err
	}
	return layerForward(x, l, s.layerParams[i])
}
