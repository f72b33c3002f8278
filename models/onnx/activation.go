package onnx

import (
	"gorgonia.org/gorgonia"
)

func buildRelu(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.Rectify(inputs[0])
}
