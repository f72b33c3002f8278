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

// buildGemm computes alpha * A' * B' + beta * C, where A' and B' are A and
// B transposed when transA and transB are set, and C broadcasts.
func buildGemm(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x, y := inputs[0], inputs[1]
	if x.Shape().Dims() != 2 || y.Shape().Dims() != 2 {
		return nil, fmt.Errorf("shapes %v and %v, expected two matrices", x.Shape(), y.Shape())
	}

	var err error
	for i, name := range []string{"transA", "transB"} {
		transpose, err := intAttribute(op.attrs, name, 0)
		if err != nil {
			return nil, err
		}
		if transpose == 0 {
			continue
		}
		if inputs[i], err = gorgonia.Transpose(inputs[i], 1, 0); err != nil {
			return nil, err
		}
	}
	x, y = inputs[0], inputs[1]
	if x.Shape()[1] != y.Shape()[0] {
		return nil, fmt.Errorf("shapes %v and %v do not multiply", x.Shape(), y.Shape())
	}

	product, err := gorgonia.Mul(x, y)
	if err != nil {
		return nil, err
	}
	if product, err = scaleBy(op.attrs, "alpha", product); err != nil {
		return nil, err
	}
	if len(inputs) < 3 {
		return product, nil
	}
	bias, err := scaleBy(op.attrs, "beta", inputs[2])
	if err != nil {
		return nil, err
	}
	return broadcastAdd(product, bias)
}

// scaleBy multiplies n by the FLOAT attribute name, which defaults to 1.
func scaleBy(attrs map[string]interface{}, name string, n *gorgonia.Node) (*gorgonia.Node, error) {
	factor, err := floatAttribute(attrs, name, 1)
	if err != nil || factor == 1 {
		return n, err
	}
	return gorgonia.Mul(n, gorgonia.NewConstant(factor))
}
