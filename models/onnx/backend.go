package onnx

import (
	"fmt"

	onnxgo "github.com/owulveryck/onnx-go"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gorgonia.org/tensor"
)

// valueNode is a named value of the ONNX graph: a graph input, an
// initializer or the output of a node. onnx-go stores the tensor of each
// initializer (and an empty tensor of each declared input) in it.
type valueNode struct {
	id     int64
	name   string
	tensor tensor.Tensor
}

func (n *valueNode) ID() int64                       { return n.id }
func (n *valueNode) SetName(name string)             { n.name = name }
func (n *valueNode) GetName() string                 { return n.name }
func (n *valueNode) GetTensor() tensor.Tensor        { return n.tensor }
func (n *valueNode) SetTensor(t tensor.Tensor) error { n.tensor = t; return nil }

// operation is one ONNX node as onnx-go hands it over, with the node's
// entry in the file.
type operation struct {
	node  nodeInfo
	attrs map[string]interface{}
	spec  opSpec
}

// recorder is the onnx-go backend: onnx-go's Model unmarshals a file into
// it, creating a valueNode per named value and calling ApplyOperation per
// node in file order. ApplyOperation checks each operation against the
// supported ops, so an unsupported model fails while it decodes.
type recorder struct {
	*simple.WeightedDirectedGraph

	info       *modelInfo
	nodeByName map[string]int // first output name to index in info.nodes
	operations []operation
}

func newRecorder(info *modelInfo) *recorder {
	nodeByName := make(map[string]int, len(info.nodes))
	for i, node := range info.nodes {
		if len(node.outputs) > 0 {
			nodeByName[node.outputs[0]] = i
		}
	}
	return &recorder{
		WeightedDirectedGraph: simple.NewWeightedDirectedGraph(0, 0),
		info:                  info,
		nodeByName:            nodeByName,
	}
}

// NewNode returns a valueNode with an ID that is unused in the graph.
func (r *recorder) NewNode() graph.Node {
	return &valueNode{id: r.WeightedDirectedGraph.NewNode().ID()}
}

// ApplyOperation checks op and records it with its inputs and outputs.
// onnx-go links the outputs to the inputs by weighted edges, but a
// simple graph holds one edge per pair, so a node that reads one value
// twice (Add(x, x)) loses an input. The inputs are therefore taken by name
// from the node's entry in the file.
func (r *recorder) ApplyOperation(op onnxgo.Operation, outputs ...graph.Node) error {
	if len(outputs) == 0 {
		return fmt.Errorf("%s node has no outputs", op.Name)
	}
	first, ok := outputs[0].(*valueNode)
	if !ok {
		return fmt.Errorf("%s node: output is a %T, expected a value node", op.Name, outputs[0])
	}
	index, ok := r.nodeByName[first.name]
	if !ok {
		return fmt.Errorf("%s node with output %q is missing from the graph", op.Name, first.name)
	}
	node := r.info.nodes[index]

	spec, err := checkOperation(node, op.Attributes, r.info.opset)
	if err != nil {
		return err
	}
	r.operations = append(r.operations, operation{node: node, attrs: op.Attributes, spec: spec})
	return nil
}

// tensors returns the tensor onnx-go decoded for each named value.
func (r *recorder) tensors() map[string]tensor.Tensor {
	byName := map[string]tensor.Tensor{}
	nodes := r.Nodes()
	for nodes.Next() {
		value, ok := nodes.Node().(*valueNode)
		if ok && value.tensor != nil {
			byName[value.name] = value.tensor
		}
	}
	return byName
}
