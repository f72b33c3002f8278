package onnx

import (
	"fmt"

	"gorgonia.org/gorgonia"
)

func buildMatMul(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x, y := inputs[0], inputs[1]
	if x.Shape().Dims() != 2 || y.Shape().Dims() != 2 {
		// TODO: batched and vector MatMul (ranks other than 2) need
		// gorgonia's BatchedMatMul and numpy's rank promotion.
		return nil, unsupported(op.node, b.opset, "shapes %v and %v, expected two matrices",
			x.Shape(), y.Shape())
	}
	if x.Shape()[1] != y.Shape()[0] {
		return nil, fmt.Errorf("shapes %v and %v do not multiply", x.Shape(), y.Shape())
	}
	return gorgonia.Mul(x, y)
}
