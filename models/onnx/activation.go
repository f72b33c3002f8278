package onnx

import (
	"gorgonia.org/gorgonia"
)

func buildRelu(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.Rectify(inputs[0])
}

// buildIdentity returns the input: Identity, and Dropout at inference.
func buildIdentity(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	return inputs[0], nil
}
