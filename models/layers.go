package models

import (
	"fmt"
	"math"
	"math/rand"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models/internal/ops"
)

// layerOutShape checks that layer l fits an input of shape in (without the
// batch axis) and returns the shape of its output.
func layerOutShape(l Layer, in []int) ([]int, error) {
	if out, ok, err := extraOutShape(l, in); ok {
		return out, err
	}
	if out, ok, err := normOutShape(l, in); ok {
		return out, err
	}

	switch l.Kind {
	case Conv:
		return convOutShape(l, in)
	case Linear:
		if len(in) != 1 {
			return nil, fmt.Errorf("input has rank %d (shape %v), want 1; add a flatten layer",
				len(in), in)
		}
		if l.Out <= 0 {
			return nil, fmt.Errorf("out is %d, want a positive number of features", l.Out)
		}
		return []int{l.Out}, nil
	case ReLU:
		return append([]int(nil), in...), nil
	case MaxPool:
		return poolOutShape(l, in)
	case Flatten:
		if len(in) < 1 {
			return nil, fmt.Errorf("input has rank 0, want at least 1")
		}
		return []int{product(in)}, nil
	default:
		return nil, fmt.Errorf("unknown kind %q, want one of %v", l.Kind, LayerKinds)
	}
}

func convOutShape(l Layer, in []int) ([]int, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("input has rank %d (shape %v), want 3 (C x H x W)", len(in), in)
	}
	if l.Out <= 0 {
		return nil, fmt.Errorf("out is %d, want a positive number of channels", l.Out)
	}
	if l.Kernel <= 0 {
		return nil, fmt.Errorf("kernel is %d, want a positive size", l.Kernel)
	}
	if l.Stride < 0 || l.Pad < 0 {
		return nil, fmt.Errorf("stride %d and pad %d must not be negative", l.Stride, l.Pad)
	}

	stride := convStride(l)
	h := in[1] + 2*l.Pad - l.Kernel
	w := in[2] + 2*l.Pad - l.Kernel
	if h < 0 || w < 0 {
		return nil, fmt.Errorf("kernel %d is larger than the padded input %dx%d",
			l.Kernel, in[1]+2*l.Pad, in[2]+2*l.Pad)
	}
	return []int{l.Out, h/stride + 1, w/stride + 1}, nil
}

func poolOutShape(l Layer, in []int) ([]int, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("input has rank %d (shape %v), want 3 (C x H x W)", len(in), in)
	}
	if l.Kernel <= 0 {
		return nil, fmt.Errorf("kernel is %d, want a positive size", l.Kernel)
	}
	if l.Stride < 0 {
		return nil, fmt.Errorf("stride is %d, want 0 (the kernel size) or more", l.Stride)
	}
	if l.Kernel > in[1] || l.Kernel > in[2] {
		return nil, fmt.Errorf("kernel %d is larger than the input %dx%d", l.Kernel, in[1], in[2])
	}

	stride := poolStride(l)
	return []int{in[0], (in[1]-l.Kernel)/stride + 1, (in[2]-l.Kernel)/stride + 1}, nil
}

func convStride(l Layer) int {
	if l.Stride == 0 {
		return 1
	}
	return l.Stride
}

func poolStride(l Layer) int {
	if l.Stride == 0 {
		return l.Kernel
	}
	return l.Stride
}

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// newLayerParams creates the weight and bias of a conv or linear layer
// whose input has shape in, initialised like PyTorch's defaults: weights
// from Kaiming uniform with a = sqrt(5) and biases from
// uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)). A layer with NoBias gets the
// weight alone. Other kinds have no parameters here (BatchNorm and
// BasicBlock get theirs from newNormLayer).
func newLayerParams(prefix string, l Layer, in []int, rng *rand.Rand) []*Param {
	var weightShape []int
	switch l.Kind {
	case Conv:
		weightShape = []int{l.Out, in[0], l.Kernel, l.Kernel}
	case Linear:
		weightShape = []int{l.Out, in[0]}
	default:
		return nil
	}

	fanIn := product(weightShape[1:])
	weight := &Param{Name: prefix + ".weight", Value: uniformTensor(weightShape,
		kaimingUniformBound(fanIn), rng)}
	if l.NoBias {
		return []*Param{weight}
	}
	bias := &Param{Name: prefix + ".bias", Value: uniformTensor([]int{l.Out},
		1/math.Sqrt(float64(fanIn)), rng)}
	return []*Param{weight, bias}
}

// kaimingLeakySlope is the negative slope a = sqrt(5) that PyTorch's
// default initialisation of conv and linear weights passes to Kaiming
// uniform.
var kaimingLeakySlope = math.Sqrt(5)

// kaimingUniformBound returns the bound of Kaiming uniform initialisation,
// gain * sqrt(3 / fanIn) with gain = sqrt(2 / (1 + a^2)) for leaky ReLU.
func kaimingUniformBound(fanIn int) float64 {
	gain := math.Sqrt(2 / (1 + kaimingLeakySlope*kaimingLeakySlope))
	return gain * math.Sqrt(3/float64(fanIn))
}

func uniformTensor(shape []int, bound float64, rng *rand.Rand) *tensor.Dense {
	data := make([]float32, product(shape))
	for i := range data {
		data[i] = float32((2*rng.Float64() - 1) * bound)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// layerForward adds layer l to x's graph; params holds its weight and bias
// when it has them.
func layerForward(x *gorgonia.Node, l Layer, params []*Param) (*gorgonia.Node, error) {
	if out, ok, err := extraForward(x, l); ok {
		return out, err
	}

	switch l.Kind {
	case Conv:
		weight, bias, err := paramNodes(x.Graph(), params)
		if err != nil {
			return nil, err
		}
		return conv2d(x, weight, bias, convStride(l), l.Pad)
	case Linear:
		weight, bias, err := paramNodes(x.Graph(), params)
		if err != nil {
			return nil, err
		}
		return linear(x, weight, bias)
	case ReLU:
		return ops.ReLU(x)
	case MaxPool:
		return maxPool2d(x, l.Kernel, poolStride(l))
	case Flatten:
		shape := x.Shape()
		return gorgonia.Reshape(x, tensor.Shape{shape[0], product(shape[1:])})
	default:
		return nil, fmt.Errorf("unknown layer kind %q", l.Kind)
	}
}

// paramNodes returns the weight and bias nodes of a conv or linear layer.
// bias is nil for a layer without a bias Param (NoBias).
func paramNodes(g *gorgonia.ExprGraph, params []*Param) (weight, bias *gorgonia.Node, err error) {
	if weight, err = ParamNode(g, params[0]); err != nil {
		return nil, nil, err
	}
	if len(params) < 2 {
		return weight, nil, nil
	}
	if bias, err = ParamNode(g, params[1]); err != nil {
		return nil, nil, err
	}
	return weight, bias, nil
}

// ParamNode returns the node of g that reads p.Value, adding it on first
// use. Every graph of a Net reads the same tensor, so an in-place update of
// p.Value is seen by all of them. Nodes are found by p.Name, and the error
// reports a node of that name that reads another tensor: parameter names
// must be unique within a Net.
func ParamNode(g *gorgonia.ExprGraph, p *Param) (*gorgonia.Node, error) {
	if found := g.ByName(p.Name); len(found) > 0 {
		if value, ok := found[0].Value().(*tensor.Dense); !ok || value != p.Value {
			return nil, fmt.Errorf("parameter name %q is used twice in one graph; "+
				"give each Sequential of a Net its own name", p.Name)
		}
		return found[0], nil
	}

	node := gorgonia.NewTensor(g, tensor.Float32, p.Value.Dims(),
		gorgonia.WithShape(p.Value.Shape().Clone()...), gorgonia.WithName(p.Name),
		gorgonia.WithValue(p.Value))
	return node, nil
}
