package onnx

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the ONNX protobuf messages (onnx.proto, IR version 3 and
// later) that scanModel reads. onnx-go keeps its decoded ModelProto
// private, so the opset, the node names and the declared shapes are read
// here from the same bytes.
const (
	modelOpsetImport = 8
	modelGraph       = 7

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput  = 1
	nodeOutput = 2
	nodeName   = 3
	nodeOpType = 4
	nodeDomain = 7

	tensorName = 8

	valueName = 1
	valueType = 2

	typeTensor     = 1
	tensorElemType = 1
	tensorShape    = 2
	shapeDim       = 1
	dimValue       = 1
)

// maxDeclaredElements bounds the element count of a declared input or
// output shape. onnx-go allocates a tensor of every declared shape, so a
// corrupted dimension would otherwise exhaust memory before any check.
const maxDeclaredElements = 1 << 28

// nodeInfo is one NodeProto as the file lists it.
type nodeInfo struct {
	name    string
	opType  string
	domain  string
	inputs  []string
	outputs []string
}

// valueInfo is a graph input or output with its declared element type and
// shape. A dimension given by name (dim_param) or left out is stored as -1.
type valueInfo struct {
	name     string
	elemType int64 // TensorProto.DataType: 1 is float32, 0 undefined
	shape    []int
}

// float32Type is the TensorProto.DataType of float32.
const float32Type = 1

// modelInfo holds what scanModel reads from a serialized ModelProto.
type modelInfo struct {
	opset        int64 // version of the default ("" or "ai.onnx") domain
	nodes        []nodeInfo
	inputs       []valueInfo
	outputs      []valueInfo
	initializers map[string]bool
}

// field is one protobuf field: its number and its value, which is in
// varint for the varint wire type and in value for the bytes wire type.
type field struct {
	number   protowire.Number
	wireType protowire.Type
	value    []byte
	varint   uint64
}

// forEachField calls visit for each field of a serialized message.
func forEachField(message []byte, visit func(field) error) error {
	for len(message) > 0 {
		number, wireType, n := protowire.ConsumeTag(message)
		if n < 0 {
			return fmt.Errorf("invalid protobuf tag: %w", protowire.ParseError(n))
		}
		message = message[n:]

		f := field{number: number, wireType: wireType}
		switch wireType {
		case protowire.VarintType:
			f.varint, n = protowire.ConsumeVarint(message)
		case protowire.BytesType:
			f.value, n = protowire.ConsumeBytes(message)
		default:
			n = protowire.ConsumeFieldValue(number, wireType, message)
		}
		if n < 0 {
			return fmt.Errorf("invalid protobuf field %d: %w", number, protowire.ParseError(n))
		}
		message = message[n:]

		if err := visit(f); err != nil {
			return err
		}
	}
	return nil
}

// scanModel reads the opset, nodes, inputs, outputs and initializer names
// of a serialized ModelProto.
func scanModel(data []byte) (*modelInfo, error) {
	info := &modelInfo{opset: -1, initializers: map[string]bool{}}
	err := forEachField(data, func(f field) error {
		switch {
		case f.number == modelOpsetImport && f.wireType == protowire.BytesType:
			return info.scanOpset(f.value)
		case f.number == modelGraph && f.wireType == protowire.BytesType:
			return info.scanGraph(f.value)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if info.opset < 0 {
		return nil, fmt.Errorf("model imports no opset of the default domain")
	}
	return info, nil
}

func (info *modelInfo) scanOpset(message []byte) error {
	var domain string
	var version int64
	err := forEachField(message, func(f field) error {
		switch f.number {
		case opsetDomain:
			domain = string(f.value)
		case opsetVersion:
			version = int64(f.varint)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("opset_import: %w", err)
	}
	if domain == "" || domain == "ai.onnx" {
		info.opset = version
	}
	return nil
}

func (info *modelInfo) scanGraph(message []byte) error {
	return forEachField(message, func(f field) error {
		if f.wireType != protowire.BytesType {
			return nil
		}
		switch f.number {
		case graphNode:
			node, err := scanNode(f.value)
			if err != nil {
				return fmt.Errorf("graph node %d: %w", len(info.nodes), err)
			}
			info.nodes = append(info.nodes, node)
		case graphInitializer:
			name, err := scanString(f.value, tensorName)
			if err != nil {
				return fmt.Errorf("graph initializer: %w", err)
			}
			info.initializers[name] = true
		case graphInput, graphOutput:
			value, err := scanValue(f.value)
			if err != nil {
				return fmt.Errorf("graph input or output: %w", err)
			}
			if f.number == graphInput {
				info.inputs = append(info.inputs, value)
			} else {
				info.outputs = append(info.outputs, value)
			}
		}
		return nil
	})
}

func scanNode(message []byte) (nodeInfo, error) {
	var node nodeInfo
	err := forEachField(message, func(f field) error {
		switch f.number {
		case nodeInput:
			node.inputs = append(node.inputs, string(f.value))
		case nodeOutput:
			node.outputs = append(node.outputs, string(f.value))
		case nodeName:
			node.name = string(f.value)
		case nodeOpType:
			node.opType = string(f.value)
		case nodeDomain:
			node.domain = string(f.value)
		}
		return nil
	})
	return node, err
}

// scanString returns the string field number of a message.
func scanString(message []byte, number protowire.Number) (string, error) {
	var s string
	err := forEachField(message, func(f field) error {
		if f.number == number {
			s = string(f.value)
		}
		return nil
	})
	return s, err
}

func scanValue(message []byte) (valueInfo, error) {
	var value valueInfo
	err := forEachField(message, func(f field) error {
		switch {
		case f.number == valueName:
			value.name = string(f.value)
		case f.number == valueType && f.wireType == protowire.BytesType:
			elemType, shape, err := scanTensorType(f.value)
			if err != nil {
				return err
			}
			value.elemType, value.shape = elemType, shape
		}
		return nil
	})
	if err != nil {
		return value, err
	}

	elements := 1
	for _, d := range value.shape {
		if d > 0 && d > maxDeclaredElements/elements {
			return value, fmt.Errorf("value %q: declared shape %v has more than %d elements",
				value.name, value.shape, maxDeclaredElements)
		}
		if d > 0 {
			elements *= d
		}
	}
	return value, nil
}

// scanTensorType reads the element type and the dimensions of a
// TypeProto's tensor type.
func scanTensorType(typeProto []byte) (int64, []int, error) {
	tensorType, err := scanMessage(typeProto, typeTensor)
	if err != nil || tensorType == nil {
		return 0, nil, err
	}
	var elemType int64
	err = forEachField(tensorType, func(f field) error {
		if f.number == tensorElemType && f.wireType == protowire.VarintType {
			elemType = int64(f.varint)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	shapeProto, err := scanMessage(tensorType, tensorShape)
	if err != nil || shapeProto == nil {
		return elemType, nil, err
	}
	shape, err := scanShape(shapeProto)
	return elemType, shape, err
}

// scanShape reads the dimensions of a TensorShapeProto.
func scanShape(shapeProto []byte) ([]int, error) {

	var shape []int
	err := forEachField(shapeProto, func(f field) error {
		if f.number != shapeDim {
			return nil
		}
		size := int64(-1)
		err := forEachField(f.value, func(d field) error {
			if d.number != dimValue || d.wireType != protowire.VarintType {
				return nil
			}
			size = int64(d.varint)
			if size < 0 {
				return fmt.Errorf("invalid dimension %d", size)
			}
			return nil
		})
		shape = append(shape, int(size))
		return err
	})
	return shape, err
}

// scanMessage returns the last embedded message with the field number.
func scanMessage(message []byte, number protowire.Number) ([]byte, error) {
	var inner []byte
	err := forEachField(message, func(f field) error {
		if f.number == number && f.wireType == protowire.BytesType {
			inner = f.value
		}
		return nil
	})
	return inner, err
}
