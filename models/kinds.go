package models

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Layer kinds beyond those of spec.go, for track variants and heads that
// pool globally. None of them has parameters.
const (
	// LeakyReLU is max(x, 0) + LeakyReLUSlope * min(x, 0).
	LeakyReLU LayerKind = "leakyrelu"
	// Softplus is log(1 + exp(x)).
	Softplus LayerKind = "softplus"
	// GELU is the Gaussian error linear unit in its tanh form,
	// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
	GELU LayerKind = "gelu"
	// AvgPool is Kernel x Kernel average pooling with stride Stride (0
	// means Kernel), without padding.
	AvgPool LayerKind = "avgpool"
	// GlobalAvgPool averages each channel over its H x W pixels:
	// N x C x H x W to N x C.
	GlobalAvgPool LayerKind = "globalavgpool"
)

// LayerKinds lists every layer kind NewSequential accepts.
var LayerKinds = []LayerKind{
	Conv, Linear, ReLU, MaxPool, Flatten, LeakyReLU, Softplus, GELU, AvgPool, GlobalAvgPool,
	BatchNorm, BasicBlock,
}

// LeakyReLUSlope is the slope of LeakyReLU for negative inputs, PyTorch's
// default.
const LeakyReLUSlope = 0.01

// geluCubic is the coefficient of x^3 in GELU's tanh form.
const geluCubic = 0.044715

// extraOutShape is layerOutShape for the kinds of this file; ok is false
// for other kinds.
func extraOutShape(l Layer, in []int) (out []int, ok bool, err error) {
	switch l.Kind {
	case LeakyReLU, Softplus, GELU:
		return append([]int(nil), in...), true, nil
	case AvgPool:
		out, err = poolOutShape(l, in)
		return out, true, err
	case GlobalAvgPool:
		if len(in) != 3 {
			return nil, true, fmt.Errorf("input has rank %d (shape %v), want 3 (C x H x W)",
				len(in), in)
		}
		return []int{in[0]}, true, nil
	default:
		return nil, false, nil
	}
}

// extraForward is layerForward for the kinds of this file; ok is false for
// other kinds.
func extraForward(x *gorgonia.Node, l Layer) (out *gorgonia.Node, ok bool, err error) {
	switch l.Kind {
	case LeakyReLU:
		out, err = gorgonia.LeakyRelu(x, LeakyReLUSlope)
	case Softplus:
		out, err = gorgonia.Softplus(x)
	case GELU:
		out, err = gelu(x)
	case AvgPool:
		out, err = avgPool2d(x, l.Kernel, poolStride(l))
	case GlobalAvgPool:
		out, err = globalAvgPool(x)
	default:
		return nil, false, nil
	}
	return out, true, err
}

// gelu adds 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) to x's graph.
func gelu(x *gorgonia.Node) (*gorgonia.Node, error) {
	g := x.Graph()
	scalar := func(v float64) *gorgonia.Node { return g.Constant(gorgonia.NewF32(float32(v))) }

	cube, err := gorgonia.Cube(x)
	if err != nil {
		return nil, err
	}
	inner, err := gorgonia.Mul(cube, scalar(geluCubic))
	if err != nil {
		return nil, err
	}
	if inner, err = gorgonia.Add(x, inner); err != nil {
		return nil, err
	}
	if inner, err = gorgonia.Mul(inner, scalar(math.Sqrt(2/math.Pi))); err != nil {
		return nil, err
	}

	gate, err := gorgonia.Tanh(inner)
	if err != nil {
		return nil, err
	}
	if gate, err = gorgonia.Add(gate, scalar(1)); err != nil {
		return nil, err
	}
	if gate, err = gorgonia.Mul(gate, scalar(0.5)); err != nil {
		return nil, err
	}
	return gorgonia.HadamardProd(x, gate)
}

// avgPool2d adds kernel x kernel average pooling with the given stride to
// x's graph (N x C x H x W), without padding. It gathers the windows with
// im2col (N x outH x outW x C*kernel*kernel, channel-major), averages each
// channel's kernel*kernel values and moves the channels back to axis 1.
func avgPool2d(x *gorgonia.Node, kernel, stride int) (*gorgonia.Node, error) {
	channels := x.Shape()[1]
	columns, err := gorgonia.Im2Col(x, tensor.Shape{kernel, kernel}, tensor.Shape{0, 0},
		tensor.Shape{stride, stride}, tensor.Shape{1, 1})
	if err != nil {
		return nil, fmt.Errorf("avgpool: %w", err)
	}

	shape := columns.Shape()
	windows, err := gorgonia.Reshape(columns,
		tensor.Shape{shape[0], shape[1], shape[2], channels, kernel * kernel})
	if err != nil {
		return nil, fmt.Errorf("avgpool: %w", err)
	}
	means, err := gorgonia.Mean(windows, 4)
	if err != nil {
		return nil, fmt.Errorf("avgpool: %w", err)
	}

	out, err := gorgonia.Transpose(means, 0, 3, 1, 2)
	if err != nil {
		return nil, fmt.Errorf("avgpool: %w", err)
	}
	return out, nil
}

// globalAvgPool adds the mean of each channel of x (N x C x H x W) to its
// graph, giving N x C. It flattens H x W first because gorgonia v0.9.18's
// Mean over the two axes 2 and 3 at once gave wrong values from the
// second channel on.
func globalAvgPool(x *gorgonia.Node) (*gorgonia.Node, error) {
	shape := x.Shape()
	flat, err := gorgonia.Reshape(x, tensor.Shape{shape[0], shape[1], shape[2] * shape[3]})
	if err != nil {
		return nil, fmt.Errorf("globalavgpool: %w", err)
	}
	out, err := gorgonia.Mean(flat, 2)
	if err != nil {
		return nil, fmt.Errorf("globalavgpool: %w", err)
	}
	return out, nil
}
