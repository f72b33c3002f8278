package onnx

import (
	"fmt"

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
