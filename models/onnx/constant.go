package onnx

import (
	"fmt"

	"gorgonia.org/tensor"
)

// foldConstant returns the tensor of a Constant node's value attribute.
func foldConstant(op operation) (tensor.Tensor, error) {
	value, ok := op.attrs["value"]
	if !ok {
		// TODO: value_float, value_ints and the other forms of opset 12
		// are not read yet.
		return nil, fmt.Errorf("attribute value is missing")
	}
	t, ok := value.(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("attribute value is a %T, expected a tensor", value)
	}
	return t, nil
}
