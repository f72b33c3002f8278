package onnx

import (
	"fmt"

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

// value is an ONNX value while a graph is built: a constant known at load
// time (an initializer, or a result computed from constants and shapes
// alone), or a node of the gorgonia graph.
type value struct {
	shape  []int          // ONNX shape; a scalar has none
	floats []float32      // elements of a float constant
	ints   []int64        // elements of an integer or boolean constant
	node   *gorgonia.Node // the graph node; for a constant, made on first use
}

// isConstant reports whether v is known at load time.
func (v *value) isConstant() bool { return v.floats != nil || v.ints != nil }

// builder adds the operations of a network to one gorgonia graph.
type builder struct {
	graph  *gorgonia.ExprGraph
	opset  int64
	values map[string]*value
}

// forwardPass is the input node and the logits node of a built graph.
type forwardPass struct {
	graph  *gorgonia.ExprGraph
	input  *gorgonia.Node // batch x C x H x W pixels in [0, 1]
	logits *gorgonia.Node // batch x classes
}

// build adds the network to a new graph for a batch of the given size. The
// graph scales its input by scale before the first ONNX node.
func (net *network) build(scale float32, batch int) (*forwardPass, error) {
	b, err := newBuilder(net)
	if err != nil {
		return nil, err
	}

	shape := append([]int{batch}, net.input.shape[1:]...)
	input := gorgonia.NewTensor(b.graph, tensor.Float32, 4,
		gorgonia.WithShape(shape...), gorgonia.WithName("onnx.input"))
	scaled, err := b.apply(scaleKernel(shape, scale), &value{shape: shape, node: input})
	if err != nil {
		return nil, fmt.Errorf("scale input: %w", err)
	}
	b.values[net.input.name] = scaled
	if err := b.addAll(net); err != nil {
		return nil, err
	}

	logits, ok := b.values[net.output]
	if !ok {
		return nil, fmt.Errorf("graph output %q is produced by no node", net.output)
	}
	if len(logits.shape) != 2 || logits.shape[0] != batch {
		return nil, fmt.Errorf("graph output %q has shape %v for %d images, expected %d x classes",
			net.output, logits.shape, batch, batch)
	}
	if logits.node == nil || logits.isConstant() {
		return nil, fmt.Errorf("graph output %q does not depend on the input", net.output)
	}
	return &forwardPass{graph: b.graph, input: input, logits: logits.node}, nil
}

// newBuilder returns a builder of a new graph that holds the network's
// initializers.
func newBuilder(net *network) (*builder, error) {
	b := &builder{graph: gorgonia.NewGraph(), opset: net.info.opset, values: map[string]*value{}}
	for name, t := range net.constants {
		v, err := constantValue(t)
		if err != nil {
			return nil, fmt.Errorf("initializer %q: %w", name, err)
		}
		b.values[name] = v
	}
	return b, nil
}

// addAll adds the network's operations in file order, once the graph
// inputs are set.
func (b *builder) addAll(net *network) error {
	for _, op := range net.operations {
		if err := b.add(op); err != nil {
			return unsupported(op.node, b.opset, "%v", err)
		}
	}
	return nil
}

// scaleKernel multiplies pixels by scale.
func scaleKernel(shape []int, scale float32) *kernel {
	return &kernel{
		name:   "Scale",
		inputs: [][]int{shape},
		output: shape,
		forward: func(out []float32, in [][]float32) {
			for i, v := range in[0] {
				out[i] = v * scale
			}
		},
		backward: func(_ int, dx []float32, _ [][]float32, _, dy []float32) {
			for i, g := range dy {
				dx[i] = g * scale
			}
		},
	}
}

// add builds one operation and stores its output under the output's name.
func (b *builder) add(op operation) error {
	inputs := make([]*value, len(op.node.inputs))
	present := 0
	for i, name := range op.node.inputs {
		if name == "" {
			// An empty name marks an optional input that is left out.
			continue
		}
		v, ok := b.values[name]
		if !ok {
			return fmt.Errorf("input %q is neither a graph input, an initializer "+
				"nor the output of an earlier node", name)
		}
		inputs[i] = v
		present++
	}
	if present < op.spec.minInputs {
		return fmt.Errorf("%d inputs present, expected at least %d", present, op.spec.minInputs)
	}

	out, err := op.spec.build(b, op, inputs)
	if err != nil {
		return err
	}
	b.values[op.node.outputs[0]] = out
	return nil
}

// nodeOf returns the graph node of v, adding a float constant to the graph
// on first use.
func (b *builder) nodeOf(v *value) (*gorgonia.Node, error) {
	if v.node != nil {
		return v.node, nil
	}
	if v.floats == nil {
		return nil, fmt.Errorf("integer constant of shape %v used as a float32 tensor", v.shape)
	}
	// gorgonia merges input nodes of equal type, shape and name, so each
	// constant gets a name of its own.
	shape := graphShape(v.shape)
	dense := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v.floats))
	v.node = gorgonia.NewTensor(b.graph, tensor.Float32, shape.Dims(), gorgonia.WithShape(shape...),
		gorgonia.WithValue(dense), gorgonia.WithName(fmt.Sprintf("onnx.constant%d", len(b.graph.AllNodes()))))
	return v.node, nil
}

// apply runs k on constant inputs at once, or adds it to the graph.
func (b *builder) apply(k *kernel, inputs ...*value) (*value, error) {
	constant := true
	for _, v := range inputs {
		if v.floats == nil {
			constant = false
		}
	}
	if constant {
		in := make([][]float32, len(inputs))
		for i, v := range inputs {
			in[i] = v.floats
		}
		out := make([]float32, size(k.output))
		k.forward(out, in)
		return &value{shape: k.output, floats: out}, nil
	}

	// gorgonia's tensors cannot hold zero elements.
	if size(k.output) == 0 {
		return nil, fmt.Errorf("%s: empty output of shape %v is not supported", k.name, k.output)
	}
	for _, v := range inputs {
		if size(v.shape) == 0 {
			return nil, fmt.Errorf("%s: empty input of shape %v is not supported", k.name, v.shape)
		}
	}
	nodes := make([]*gorgonia.Node, len(inputs))
	want := make([]bool, len(inputs))
	for i, v := range inputs {
		n, err := b.nodeOf(v)
		if err != nil {
			return nil, err
		}
		nodes[i] = n
		want[i] = !v.isConstant()
	}
	n, err := applyKernel(k, want, nodes...)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", k.name, err)
	}
	return &value{shape: k.output, node: n}, nil
}

// wrap returns the value of a node made by a gorgonia or ops operation.
func wrap(n *gorgonia.Node, err error) (*value, error) {
	if err != nil {
		return nil, err
	}
	return &value{shape: []int(n.Shape().Clone()), node: n}, nil
}

// constantValue converts an initializer or a Constant's tensor.
func constantValue(t tensor.Tensor) (*value, error) {
	shape := []int(t.Shape().Clone())
	if t.Shape().IsScalar() {
		shape = nil
	}
	v := &value{shape: shape}
	switch data := t.Data().(type) {
	case []float32:
		v.floats = append([]float32{}, data...)
	case float32:
		v.floats = []float32{data}
	case []float64:
		v.floats = make([]float32, len(data))
		for i, f := range data {
			v.floats[i] = float32(f)
		}
	case float64:
		v.floats = []float32{float32(data)}
	case []int64:
		v.ints = append([]int64{}, data...)
	case int64:
		v.ints = []int64{data}
	case []int32:
		v.ints = make([]int64, len(data))
		for i, n := range data {
			v.ints[i] = int64(n)
		}
	case int32:
		v.ints = []int64{int64(data)}
	case []bool:
		v.ints = make([]int64, len(data))
		for i, b := range data {
			if b {
				v.ints[i] = 1
			}
		}
	default:
		return nil, fmt.Errorf("element type %v is not supported", t.Dtype())
	}
	if len(v.floats)+len(v.ints) != size(shape) {
		return nil, fmt.Errorf("%d elements for shape %v", len(v.floats)+len(v.ints), shape)
	}
	return v, nil
}

// constantInts returns the elements of an integer constant input, such as
// the target shape of a Reshape.
func constantInts(v *value, role string) ([]int64, error) {
	if v == nil {
		return nil, fmt.Errorf("input %s is missing", role)
	}
	if v.ints == nil {
		// TODO: a shape computed from values that depend on the pixels
		// cannot be folded at load time and is not supported.
		return nil, fmt.Errorf("input %s must be an int64 constant known at load time", role)
	}
	return v.ints, nil
}

// constantFloats returns the elements of a float constant input, such as
// the running mean of a BatchNormalization.
func constantFloats(v *value, role string) ([]float32, error) {
	if v == nil {
		return nil, fmt.Errorf("input %s is missing", role)
	}
	if v.floats == nil {
		return nil, fmt.Errorf("input %s must be a float32 constant known at load time", role)
	}
	return v.floats, nil
}
