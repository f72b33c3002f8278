package onnxexport

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the ONNX messages written here, from onnx.proto.
const (
	modelIRVersion   = 1
	modelProducer    = 2
	modelProducerVer = 3
	modelDocString   = 6
	modelGraph       = 7
	modelOpsetImport = 8

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attributeName  = 1
	attributeFloat = 2
	attributeInt   = 3
	attributeInts  = 8
	attributeType  = 20

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9

	valueInfoName = 1
	valueInfoType = 2

	typeTensor       = 1
	tensorElemType   = 1
	tensorShape      = 2
	shapeDim         = 1
	dimensionValue   = 1
	dimensionParam   = 2
	attributeTypeF   = 1 // AttributeProto.FLOAT
	attributeTypeI   = 2 // AttributeProto.INT
	attributeTypeIs  = 7 // AttributeProto.INTS
	elemTypeFloat32  = 1 // TensorProto.FLOAT
	dynamicDimension = -1
)

// message is a protobuf message under construction.
type message []byte

func (m message) varint(field protowire.Number, v uint64) message {
	m = protowire.AppendTag(m, field, protowire.VarintType)
	return protowire.AppendVarint(m, v)
}

func (m message) int64(field protowire.Number, v int64) message {
	return m.varint(field, uint64(v))
}

func (m message) float32(field protowire.Number, v float32) message {
	m = protowire.AppendTag(m, field, protowire.Fixed32Type)
	return protowire.AppendFixed32(m, math.Float32bits(v))
}

func (m message) bytes(field protowire.Number, b []byte) message {
	m = protowire.AppendTag(m, field, protowire.BytesType)
	return protowire.AppendBytes(m, b)
}

func (m message) string(field protowire.Number, s string) message {
	m = protowire.AppendTag(m, field, protowire.BytesType)
	return protowire.AppendString(m, s)
}

func (m message) message(field protowire.Number, sub message) message {
	return m.bytes(field, sub)
}

// tensorProto encodes a float32 initializer with its values as raw
// little-endian bytes.
func tensorProto(name string, shape []int, values []float32) message {
	var m message
	for _, d := range shape {
		m = m.int64(tensorDims, int64(d))
	}
	m = m.int64(tensorDataType, elemTypeFloat32)
	m = m.string(tensorName, name)

	raw := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return m.bytes(tensorRawData, raw)
}

// valueInfoProto encodes a float32 graph input or output of the given
// shape; a dimension of dynamicDimension becomes the symbolic batch size.
func valueInfoProto(name string, shape []int) message {
	var dims message
	for _, d := range shape {
		var dim message
		if d == dynamicDimension {
			dim = dim.string(dimensionParam, BatchDim)
		} else {
			dim = dim.int64(dimensionValue, int64(d))
		}
		dims = dims.message(shapeDim, dim)
	}

	var tensorType message
	tensorType = tensorType.int64(tensorElemType, elemTypeFloat32)
	tensorType = tensorType.message(tensorShape, dims)

	var typ message
	typ = typ.message(typeTensor, tensorType)

	var m message
	m = m.string(valueInfoName, name)
	return m.message(valueInfoType, typ)
}

// attribute is one attribute of a node: an int, a float or a list of ints.
type attribute struct {
	name string
	kind int
	i    int64
	f    float32
	ints []int64
}

func intAttr(name string, v int) attribute {
	return attribute{name: name, kind: attributeTypeI, i: int64(v)}
}

func floatAttr(name string, v float32) attribute {
	return attribute{name: name, kind: attributeTypeF, f: v}
}

func intsAttr(name string, values ...int) attribute {
	ints := make([]int64, len(values))
	for i, v := range values {
		ints[i] = int64(v)
	}
	return attribute{name: name, kind: attributeTypeIs, ints: ints}
}

func (a attribute) proto() message {
	var m message
	m = m.string(attributeName, a.name)
	switch a.kind {
	case attributeTypeF:
		m = m.float32(attributeFloat, a.f)
	case attributeTypeI:
		m = m.int64(attributeInt, a.i)
	case attributeTypeIs:
		for _, v := range a.ints {
			m = m.int64(attributeInts, v)
		}
	}
	return m.int64(attributeType, int64(a.kind))
}

// node is one operator of the graph.
type node struct {
	name    string
	opType  string
	inputs  []string
	outputs []string
	attrs   []attribute
}

func (n node) proto() message {
	var m message
	for _, in := range n.inputs {
		m = m.string(nodeInput, in)
	}
	for _, out := range n.outputs {
		m = m.string(nodeOutput, out)
	}
	m = m.string(nodeName, n.name)
	m = m.string(nodeOpType, n.opType)
	for _, a := range n.attrs {
		m = m.message(nodeAttribute, a.proto())
	}
	return m
}
