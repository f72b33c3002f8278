package ops

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models/internal/kernels"
)

// Linear returns x times the transpose of weight plus bias, for x
// (N x in), weight (out x in, the layout of PyTorch and ONNX Gemm with
// transB) and bias (shape out, or nil for none). The result is N x out. All
// inputs must be float32.
func Linear(x, weight, bias *gorgonia.Node) (*gorgonia.Node, error) {
	xs, ws := x.Shape(), weight.Shape()
	if xs.Dims() != 2 {
		return nil, fmt.Errorf("linear input %s: got shape %v, want N x in", x.Name(), xs)
	}
	if ws.Dims() != 2 || ws[1] != xs[1] {
		return nil, fmt.Errorf("linear weight %s: got shape %v, want out x %d",
			weight.Name(), ws, xs[1])
	}
	rows, in, out := xs[0], xs[1], ws[0]

	inputs := []*gorgonia.Node{x, weight}
	if bias != nil {
		if bs := bias.Shape(); bs.Dims() != 1 || bs[0] != out {
			return nil, fmt.Errorf("linear bias %s: got shape %v, want (%d)", bias.Name(), bs, out)
		}
		inputs = append(inputs, bias)
	}
	return apply(newLinearOp(rows, in, out, bias != nil), inputs...)
}

func newLinearOp(rows, in, out int, hasBias bool) *kernelOp {
	shapes := []tensor.Shape{{rows, in}, {out, in}}
	if hasBias {
		shapes = append(shapes, tensor.Shape{out})
	}
	return &kernelOp{
		name:   "Linear",
		inputs: shapes,
		output: tensor.Shape{rows, out},
		compute: func(y []float32, args [][]float32) {
			kernels.Gemm(false, true, rows, out, in, args[0], in, args[1], in, 0, y, out)
			if hasBias {
				kernels.AddRowBias(y, args[2], rows, out)
			}
		},
		gradients: func(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
			return linearGradients(rows, in, out, inputs, grad)
		},
	}
}

// linearGradients returns the gradient nodes of x, weight and, if present,
// bias of a linear layer: dx = dy * weight, dweight = dy^T * x and dbias is
// the column sum of dy.
func linearGradients(rows, in, out int, inputs gorgonia.Nodes,
	grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(&kernelOp{
		name:   "LinearGradInput",
		inputs: []tensor.Shape{{rows, out}, {out, in}},
		output: tensor.Shape{rows, in},
		compute: func(y []float32, args [][]float32) {
			kernels.Gemm(false, false, rows, in, out, args[0], out, args[1], in, 0, y, in)
		},
	}, grad, inputs[1])
	if err != nil {
		return nil, err
	}

	dw, err := apply(&kernelOp{
		name:   "LinearGradWeight",
		inputs: []tensor.Shape{{rows, out}, {rows, in}},
		output: tensor.Shape{out, in},
		compute: func(y []float32, args [][]float32) {
			kernels.Gemm(true, false, out, in, rows, args[0], out, args[1], in, 0, y, in)
		},
	}, grad, inputs[0])
	if err != nil {
		return nil, err
	}
	if len(inputs) == 2 {
		return gorgonia.Nodes{dx, dw}, nil
	}

	db, err := apply(newChannelSumOp(rows, out, 1, tensor.Shape{rows, out}), grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw, db}, nil
}

// MaxPool2D returns the maximum over each kernel x kernel window of x
// (N x C x H x W), taking windows stride apart without padding. The result
// is N x C x outH x outW with outH = (H - kernel)/stride + 1, and likewise
// outW. x must be float32.
func MaxPool2D(x *gorgonia.Node, kernel, stride int) (*gorgonia.Node, error) {
	xs := x.Shape()
	if xs.Dims() != 4 {
		return nil, fmt.Errorf("max pool input %s: got shape %v, want N x C x H x W", x.Name(), xs)
	}
	s := kernels.PoolShape{Batch: xs[0], Channels: xs[1], Height: xs[2], Width: xs[3],
		Kernel: kernel, Stride: stride}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("max pool %s: %w", x.Name(), err)
	}

	in := xs.Clone()
	out := tensor.Shape{s.Batch, s.Channels, s.OutH(), s.OutW()}
	name := fmt.Sprintf("MaxPool2D(kernel=%d, stride=%d)", kernel, stride)
	op := &kernelOp{
		name:   name,
		inputs: []tensor.Shape{in},
		output: out,
		compute: func(y []float32, args [][]float32) {
			kernels.MaxPool2DForward(s, args[0], y)
		},
		gradients: func(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
			dx, err := apply(&kernelOp{
				name:   "Grad" + name,
				inputs: []tensor.Shape{in, out},
				output: in,
				compute: func(y []float32, args [][]float32) {
					kernels.MaxPool2DBackward(s, args[0], args[1], y)
				},
			}, inputs[0], grad)
			return gorgonia.Nodes{dx}, err
		},
	}
	return apply(op, x)
}

// ReLU returns max(x, 0) element-wise for a float32 x of any shape. Its
// gradient is taken as 0 at x = 0.
func ReLU(x *gorgonia.Node) (*gorgonia.Node, error) {
	shape := x.Shape().Clone()
	op := &kernelOp{
		name:   "ReLU",
		inputs: []tensor.Shape{shape},
		output: shape,
		compute: func(y []float32, args [][]float32) {
			kernels.ReLUForward(args[0], y)
		},
		gradients: func(_ gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
			dx, err := reluGradient(shape, output, grad)
			return gorgonia.Nodes{dx}, err
		},
	}
	return apply(op, x)
}

// reluGradient returns the gradient of a ReLU's input given its output
// and the output's gradient.
func reluGradient(shape tensor.Shape, output, grad *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(&kernelOp{
		name:   "ReLUGrad",
		inputs: []tensor.Shape{shape, shape},
		output: shape,
		compute: func(y []float32, args [][]float32) {
			kernels.ReLUBackward(args[0], args[1], y)
		},
	}, output, grad)
}
