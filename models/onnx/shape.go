package onnx

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func buildReshape(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x := inputs[0]
	requested, err := b.intConstant(op.node.inputs[1])
	if err != nil {
		return nil, err
	}
	shape, err := reshapeTarget(x.Shape(), requested)
	if err != nil {
		return nil, err
	}
	return gorgonia.Reshape(x, shape)
}

// reshapeTarget resolves an ONNX Reshape shape on an input of shape from:
// 0 copies the input's size on that axis and one -1 takes what is left.
func reshapeTarget(from tensor.Shape, requested []int64) (tensor.Shape, error) {
	to := make(tensor.Shape, len(requested))
	inferred := -1
	known := 1
	for i, size := range requested {
		switch {
		case size == 0 && i < from.Dims():
			to[i] = from[i]
		case size == -1 && inferred < 0:
			inferred = i
			continue
		case size > 0:
			to[i] = int(size)
		default:
			return nil, fmt.Errorf("invalid shape %v for input %v", requested, from)
		}
		known *= to[i]
	}

	total := from.TotalSize()
	if inferred >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("shape %v does not fit input %v", requested, from)
		}
		to[inferred] = total / known
	}
	if to.TotalSize() != total {
		return nil, fmt.Errorf("shape %v does not fit input %v", requested, from)
	}
	return to, nil
}

// buildFlatten reshapes the input to a matrix: the axes before axis make
// the rows and the others the columns. A negative axis counts from the end.
func buildFlatten(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x := inputs[0]
	shape := x.Shape()
	axis, err := intAttribute(op.attrs, "axis", 1)
	if err != nil {
		return nil, err
	}
	if axis < 0 {
		axis += shape.Dims()
	}
	if axis < 0 || axis > shape.Dims() {
		return nil, fmt.Errorf("attribute axis=%d is outside the input's %d axes", axis, shape.Dims())
	}

	rows := 1
	for _, size := range shape[:axis] {
		rows *= size
	}
	return gorgonia.Reshape(x, tensor.Shape{rows, shape.TotalSize() / rows})
}
