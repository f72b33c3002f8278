package onnx

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models/internal/ops"
)

// kernel is one ONNX operator on float32 tensors of shapes fixed at load
// time, written as plain loops. The builder either runs it at load time,
// when all its inputs are constants, or adds it to the graph with
// applyKernel.
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

// graphShape is the shape of the gorgonia node that holds a value of the
// ONNX shape: a scalar is held as a vector of one element.
func graphShape(shape []int) tensor.Shape {
	if len(shape) == 0 {
		return tensor.Shape{1}
	}
	return tensor.Shape(append([]int(nil), shape...))
}

// applyKernel adds k to the graph of nodes. want marks the inputs whose
// gradient the graph may ask for.
func applyKernel(k *kernel, want []bool, nodes ...*gorgonia.Node) (*gorgonia.Node, error) {
	inputs := make([]tensor.Shape, len(k.inputs))
	for i, s := range k.inputs {
		inputs[i] = graphShape(s)
	}
	f := ops.Func{Name: k.name, Inputs: inputs, Output: graphShape(k.output),
		Forward: k.forward, Differentiable: want}
	if k.backward != nil {
		f.Gradients = func(in gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes,
			error) {
			return kernelGradients(k, f, in, output, grad)
		}
	}
	return ops.Apply(f, nodes...)
}

// kernelGradients adds one op per wanted input of f that computes its
// gradient.
func kernelGradients(k *kernel, f ops.Func, in gorgonia.Nodes, output,
	grad *gorgonia.Node) (gorgonia.Nodes, error) {

	grads := make(gorgonia.Nodes, len(in))
	args := append(append(gorgonia.Nodes{}, in...), output, grad)
	shapes := append(append([]tensor.Shape{}, f.Inputs...), f.Output, f.Output)
	count := len(in)
	for i := range in {
		if !f.Differentiable[i] {
			continue
		}
		n, err := ops.Apply(ops.Func{
			Name:   fmt.Sprintf("%sGrad%d", k.name, i),
			Inputs: shapes,
			Output: f.Inputs[i],
			Forward: func(dx []float32, all [][]float32) {
				clear(dx)
				k.backward(i, dx, all[:count], all[count], all[count+1])
			},
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("gradient of %s: %w", k.name, err)
		}
		grads[i] = n
	}
	return grads, nil
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
