package onnx

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kernel is one ONNX operator on float32 tensors of shapes fixed at load
// time, written as plain loops. The builder either runs it at load time,
// when all its inputs are constants, or adds it to the graph as a funcOp.
type kernel struct {
	name    string
	inputs  [][]int // ONNX shapes; a scalar has no dimensions
	output  []int
	forward func(out []float32, in [][]float32)

	// backward writes into dx, zeroed beforehand, the gradient of input i
	// given the inputs, the output and the output's gradient dy. It is nil
	// for an operator that is not differentiable.
	backward func(i int, dx []float32, in [][]float32, out, dy []float32)
}

// opCount numbers funcOps, so that no two share a hash and gorgonia never
// merges two nodes of different kernels.
var opCount atomic.Int64

// funcOp is a gorgonia.Op that runs a kernel's forward or backward loop.
type funcOp struct {
	name    string
	inputs  []tensor.Shape
	output  tensor.Shape
	compute func(out []float32, in [][]float32)

	// gradients returns the gradient nodes of the inputs, nil where want
	// is false. It is nil when the op is not differentiable.
	gradients func(inputs gorgonia.Nodes, output, grad *gorgonia.Node,
		want []bool) (gorgonia.Nodes, error)
	want []bool // inputs that need a gradient

	// result is reused from one run to the next, as a tape machine drops
	// all values on Reset and calls Do again.
	result *tensor.Dense
}

var (
	_ gorgonia.Op   = (*funcOp)(nil)
	_ gorgonia.SDOp = (*funcOp)(nil)
)

// graphShape is the shape of the gorgonia node that holds a value of the
// ONNX shape: a scalar is held as a vector of one element.
func graphShape(shape []int) tensor.Shape {
	if len(shape) == 0 {
		return tensor.Shape{1}
	}
	return tensor.Shape(append([]int(nil), shape...))
}

// newFuncOp returns the op that runs k's forward loop. want marks the
// inputs whose gradient the graph may ask for.
func newFuncOp(k *kernel, want []bool) *funcOp {
	inputs := make([]tensor.Shape, len(k.inputs))
	for i, s := range k.inputs {
		inputs[i] = graphShape(s)
	}
	op := &funcOp{
		name:    fmt.Sprintf("%s#%d", k.name, opCount.Add(1)),
		inputs:  inputs,
		output:  graphShape(k.output),
		compute: k.forward,
		want:    want,
	}
	if k.backward != nil {
		op.gradients = func(in gorgonia.Nodes, output, grad *gorgonia.Node,
			want []bool) (gorgonia.Nodes, error) {
			return kernelGradients(k, op, in, output, grad, want)
		}
	}
	return op
}

// kernelGradients adds one op per wanted input that computes its gradient.
func kernelGradients(k *kernel, op *funcOp, in gorgonia.Nodes, output, grad *gorgonia.Node,
	want []bool) (gorgonia.Nodes, error) {
	grads := make(gorgonia.Nodes, len(in))
	args := append(append(gorgonia.Nodes{}, in...), output, grad)
	shapes := append(append([]tensor.Shape{}, op.inputs...), op.output, op.output)
	count := len(in)
	for i := range in {
		if !want[i] {
			continue
		}
		i := i
		gradOp := &funcOp{
			name:   fmt.Sprintf("%sGrad%d#%d", k.name, i, opCount.Add(1)),
			inputs: shapes,
			output: op.inputs[i],
			compute: func(dx []float32, all [][]float32) {
				clear(dx)
				k.backward(i, dx, all[:count], all[count], all[count+1])
			},
		}
		n, err := gorgonia.ApplyOp(gradOp, args...)
		if err != nil {
			return nil, fmt.Errorf("gradient of %s: %w", k.name, err)
		}
		grads[i] = n
	}
	return grads, nil
}

func (op *funcOp) Arity() int { return len(op.inputs) }

func (op *funcOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	types := make([]hm.Type, 0, len(op.inputs)+1)
	for _, s := range op.inputs {
		types = append(types, gorgonia.TensorType{Dims: s.Dims(), Of: a})
	}
	types = append(types, gorgonia.TensorType{Dims: op.output.Dims(), Of: a})
	return hm.NewFnType(types...)
}

func (op *funcOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.output.Clone(), nil
}

// Do computes the op into the tensor it returned on its previous call, so a
// value read from the op's node is valid until the graph runs again.
func (op *funcOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != len(op.inputs) {
		return nil, fmt.Errorf("%s: %d inputs, expected %d", op.name, len(inputs), len(op.inputs))
	}
	in := make([][]float32, len(inputs))
	for i, v := range inputs {
		data, err := valueData(v, op.inputs[i])
		if err != nil {
			return nil, fmt.Errorf("%s: input %d: %w", op.name, i, err)
		}
		in[i] = data
	}
	if op.result == nil {
		op.result = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(op.output.Clone()...))
	}
	op.compute(op.result.Data().([]float32), in)
	return op.result, nil
}

// valueData returns the elements of a float32 tensor of the given shape.
func valueData(v gorgonia.Value, shape tensor.Shape) ([]float32, error) {
	t, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("value is a %T, expected *tensor.Dense", v)
	}
	if t.Shape().TotalSize() != shape.TotalSize() {
		return nil, fmt.Errorf("shape %v, expected %v", t.Shape(), shape)
	}
	if t.IsMaterializable() {
		t = t.Materialize().(*tensor.Dense)
	}
	data, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("element type %v, expected float32", t.Dtype())
	}
	return data, nil
}

func (op *funcOp) ReturnsPtr() bool     { return false }
func (op *funcOp) CallsExtern() bool    { return false }
func (op *funcOp) OverwritesInput() int { return -1 }
func (op *funcOp) String() string       { return op.name }

func (op *funcOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.name) }

func (op *funcOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op *funcOp) DiffWRT(inputs int) []bool {
	wrt := make([]bool, inputs)
	if op.gradients != nil {
		copy(wrt, op.want)
	}
	return wrt
}

func (op *funcOp) SymDiff(inputs gorgonia.Nodes, output,
	grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.gradients == nil {
		return nil, fmt.Errorf("%s is not differentiable", op.name)
	}
	return op.gradients(inputs, output, grad, op.want)
}

// size returns the number of elements of a tensor of the shape.
func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// strides returns the row-major strides of shape, in elements.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	step := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = step
		step *= shape[i]
	}
	return s
}
