package ops

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models/internal/kernels"
)

// AddReLU returns max(a + b, 0), element by element, in one pass: the end
// of a residual block. a and b must have the same shape. It is
// differentiable in both inputs, which get the same gradient.
func AddReLU(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	shape := a.Shape().Clone()
	if !shape.Eq(b.Shape()) {
		return nil, fmt.Errorf("add-relu %s and %s: shapes %v and %v differ", a.Name(),
			b.Name(), shape, b.Shape())
	}
	return apply(&kernelOp{
		name:   "AddReLU",
		inputs: []tensor.Shape{shape, shape},
		output: shape,
		compute: func(y []float32, args [][]float32) {
			kernels.AddReLUForward(args[0], args[1], y)
		},
		gradients: func(_ gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
			dx, err := reluGradient(shape, output, grad)
			return gorgonia.Nodes{dx, dx}, err
		},
	}, a, b)
}

// ScaleRows returns x with row i multiplied by scale[i], where the rows
// are x's first axis: for convolution weights (O x C x kH x kW), each
// output channel's filter. It is differentiable in both inputs.
func ScaleRows(x, scale *gorgonia.Node) (*gorgonia.Node, error) {
	shape := x.Shape().Clone()
	if shape.Dims() < 1 {
		return nil, fmt.Errorf("scale rows %s: got a scalar, want at least one axis", x.Name())
	}
	rows := shape[0]
	if err := checkVector(scale, rows, "scale rows", "scale"); err != nil {
		return nil, err
	}

	vector := tensor.Shape{rows}
	return apply(&kernelOp{
		name:   "ScaleRows",
		inputs: []tensor.Shape{shape, vector},
		output: shape,
		compute: func(y []float32, args [][]float32) {
			scaleRows(y, args[0], args[1])
		},
		gradients: func(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
			return scaleRowsGradients(shape, inputs, grad)
		},
	}, x, scale)
}

func scaleRows(y, x, scale []float32) {
	width := len(x) / len(scale)
	for i, s := range scale {
		out := y[i*width : (i+1)*width]
		for j, v := range x[i*width : (i+1)*width] {
			out[j] = v * s
		}
	}
}

// scaleRowsGradients returns dx = ScaleRows(dy, scale) and
// dscale[i] = sum over row i of dy * x.
func scaleRowsGradients(shape tensor.Shape, inputs gorgonia.Nodes,
	grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := ScaleRows(grad, inputs[1])
	if err != nil {
		return nil, err
	}

	rows := shape[0]
	dscale, err := apply(&kernelOp{
		name:   "ScaleRowsGradScale",
		inputs: []tensor.Shape{shape, shape},
		output: tensor.Shape{rows},
		compute: func(y []float32, args [][]float32) {
			width := len(args[0]) / rows
			for i := range rows {
				row := args[0][i*width : (i+1)*width]
				_, dot := kernels.SumProducts(row, args[1][i*width:(i+1)*width])
				y[i] = float32(dot)
			}
		},
	}, grad, inputs[0])
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dscale}, nil
}
