package onnx

import "fmt"

// UnsupportedError reports an operator, attribute or shape that the
// importer cannot build. Load and Decode return it, wrapped with the file
// name, before any image is run.
type UnsupportedError struct {
	// Op is the ONNX operator type, such as "Conv".
	Op string

	// Node is the node's name in the file, or its first output's name when
	// the node is unnamed.
	Node string

	// Opset is the model's version of the default ONNX operator set.
	Opset int64

	// Reason describes what is unsupported, such as "attribute group=2, expected 1".
	Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("unsupported ONNX operator %s (node %q, opset %d): %s",
		e.Op, e.Node, e.Opset, e.Reason)
}

// unsupported returns an UnsupportedError for node.
func unsupported(node nodeInfo, opset int64, format string, args ...interface{}) error {
	return &UnsupportedError{
		Op:     node.opType,
		Node:   node.displayName(),
		Opset:  opset,
		Reason: fmt.Sprintf(format, args...),
	}
}

// displayName returns the node's name, or its first output's name when the
// file leaves the node unnamed.
func (node nodeInfo) displayName() string {
	if node.name != "" || len(node.outputs) == 0 {
		return node.name
	}
	return node.outputs[0]
}
