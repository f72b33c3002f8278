package ops

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models/internal/kernels"
)

// Conv2D returns the 2D convolution of x (N x C x H x W) with weight
// (O x C x kH x kW) plus bias (shape O, or nil for none), with the same
// stride along both axes and pad zero rows and columns on each side. The
// result is N x O x outH x outW with outH = (H + 2*pad - kH)/stride + 1,
// and likewise outW. All inputs must be float32.
func Conv2D(x, weight, bias *gorgonia.Node, stride, pad int) (*gorgonia.Node, error) {
	xs, ws := x.Shape(), weight.Shape()
	if xs.Dims() != 4 {
		return nil, fmt.Errorf("conv2d input %s: got shape %v, want N x C x H x W", x.Name(), xs)
	}
	if ws.Dims() != 4 || ws[1] != xs[1] {
		return nil, fmt.Errorf("conv2d weight %s: got shape %v, want O x %d x kH x kW",
			weight.Name(), ws, xs[1])
	}
	s := kernels.ConvShape{Batch: xs[0], InChannels: xs[1], Height: xs[2], Width: xs[3],
		OutChannels: ws[0], KernelH: ws[2], KernelW: ws[3], Stride: stride, Pad: pad}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("conv2d %s: %w", x.Name(), err)
	}

	inputs := []*gorgonia.Node{x, weight}
	if bias != nil {
		if bs := bias.Shape(); bs.Dims() != 1 || bs[0] != s.OutChannels {
			return nil, fmt.Errorf("conv2d bias %s: got shape %v, want (%d)",
				bias.Name(), bs, s.OutChannels)
		}
		inputs = append(inputs, bias)
	}
	return apply(newConvOp(s, bias != nil), inputs...)
}

func inputShape(s kernels.ConvShape) tensor.Shape {
	return tensor.Shape{s.Batch, s.InChannels, s.Height, s.Width}
}

func weightShape(s kernels.ConvShape) tensor.Shape {
	return tensor.Shape{s.OutChannels, s.InChannels, s.KernelH, s.KernelW}
}

func outputShape(s kernels.ConvShape) tensor.Shape {
	return tensor.Shape{s.Batch, s.OutChannels, s.OutH(), s.OutW()}
}

// convName names a convolution op. It includes the input shape because
// with stride 2 two input sizes can give the same output size, so the
// gradient ops' input shapes alone do not determine it.
func convName(kind string, s kernels.ConvShape) string {
	return fmt.Sprintf("%s(stride=%d, pad=%d, input=%v)", kind, s.Stride, s.Pad, inputShape(s))
}

func newConvOp(s kernels.ConvShape, hasBias bool) *kernelOp {
	inputs := []tensor.Shape{inputShape(s), weightShape(s)}
	if hasBias {
		inputs = append(inputs, tensor.Shape{s.OutChannels})
	}
	// The forward and gradient ops of one convolution share a cache, which
	// the native build fills with converted tensors.
	cache := new(kernels.ConvCache)
	return &kernelOp{
		name:   convName("Conv2D", s),
		inputs: inputs,
		output: outputShape(s),
		compute: func(out []float32, in [][]float32) {
			var bias []float32
			if hasBias {
				bias = in[2]
			}
			cache.Forward(s, in[0], in[1], bias, out)
		},
		gradients: func(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
			return convGradients(s, cache, inputs, grad)
		},
	}
}

// convGradients returns the gradient nodes of x, weight and, if present,
// bias of a convolution given the output gradient.
func convGradients(s kernels.ConvShape, cache *kernels.ConvCache, inputs gorgonia.Nodes,
	grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(&kernelOp{
		name:   convName("Conv2DGradInput", s),
		inputs: []tensor.Shape{weightShape(s), outputShape(s)},
		output: inputShape(s),
		compute: func(out []float32, in [][]float32) {
			cache.BackwardInput(s, in[0], in[1], out)
		},
	}, inputs[1], grad)
	if err != nil {
		return nil, err
	}

	dw, err := apply(&kernelOp{
		name:   convName("Conv2DGradWeight", s),
		inputs: []tensor.Shape{inputShape(s), outputShape(s)},
		output: weightShape(s),
		compute: func(out []float32, in [][]float32) {
			cache.BackwardWeight(s, in[0], in[1], out, nil)
		},
	}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	if len(inputs) == 2 {
		return gorgonia.Nodes{dx, dw}, nil
	}

	db, err := apply(newChannelSumOp(s.Batch, s.OutChannels, s.OutH()*s.OutW(),
		outputShape(s)), grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw, db}, nil
}

// newChannelSumOp returns the bias gradient op: it sums an input of the
// given shape, batch x channels x pixels in memory, over all but the
// channel axis.
func newChannelSumOp(batch, channels, pixels int, shape tensor.Shape) *kernelOp {
	return &kernelOp{
		name:   "BiasGrad",
		inputs: []tensor.Shape{shape},
		output: tensor.Shape{channels},
		compute: func(out []float32, in [][]float32) {
			kernels.SumChannels(in[0], batch, channels, pixels, out)
		},
	}
}
