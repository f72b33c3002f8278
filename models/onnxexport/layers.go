package onnxexport

import (
	"fmt"
	"math"

	"github.com/mmatransfer/mma/models"
)

// geluCubic is the coefficient of x^3 in GELU's tanh form, as models uses.
const geluCubic = 0.044715

// layerCursors holds the parameters and buffers of one Sequential as the
// layers take them.
type layerCursors struct {
	params, buffers *paramCursor
}

// sequential adds the layers of s to g, reading the value x (the batch
// axis first, then s.InShape()), and returns the name of s's output.
func (g *graph) sequential(s *models.Sequential, x string) (string, error) {
	cursors := layerCursors{
		params:  &paramCursor{params: s.Params(), what: "parameter"},
		buffers: &paramCursor{params: s.Buffers(), what: "buffer"},
	}
	shape := s.InShape()
	costs := s.LayerCosts()

	var err error
	for i, l := range s.Layers() {
		x, err = g.layer(l, layerPrefix(s.Name(), i), shape, x, cursors)
		if err != nil {
			return "", fmt.Errorf("sequential %q layer %d (%s): %w", s.Name(), i, l.Kind, err)
		}
		shape = costs[i].Output
	}

	if left := len(cursors.params.params) - cursors.params.next; left > 0 {
		return "", fmt.Errorf("sequential %q: %d parameters belong to no layer", s.Name(), left)
	}
	if left := len(cursors.buffers.params) - cursors.buffers.next; left > 0 {
		return "", fmt.Errorf("sequential %q: %d buffers belong to no layer", s.Name(), left)
	}
	return x, nil
}

// layerPrefix is the name prefix of layer i's parameters in a Sequential
// called name, as models.NewSequential names them.
func layerPrefix(name string, i int) string {
	if name == "" {
		return fmt.Sprint(i)
	}
	return fmt.Sprintf("%s.%d", name, i)
}

// layer adds layer l, whose input x has shape in (without the batch
// axis), and returns its output. An unknown kind is an error.
func (g *graph) layer(l models.Layer, prefix string, in []int, x string,
	c layerCursors) (string, error) {

	switch l.Kind {
	case models.Conv:
		return g.conv(l, prefix, x, c.params)
	case models.Linear:
		return g.linear(l, prefix, x, c.params)
	case models.ReLU, models.LeakyReLU, models.Softplus, models.GELU:
		return g.activation(l.Kind, prefix, x)
	case models.MaxPool:
		return g.pool("MaxPool", l, prefix, x), nil
	case models.AvgPool:
		return g.pool("AveragePool", l, prefix, x), nil
	case models.GlobalAvgPool:
		pooled := g.add("GlobalAveragePool", prefix+".pool", []string{x})
		return g.add("Flatten", prefix+".flatten", []string{pooled}, intAttr("axis", 1)), nil
	case models.Flatten:
		return g.add("Flatten", prefix+".flatten", []string{x}, intAttr("axis", 1)), nil
	case models.BatchNorm:
		return g.batchNorm(prefix, x, c)
	case models.BasicBlock:
		return g.basicBlock(l, prefix, in, x, c)
	default:
		return "", fmt.Errorf("layer kind %q has no ONNX mapping; the exporter knows %v",
			l.Kind, models.LayerKinds)
	}
}

// conv adds an ONNX Conv with the layer's kernel, stride and symmetric
// padding, with a bias input unless l.NoBias.
func (g *graph) conv(l models.Layer, prefix, x string, params *paramCursor) (string, error) {
	inputs, err := g.weightAndBias(l, prefix, x, params)
	if err != nil {
		return "", err
	}
	stride := max(l.Stride, 1)
	return g.add("Conv", prefix+".conv", inputs,
		intsAttr("kernel_shape", l.Kernel, l.Kernel),
		intsAttr("pads", l.Pad, l.Pad, l.Pad, l.Pad),
		intsAttr("strides", stride, stride),
		intsAttr("dilations", 1, 1),
		intAttr("group", 1)), nil
}

// linear adds Gemm(x, W, b) with transB = 1: the weight is Out x In.
func (g *graph) linear(l models.Layer, prefix, x string, params *paramCursor) (string, error) {
	inputs, err := g.weightAndBias(l, prefix, x, params)
	if err != nil {
		return "", err
	}
	return g.add("Gemm", prefix+".gemm", inputs, intAttr("transB", 1)), nil
}

// weightAndBias returns x and the initializer names of the layer's weight
// and, unless l.NoBias, its bias.
func (g *graph) weightAndBias(l models.Layer, prefix, x string,
	params *paramCursor) ([]string, error) {

	weight, err := params.take(prefix + ".weight")
	if err != nil {
		return nil, err
	}
	inputs := []string{x, ""}
	if inputs[1], err = g.param(weight); err != nil {
		return nil, err
	}
	if l.NoBias {
		return inputs, nil
	}

	bias, err := params.take(prefix + ".bias")
	if err != nil {
		return nil, err
	}
	name, err := g.param(bias)
	if err != nil {
		return nil, err
	}
	return append(inputs, name), nil
}

// activation adds one of the element-wise activations; "" means ReLU.
func (g *graph) activation(kind models.LayerKind, prefix, x string) (string, error) {
	switch kind {
	case models.ReLU, "":
		return g.add("Relu", prefix+".relu", []string{x}), nil
	case models.LeakyReLU:
		return g.add("LeakyRelu", prefix+".leakyrelu", []string{x},
			floatAttr("alpha", models.LeakyReLUSlope)), nil
	case models.Softplus:
		return g.add("Softplus", prefix+".softplus", []string{x}), nil
	case models.GELU:
		return g.gelu(prefix+".gelu", x), nil
	default:
		return "", fmt.Errorf("activation %q has no ONNX mapping", kind)
	}
}

// gelu adds 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) in the order
// of operations that models uses, so that float32 rounding matches.
func (g *graph) gelu(prefix, x string) string {
	square := g.add("Mul", prefix+".square", []string{x, x})
	cube := g.add("Mul", prefix+".cube", []string{square, x})
	inner := g.mulConst(cube, prefix+".cubic", geluCubic)
	inner = g.add("Add", prefix+".inner", []string{x, inner})
	inner = g.mulConst(inner, prefix+".scaled", float32(math.Sqrt(2/math.Pi)))

	gate := g.add("Tanh", prefix+".tanh", []string{inner})
	gate = g.addConst(gate, prefix+".gate", 1)
	gate = g.mulConst(gate, prefix+".half", 0.5)
	return g.add("Mul", prefix, []string{x, gate})
}

// pool adds MaxPool or AveragePool without padding; a zero stride means
// the kernel size.
func (g *graph) pool(op string, l models.Layer, prefix, x string) string {
	stride := l.Stride
	if stride == 0 {
		stride = l.Kernel
	}
	return g.add(op, prefix+".pool", []string{x},
		intsAttr("kernel_shape", l.Kernel, l.Kernel),
		intsAttr("strides", stride, stride))
}

// batchNorm adds BatchNormalization in inference mode: it normalises with
// the running statistics, which become initializers.
func (g *graph) batchNorm(prefix, x string, c layerCursors) (string, error) {
	names := make([]string, 0, 5)
	names = append(names, x)
	for _, input := range []struct {
		cursor *paramCursor
		suffix string
	}{
		{c.params, "weight"}, {c.params, "bias"},
		{c.buffers, "running_mean"}, {c.buffers, "running_var"},
	} {
		p, err := input.cursor.take(prefix + "." + input.suffix)
		if err != nil {
			return "", fmt.Errorf("batchnorm: %w", err)
		}
		name, err := g.param(p)
		if err != nil {
			return "", err
		}
		names = append(names, name)
	}
	return g.add("BatchNormalization", prefix+".bn", names,
		floatAttr("epsilon", models.BatchNormEps)), nil
}

// basicBlock adds the residual block: conv1, bn1, activation, conv2 and
// bn2, plus the skip connection, then the activation. The skip connection
// is the identity, or a 1x1 strided conv and BatchNorm when the shape
// changes, and is left out with NoSkip. Parameters are taken in the order
// models stores them: conv1, bn1, conv2, bn2, then the projection's.
func (g *graph) basicBlock(l models.Layer, prefix string, in []int, x string,
	c layerCursors) (string, error) {

	pad := l.Kernel / 2
	conv1 := models.Layer{Kind: models.Conv, Out: l.Out, Kernel: l.Kernel, Stride: l.Stride,
		Pad: pad, NoBias: true}
	conv2 := models.Layer{Kind: models.Conv, Out: l.Out, Kernel: l.Kernel, Pad: pad,
		NoBias: true}

	out, err := g.convNorm(conv1, prefix+".conv1", prefix+".bn1", x, c)
	if err != nil {
		return "", err
	}
	if out, err = g.activation(l.Activation, prefix+".act1", out); err != nil {
		return "", err
	}
	if out, err = g.convNorm(conv2, prefix+".conv2", prefix+".bn2", out, c); err != nil {
		return "", err
	}

	if !l.NoSkip {
		skip := x
		if needsProjection(l, in[0]) {
			projection := models.Layer{Kind: models.Conv, Out: l.Out, Kernel: 1,
				Stride: l.Stride, NoBias: true}
			skip, err = g.convNorm(projection, prefix+".skip.conv", prefix+".skip.bn", x, c)
			if err != nil {
				return "", err
			}
		}
		out = g.add("Add", prefix+".residual", []string{out, skip})
	}
	return g.activation(l.Activation, prefix+".act2", out)
}

// needsProjection reports whether the skip connection of block l on an
// input of the given channel count needs a 1x1 conv, by the rule of models.
func needsProjection(l models.Layer, channels int) bool {
	return channels != l.Out || max(l.Stride, 1) != 1
}

// convNorm adds a bias-free conv whose weight is convName.weight followed
// by the BatchNorm called normName.
func (g *graph) convNorm(conv models.Layer, convName, normName, x string,
	c layerCursors) (string, error) {

	out, err := g.conv(conv, convName, x, c.params)
	if err != nil {
		return "", err
	}
	return g.batchNorm(normName, out, c)
}
