package onnx

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestScanModelMNIST8(t *testing.T) {
	info, err := scanModel(mnist8)
	if err != nil {
		t.Fatal(err)
	}
	if info.opset != 8 {
		t.Errorf("opset %d, expected 8", info.opset)
	}
	if len(info.nodes) != 12 {
		t.Errorf("%d nodes, expected 12", len(info.nodes))
	}
	conv := info.nodes[1]
	if conv.name != "Convolution28" || conv.opType != "Conv" ||
		!slices.Equal(conv.inputs, []string{"Input3", "Parameter5"}) {
		t.Errorf("node 1 is %+v, expected Conv Convolution28 of Input3 and Parameter5", conv)
	}
	if len(info.initializers) != 8 {
		t.Errorf("%d initializers, expected 8", len(info.initializers))
	}

	input, err := imageInput(info)
	if err != nil {
		t.Fatal(err)
	}
	if input.name != "Input3" || !slices.Equal(input.shape, []int{1, 1, 28, 28}) {
		t.Errorf("image input %q of shape %v, expected Input3 of [1 1 28 28]",
			input.name, input.shape)
	}
	if len(info.outputs) != 1 || info.outputs[0].name != "Plus214_Output_0" {
		t.Errorf("outputs %+v, expected Plus214_Output_0", info.outputs)
	}
}

func TestScanModelRejectsHugeShape(t *testing.T) {
	// A ModelProto whose graph declares an input "x" of 2^40 elements.
	dimension := protowire.AppendTag(nil, dimValue, protowire.VarintType)
	dimension = protowire.AppendVarint(dimension, 1<<40)
	shape := appendMessage(nil, shapeDim, dimension)
	tensorType := protowire.AppendTag(nil, tensorElemType, protowire.VarintType)
	tensorType = protowire.AppendVarint(tensorType, float32Type)
	tensorType = appendMessage(tensorType, tensorShape, shape)
	value := protowire.AppendTag(nil, valueName, protowire.BytesType)
	value = protowire.AppendString(value, "x")
	value = appendMessage(value, valueType, appendMessage(nil, typeTensor, tensorType))
	model := appendMessage(nil, modelGraph, appendMessage(nil, graphInput, value))

	_, err := scanModel(model)
	if err == nil || !strings.Contains(err.Error(), "elements") {
		t.Errorf("scanModel of an input of 2^40 elements: error %v, expected a size error", err)
	}
}

// appendMessage appends an embedded message field to b.
func appendMessage(b []byte, number protowire.Number, message []byte) []byte {
	b = protowire.AppendTag(b, number, protowire.BytesType)
	return protowire.AppendBytes(b, message)
}
