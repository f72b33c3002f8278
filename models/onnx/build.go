package onnx

import (
	"fmt"
	"maps"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// network is a decoded ONNX graph, ready to be built into gorgonia graphs.
type network struct {
	info       *modelInfo
	operations []operation
	constants  map[string]tensor.Tensor // initializers by name
	input      valueInfo                // the one graph input that is no initializer
	output     string                   // the first graph output
}

// builder adds the operations of a network to one gorgonia graph.
type builder struct {
	graph     *gorgonia.ExprGraph
	opset     int64
	constants map[string]tensor.Tensor // initializers and folded Constant outputs
	values    map[string]*gorgonia.Node
}

// forwardPass is the input node and the logits node of a built graph.
type forwardPass struct {
	graph  *gorgonia.ExprGraph
	input  *gorgonia.Node // 1 x C x H x W pixels in [0, 1]
	logits *gorgonia.Node // 1 x classes
}

// build adds the network to a new graph for one image. The graph scales
// its input by scale before the first ONNX node.
func (net *network) build(scale float32) (*forwardPass, error) {
	b := &builder{
		graph:     gorgonia.NewGraph(),
		opset:     net.info.opset,
		constants: maps.Clone(net.constants),
		values:    map[string]*gorgonia.Node{},
	}

	shape := append([]int{1}, net.input.shape[1:]...)
	input := gorgonia.NewTensor(b.graph, tensor.Float32, 4,
		gorgonia.WithShape(shape...), gorgonia.WithName("onnx.input"))
	scaled := input
	if scale != 1 {
		var err error
		scaled, err = gorgonia.Mul(input, gorgonia.NewConstant(scale))
		if err != nil {
			return nil, fmt.Errorf("scale input: %w", err)
		}
	}
	b.values[net.input.name] = scaled

	for _, op := range net.operations {
		if err := b.add(op); err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", op.node.displayName(), op.node.opType, err)
		}
	}

	logits, ok := b.values[net.output]
	if !ok {
		return nil, fmt.Errorf("graph output %q is produced by no node", net.output)
	}
	if logits.Shape().Dims() != 2 || logits.Shape()[0] != 1 {
		return nil, fmt.Errorf("graph output %q has shape %v for one image, expected 1 x classes",
			net.output, logits.Shape())
	}
	return &forwardPass{graph: b.graph, input: input, logits: logits}, nil
}

// add builds one operation and stores its output under the output's name.
func (b *builder) add(op operation) error {
	if op.spec.fold != nil {
		value, err := op.spec.fold(op)
		if err != nil {
			return err
		}
		b.constants[op.node.outputs[0]] = value
		return nil
	}

	names := op.node.inputs
	required := op.spec.minInputs
	if op.spec.tensorInputs > 0 && op.spec.tensorInputs < len(names) {
		names = names[:op.spec.tensorInputs]
		required = min(required, op.spec.tensorInputs)
	}

	inputs := make([]*gorgonia.Node, 0, len(names))
	for _, name := range names {
		if name == "" {
			// An empty name marks an optional input that is left out.
			continue
		}
		n, err := b.node(name)
		if err != nil {
			return err
		}
		inputs = append(inputs, n)
	}
	if len(inputs) < required {
		return fmt.Errorf("%d inputs given, expected at least %d", len(inputs), required)
	}

	out, err := op.spec.build(b, op, inputs)
	if err != nil {
		return err
	}
	b.values[op.node.outputs[0]] = out
	return nil
}

// node returns the graph node of a named value, adding an initializer to
// the graph on first use.
func (b *builder) node(name string) (*gorgonia.Node, error) {
	if n, ok := b.values[name]; ok {
		return n, nil
	}
	t, ok := b.constants[name]
	if !ok {
		return nil, fmt.Errorf("input %q is neither a graph input, an initializer "+
			"nor the output of an earlier node", name)
	}
	dense, ok := t.(*tensor.Dense)
	if !ok || dense.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("initializer %q is %v, expected float32", name, t.Dtype())
	}

	var n *gorgonia.Node
	opts := []gorgonia.NodeConsOpt{gorgonia.WithValue(dense), gorgonia.WithName("onnx." + name)}
	if dense.Shape().IsScalar() {
		n = gorgonia.NewScalar(b.graph, tensor.Float32, opts...)
	} else {
		opts = append(opts, gorgonia.WithShape(dense.Shape()...))
		n = gorgonia.NewTensor(b.graph, tensor.Float32, dense.Dims(), opts...)
	}
	b.values[name] = n
	return n, nil
}

// intConstant returns the values of an int64 initializer, such as the
// target shape of a Reshape.
func (b *builder) intConstant(name string) ([]int64, error) {
	t, ok := b.constants[name]
	if !ok {
		// TODO: shapes computed by the graph (Shape, Concat) are not
		// supported, only initializers.
		return nil, fmt.Errorf("input %q must be an initializer", name)
	}
	values, ok := t.Data().([]int64)
	if !ok {
		return nil, fmt.Errorf("initializer %q is %v, expected int64", name, t.Dtype())
	}
	return values, nil
}

// floatConstant returns the values of a float32 initializer, such as the
// running mean of a BatchNormalization.
func (b *builder) floatConstant(name string) ([]float32, error) {
	t, ok := b.constants[name]
	if !ok {
		return nil, fmt.Errorf("input %q must be an initializer", name)
	}
	values, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("initializer %q is %v with shape %v, expected a float32 vector",
			name, t.Dtype(), t.Shape())
	}
	return values, nil
}
