package onnx

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// buildBatchNorm applies an inference BatchNormalization as a per-channel
// affine map, x * a + shift with a = scale / sqrt(var + epsilon) and
// shift = B - mean * a, computed once from the node's initializers.
func buildBatchNorm(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x := inputs[0]
	if x.Shape().Dims() < 2 || x.Shape().Dims() > maxBroadcastRank {
		return nil, fmt.Errorf("input %v, expected 2 to %d axes", x.Shape(), maxBroadcastRank)
	}
	channels := x.Shape()[1]
	epsilon, err := floatAttribute(op.attrs, "epsilon", 1e-5)
	if err != nil {
		return nil, err
	}

	var params [4][]float32 // scale, B, mean, var
	for i, name := range op.node.inputs[1:] {
		if params[i], err = b.floatConstant(name); err != nil {
			return nil, err
		}
		if len(params[i]) != channels {
			return nil, fmt.Errorf("initializer %q has %d values for %d channels",
				name, len(params[i]), channels)
		}
	}

	factor := make([]float32, channels)
	shift := make([]float32, channels)
	for c := range factor {
		factor[c] = params[0][c] / float32(math.Sqrt(float64(params[3][c]+epsilon)))
		shift[c] = params[1][c] - params[2][c]*factor[c]
	}

	shape := make(tensor.Shape, x.Shape().Dims())
	for i := range shape {
		shape[i] = 1
	}
	shape[1] = channels
	scaled, err := broadcast(multiplication, x, b.vector(op.node.displayName()+".factor", factor, shape))
	if err != nil {
		return nil, err
	}
	return broadcastAdd(scaled, b.vector(op.node.displayName()+".shift", shift, shape))
}

// buildGlobalAveragePool averages each channel of an N x C x H x W input
// over its H x W values, giving N x C x 1 x 1.
func buildGlobalAveragePool(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x := inputs[0]
	shape := x.Shape()
	if shape.Dims() != 4 {
		return nil, unsupported(op.node, b.opset, "input %v, expected 4-D", shape)
	}
	// gorgonia's Mean over axes 2 and 3 at once gives wrong values in
	// v0.9.18, so the mean is taken over one flattened axis.
	flat, err := gorgonia.Reshape(x, tensor.Shape{shape[0], shape[1], shape[2] * shape[3]})
	if err != nil {
		return nil, err
	}
	mean, err := gorgonia.Mean(flat, 2)
	if err != nil {
		return nil, err
	}
	return gorgonia.Reshape(mean, tensor.Shape{shape[0], shape[1], 1, 1})
}

// vector adds values to the graph as a constant input of the given shape.
func (b *builder) vector(name string, values []float32, shape tensor.Shape) *gorgonia.Node {
	value := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(values))
	return gorgonia.NewTensor(b.graph, tensor.Float32, shape.Dims(), gorgonia.WithShape(shape...),
		gorgonia.WithValue(value), gorgonia.WithName("onnx."+name))
}
