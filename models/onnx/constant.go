package onnx

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// Shape-computing subgraphs (Shape, Gather, Unsqueeze, Concat,
// ConstantOfShape, Cast on int64) are folded to constants while the graph
// is built for one batch size, so Reshape and Pad see their target as a
// constant.

// buildConstant returns the value of a Constant node's value, value_float,
// value_floats, value_int or value_ints attribute.
func buildConstant(b *builder, op operation, in []*value) (*value, error) {
	for name, attr := range op.attrs {
		switch v := attr.(type) {
		case tensor.Tensor:
			return constantValue(v)
		case float32:
			return &value{floats: []float32{v}}, nil
		case []float32:
			return &value{shape: []int{len(v)}, floats: append([]float32{}, v...)}, nil
		case int64:
			return &value{ints: []int64{v}}, nil
		case []int64:
			return &value{shape: []int{len(v)}, ints: append([]int64{}, v...)}, nil
		default:
			return nil, fmt.Errorf("attribute %s is a %T, which is not supported", name, attr)
		}
	}
	return nil, fmt.Errorf("attribute value is missing")
}

// buildShape returns the input's shape, from axis start to axis end
// (opset 15) as an int64 constant.
func buildShape(b *builder, op operation, in []*value) (*value, error) {
	shape := in[0].shape
	rank := len(shape)
	start, err := intAttribute(op.attrs, "start", 0)
	if err != nil {
		return nil, err
	}
	end, err := intAttribute(op.attrs, "end", rank)
	if err != nil {
		return nil, err
	}
	if start < 0 {
		start += rank
	}
	if end < 0 {
		end += rank
	}
	start, end = min(max(start, 0), rank), min(max(end, 0), rank)
	ints := []int64{}
	for _, d := range shape[start:max(start, end)] {
		ints = append(ints, int64(d))
	}
	return &value{shape: []int{len(ints)}, ints: ints}, nil
}

// buildConstantOfShape returns a tensor of the shape given by its input,
// filled with the value attribute's one element (float32 0 by default).
func buildConstantOfShape(b *builder, op operation, in []*value) (*value, error) {
	dims, err := constantInts(in[0], "shape")
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 {
			return nil, fmt.Errorf("negative size in shape %v", dims)
		}
		shape[i] = int(d)
	}

	fill := &value{floats: []float32{0}}
	if t, ok := op.attrs["value"].(tensor.Tensor); ok {
		if fill, err = constantValue(t); err != nil {
			return nil, err
		}
		if size(fill.shape) != 1 {
			return nil, fmt.Errorf("attribute value has shape %v, expected one element", fill.shape)
		}
	}
	out := &value{shape: shape}
	n := size(shape)
	if fill.ints != nil {
		out.ints = make([]int64, n)
		for i := range out.ints {
			out.ints[i] = fill.ints[0]
		}
		return out, nil
	}
	out.floats = make([]float32, n)
	for i := range out.floats {
		out.floats[i] = fill.floats[0]
	}
	return out, nil
}

// comparisonBuilder returns the build function of Equal, Less or Greater
// on constants, whose boolean output is stored as integers 0 and 1.
func comparisonBuilder(compare func(x, y float64) bool) func(*builder, operation,
	[]*value) (*value, error) {
	return func(b *builder, op operation, in []*value) (*value, error) {
		x, y := in[0], in[1]
		if !x.isConstant() || !y.isConstant() {
			// TODO: comparisons of tensors that depend on the pixels have no
			// gradient and are not supported.
			return nil, fmt.Errorf("inputs must be constants known at load time")
		}
		shape, err := broadcastShape(x.shape, y.shape)
		if err != nil {
			return nil, err
		}
		xs, ys := broadcastIndex(x.shape, shape), broadcastIndex(y.shape, shape)
		out := make([]int64, len(xs))
		for i := range out {
			if compare(element(x, xs[i]), element(y, ys[i])) {
				out[i] = 1
			}
		}
		return &value{shape: shape, ints: out}, nil
	}
}

// element returns element i of a constant as a float64.
func element(v *value, i int) float64 {
	if v.ints != nil {
		return float64(v.ints[i])
	}
	return float64(v.floats[i])
}

// buildWhere picks X where the constant condition is true and Y elsewhere,
// with numpy broadcasting of all three.
func buildWhere(b *builder, op operation, in []*value) (*value, error) {
	condition, x, y := in[0], in[1], in[2]
	if condition.ints == nil {
		return nil, fmt.Errorf("input condition must be a constant known at load time")
	}
	shape, err := broadcastShape(condition.shape, x.shape)
	if err != nil {
		return nil, err
	}
	if shape, err = broadcastShape(shape, y.shape); err != nil {
		return nil, err
	}
	cs := broadcastIndex(condition.shape, shape)
	xs, ys := broadcastIndex(x.shape, shape), broadcastIndex(y.shape, shape)
	src := make([]int, len(cs))
	offset := size(x.shape)
	for i, c := range cs {
		src[i] = offset + ys[i]
		if condition.ints[c] != 0 {
			src[i] = xs[i]
		}
	}
	return b.move("Where", shape, src, 0, x, y)
}

// buildRange returns start, start+delta, ... up to limit (excluded) for
// constant scalar inputs, as integers when all three are integers.
func buildRange(b *builder, op operation, in []*value) (*value, error) {
	var bounds [3]float64
	ints := true
	for i, v := range in[:3] {
		if !v.isConstant() || size(v.shape) != 1 {
			return nil, fmt.Errorf("input %d must be a constant scalar known at load time", i)
		}
		bounds[i] = element(v, 0)
		ints = ints && v.ints != nil
	}
	start, limit, delta := bounds[0], bounds[1], bounds[2]
	if delta == 0 {
		return nil, fmt.Errorf("invalid delta 0")
	}
	count := max(int(math.Ceil((limit-start)/delta)), 0)
	out := &value{shape: []int{count}}
	if ints {
		out.ints = make([]int64, count)
		for i := range out.ints {
			out.ints[i] = in[0].ints[0] + int64(i)*in[2].ints[0]
		}
		return out, nil
	}
	out.floats = make([]float32, count)
	for i := range out.floats {
		out.floats[i] = float32(start + float64(i)*delta)
	}
	return out, nil
}

// buildNot negates a constant boolean tensor.
func buildNot(b *builder, op operation, in []*value) (*value, error) {
	if in[0].ints == nil {
		return nil, fmt.Errorf("input must be a boolean constant known at load time")
	}
	out := make([]int64, len(in[0].ints))
	for i, v := range in[0].ints {
		if v == 0 {
			out[i] = 1
		}
	}
	return &value{shape: in[0].shape, ints: out}, nil
}
