package onnx

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// onnx-go v0.5.0 reads a bool tensor's raw_data as 8 bytes per element,
// where ONNX stores 1, so it fails on the bool Constants and initializers
// of attention masks. rewriteBoolTensors turns every bool TensorProto of
// the graph's initializers and node attributes into an int32 one with the
// same values, which the importer reads as integers 0 and 1 all the same.

// Field numbers of the messages rewriteBoolTensors walks (onnx.proto).
const (
	nodeAttribute   = 5
	attributeTensor = 5

	tensorDataType  = 2
	tensorInt32Data = 5
	tensorRawData   = 9

	boolType  = 9
	int32Type = 6
)

// rewriteBoolTensors returns the model with bool tensors stored as int32
// tensors, or the model itself when it has none.
func rewriteBoolTensors(model []byte) ([]byte, error) {
	return rewriteMessage(model, func(f field) ([]byte, bool, error) {
		if f.number != modelGraph || f.wireType != protowire.BytesType {
			return nil, false, nil
		}
		return rewriteEmbedded(f, rewriteGraph)
	})
}

// rewriteMessage copies a message field by field, or returns it unchanged
// when no field changes. For each field, replace returns the field's new
// encoding (tag and value) and whether it changed.
func rewriteMessage(message []byte, replace func(field) ([]byte, bool, error)) ([]byte, error) {
	out := make([]byte, 0, len(message))
	rewritten := false
	rest := message
	for len(rest) > 0 {
		number, wireType, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return nil, fmt.Errorf("invalid protobuf tag: %w", protowire.ParseError(n))
		}
		size := protowire.ConsumeFieldValue(number, wireType, rest[n:])
		if size < 0 {
			return nil, fmt.Errorf("invalid protobuf field %d: %w", number, protowire.ParseError(size))
		}
		raw := rest[:n+size]
		rest = rest[n+size:]

		f := field{number: number, wireType: wireType}
		switch wireType {
		case protowire.BytesType:
			f.value, _ = protowire.ConsumeBytes(raw[n:])
		case protowire.VarintType:
			f.varint, _ = protowire.ConsumeVarint(raw[n:])
		}
		encoded, changed, err := replace(f)
		if err != nil {
			return nil, err
		}
		if changed {
			rewritten = true
			out = append(out, encoded...)
		} else {
			out = append(out, raw...)
		}
	}
	if !rewritten {
		return message, nil
	}
	return out, nil
}

// rewriteEmbedded rewrites the embedded message of a bytes field and
// returns the field's new encoding.
func rewriteEmbedded(f field, rewrite func([]byte) ([]byte, error)) ([]byte, bool, error) {
	value, err := rewrite(f.value)
	if err != nil || len(value) == len(f.value) && string(value) == string(f.value) {
		return nil, false, err
	}
	encoded := protowire.AppendTag(nil, f.number, protowire.BytesType)
	return protowire.AppendBytes(encoded, value), true, nil
}

func rewriteGraph(graph []byte) ([]byte, error) {
	return rewriteMessage(graph, func(f field) ([]byte, bool, error) {
		if f.wireType != protowire.BytesType {
			return nil, false, nil
		}
		switch f.number {
		case graphInitializer:
			return rewriteEmbedded(f, rewriteTensor)
		case graphNode:
			return rewriteEmbedded(f, rewriteNode)
		}
		return nil, false, nil
	})
}

func rewriteNode(node []byte) ([]byte, error) {
	return rewriteMessage(node, func(f field) ([]byte, bool, error) {
		if f.number != nodeAttribute || f.wireType != protowire.BytesType {
			return nil, false, nil
		}
		return rewriteEmbedded(f, rewriteAttribute)
	})
}

func rewriteAttribute(attribute []byte) ([]byte, error) {
	return rewriteMessage(attribute, func(f field) ([]byte, bool, error) {
		if f.number != attributeTensor || f.wireType != protowire.BytesType {
			return nil, false, nil
		}
		return rewriteEmbedded(f, rewriteTensor)
	})
}

// rewriteTensor turns a bool TensorProto into an int32 one: its data type
// becomes int32, and raw_data (one byte per element) becomes int32_data.
// Any other tensor is returned unchanged.
func rewriteTensor(tensor []byte) ([]byte, error) {
	isBool := false
	err := forEachField(tensor, func(f field) error {
		if f.number == tensorDataType && f.wireType == protowire.VarintType {
			isBool = f.varint == boolType
		}
		return nil
	})
	if err != nil || !isBool {
		return tensor, err
	}

	return rewriteMessage(tensor, func(f field) ([]byte, bool, error) {
		switch {
		case f.number == tensorDataType && f.wireType == protowire.VarintType:
			encoded := protowire.AppendTag(nil, tensorDataType, protowire.VarintType)
			return protowire.AppendVarint(encoded, int32Type), true, nil
		case f.number == tensorRawData && f.wireType == protowire.BytesType:
			var packed []byte
			for _, b := range f.value {
				packed = protowire.AppendVarint(packed, uint64(b))
			}
			encoded := protowire.AppendTag(nil, tensorInt32Data, protowire.BytesType)
			return protowire.AppendBytes(encoded, packed), true, nil
		}
		return nil, false, nil
	})
}
