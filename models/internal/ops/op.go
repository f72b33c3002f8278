// Package ops provides gorgonia operations backed by the float32 kernels of
// models/internal/kernels: convolution, linear layers, max pooling and ReLU.
// Each operation supports symbolic differentiation, so gorgonia.Grad builds
// its backward pass from this package's gradient operations, and each one
// reuses its output tensor from one run of the graph to the next.
//
// All operations accept float32 tensors only, with shapes fixed when the
// graph is built.
//
// TODO: the ops do not implement gorgonia.ADOp (DoDiff), so they work with
// gorgonia.Grad and a tape machine but not with the LispMachine's automatic
// differentiation.
package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kernelOp is a gorgonia.Op whose inputs and output have shapes fixed when
// the graph is built and whose work is one call into the kernels package.
type kernelOp struct {
	// name identifies the operation and all its parameters.
	name string

	// serial is unique to each op added to a graph, and part of its hash;
	// see apply.
	serial uint64

	inputs  []tensor.Shape
	output  tensor.Shape
	compute func(out []float32, in [][]float32)

	// gradients returns the gradient nodes of the inputs given the output
	// gradient. It is nil for ops that are not differentiable.
	gradients func(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error)

	// want marks the inputs that have a gradient; nil means all of them
	// when gradients is set.
	want []bool

	// result is the tensor Do returned last time. A tape machine drops all
	// values on Reset and calls Do again on the next run, so reusing the
	// tensor saves allocating and clearing it on every training step.
	result *tensor.Dense
}

var (
	_ gorgonia.Op              = (*kernelOp)(nil)
	_ gorgonia.SDOp            = (*kernelOp)(nil)
	_ gorgonia.UsePreallocDoer = (*kernelOp)(nil)
)

// Func is an operation on float32 tensors whose shapes are fixed when the
// graph is built, written as loops over their elements, for Apply.
type Func struct {
	// Name identifies the operation in errors and graph dumps.
	Name string

	// Inputs and Output are the shapes of the operands and the result. An
	// input may arrive with another shape of the same number of elements.
	Inputs []tensor.Shape
	Output tensor.Shape

	// Forward computes out from in, both in row-major order.
	Forward func(out []float32, in [][]float32)

	// Gradients adds the gradient nodes of the inputs, given the op's
	// output node and the gradient of the loss with respect to it. It is
	// nil for an operation that is not differentiable.
	Gradients func(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error)

	// Differentiable marks the inputs that have a gradient; nil means all
	// of them when Gradients is set.
	Differentiable []bool
}

// Apply adds f to the graph of its inputs. Like every op of this package,
// it reuses its output tensor from one run of the graph to the next.
func Apply(f Func, inputs ...*gorgonia.Node) (*gorgonia.Node, error) {
	return apply(&kernelOp{name: f.Name, inputs: f.Inputs, output: f.Output,
		compute: f.Forward, gradients: f.Gradients, want: f.Differentiable}, inputs...)
}

// opSerials numbers the ops added to graphs.
var opSerials atomic.Uint64

// apply adds op to the graph with the given inputs. It first gives op a
// serial number of its own, which goes into the op's hash. gorgonia v0.9.18
// merges a new node into an existing one when their 32-bit hashes collide
// and their ops hash alike, without comparing their inputs: two tracks'
// convolutions of the same shape, say, could become one node. With a serial
// in the hash, ops of this package never compare equal, so they are never
// merged.
func apply(op *kernelOp, inputs ...*gorgonia.Node) (*gorgonia.Node, error) {
	op.serial = opSerials.Add(1)
	n, err := gorgonia.ApplyOp(op, inputs...)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", op.name, err)
	}
	return n, nil
}

func (op *kernelOp) Arity() int { return len(op.inputs) }

func (op *kernelOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	types := make([]hm.Type, 0, len(op.inputs)+1)
	for _, s := range op.inputs {
		types = append(types, gorgonia.TensorType{Dims: s.Dims(), Of: a})
	}
	types = append(types, gorgonia.TensorType{Dims: op.output.Dims(), Of: a})
	return hm.NewFnType(types...)
}

func (op *kernelOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.output.Clone(), nil
}

// Do computes the op into the tensor it returned on its previous call, or
// into a new one on the first call. A value read from the op's node is
// therefore valid until the graph runs again.
//
// NOTE: two machines running one graph at the same time would share these
// tensors. gorgonia binds values to graph nodes, so it does not support
// that either.
func (op *kernelOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if op.result == nil {
		op.result = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(op.output.Clone()...))
	}
	return op.UsePreallocDo(op.result, inputs...)
}

// UsePreallocDo computes the op into prealloc, which must be a float32
// tensor of the output shape. Its previous contents are overwritten.
func (op *kernelOp) UsePreallocDo(prealloc gorgonia.Value,
	inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != len(op.inputs) {
		return nil, fmt.Errorf("%s: got %d inputs, want %d", op.name, len(inputs), len(op.inputs))
	}
	in := make([][]float32, len(inputs))
	for i, v := range inputs {
		data, err := float32Data(v, op.inputs[i])
		if err != nil {
			return nil, fmt.Errorf("%s: input %d: %w", op.name, i, err)
		}
		in[i] = data
	}
	out, err := float32Data(prealloc, op.output)
	if err != nil {
		return nil, fmt.Errorf("%s: output: %w", op.name, err)
	}

	op.compute(out, in)
	return prealloc, nil
}

// float32Data returns the elements of v, which must be a dense float32
// tensor with as many elements as shape, in row-major order. A view is
// copied into a tensor of its own first.
func float32Data(v gorgonia.Value, shape tensor.Shape) ([]float32, error) {
	t, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("got %T, want *tensor.Dense", v)
	}
	if t.Shape().TotalSize() != shape.TotalSize() {
		return nil, fmt.Errorf("got shape %v, want %v", t.Shape(), shape)
	}
	if t.IsMaterializable() {
		t = t.Materialize().(*tensor.Dense)
	}
	data, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("got dtype %v, want float32", t.Dtype())
	}
	if len(data) != shape.TotalSize() {
		return nil, fmt.Errorf("got %d elements, want %d contiguous ones", len(data),
			shape.TotalSize())
	}
	return data, nil
}

func (op *kernelOp) ReturnsPtr() bool     { return false }
func (op *kernelOp) CallsExtern() bool    { return false }
func (op *kernelOp) OverwritesInput() int { return -1 }

func (op *kernelOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%s%v#%d", op.name, op.inputs, op.serial)
}

func (op *kernelOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op *kernelOp) String() string { return op.name }

func (op *kernelOp) DiffWRT(inputs int) []bool {
	wrt := make([]bool, inputs)
	for i := range wrt {
		wrt[i] = op.gradients != nil && (op.want == nil || op.want[i])
	}
	return wrt
}

// SymDiff returns the gradient nodes of the op's inputs. Gradient ops are
// not differentiable themselves, so second derivatives are unsupported.
func (op *kernelOp) SymDiff(inputs gorgonia.Nodes, output,
	grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.gradients == nil {
		return nil, fmt.Errorf("%s is not differentiable", op.name)
	}
	return op.gradients(inputs, output, grad)
}
