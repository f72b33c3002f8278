package ops

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models/internal/kernels"
)

// channelLayout describes x (N x C x H x W or N x C) as N blocks of C
// channels of pixels values each (H*W, or 1 for N x C).
type channelLayout struct {
	images, channels, pixels int
	shape                    tensor.Shape
}

func newChannelLayout(x *gorgonia.Node, op string) (channelLayout, error) {
	s := x.Shape()
	switch s.Dims() {
	case 2:
		return channelLayout{images: s[0], channels: s[1], pixels: 1, shape: s.Clone()}, nil
	case 4:
		return channelLayout{images: s[0], channels: s[1], pixels: s[2] * s[3],
			shape: s.Clone()}, nil
	default:
		return channelLayout{}, fmt.Errorf("%s input %s: got shape %v, want N x C x H x W or N x C",
			op, x.Name(), s)
	}
}

// count returns the number of values per channel.
func (l channelLayout) count() int { return l.images * l.pixels }

// channelValues calls f with the values of channel c in each image.
func (l channelLayout) channelValues(data []float32, c int, f func(values []float32)) {
	for n := range l.images {
		start := (n*l.channels + c) * l.pixels
		f(data[start : start+l.pixels])
	}
}

func checkVector(v *gorgonia.Node, length int, op, role string) error {
	if s := v.Shape(); s.Dims() != 1 || s[0] != length {
		return fmt.Errorf("%s %s %s: got shape %v, want (%d)", op, role, v.Name(), s, length)
	}
	return nil
}

// BatchNorm returns (x - mean) / sqrt(var + eps) * weight + bias, with the
// mean and biased variance of each channel of x over the batch (and the
// pixels for N x C x H x W). x is N x C x H x W or N x C; weight and bias
// have length C. It is differentiable in all three inputs.
func BatchNorm(x, weight, bias *gorgonia.Node, eps float64) (*gorgonia.Node, error) {
	layout, err := newChannelLayout(x, "batchnorm")
	if err != nil {
		return nil, err
	}
	if err := checkVector(weight, layout.channels, "batchnorm", "weight"); err != nil {
		return nil, err
	}
	if err := checkVector(bias, layout.channels, "batchnorm", "bias"); err != nil {
		return nil, err
	}

	vector := tensor.Shape{layout.channels}
	return apply(&kernelOp{
		name:   fmt.Sprintf("BatchNorm(eps=%g)", eps),
		inputs: []tensor.Shape{layout.shape, vector, vector},
		output: layout.shape,
		compute: func(y []float32, args [][]float32) {
			batchNormForward(layout, eps, y, args[0], args[1], args[2])
		},
		gradients: func(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
			return batchNormGradients(layout, eps, inputs, grad)
		},
	}, x, weight, bias)
}

// BatchNormStats returns the mean of each channel of x followed by its
// biased variance (length 2C), as BatchNorm computes them. It is not
// differentiable, and it is meant to be read during a run.
func BatchNormStats(x *gorgonia.Node) (*gorgonia.Node, error) {
	layout, err := newChannelLayout(x, "batchnorm stats")
	if err != nil {
		return nil, err
	}
	return apply(&kernelOp{
		name:   "BatchNormStats",
		inputs: []tensor.Shape{layout.shape},
		output: tensor.Shape{2 * layout.channels},
		compute: func(y []float32, args [][]float32) {
			kernels.ForEach(layout.channels, func(c int) {
				mean, variance := channelMoments(layout, args[0], c)
				y[c], y[layout.channels+c] = float32(mean), float32(variance)
			})
		},
	}, x)
}

// channelMoments returns the mean and biased variance of channel c of x.
// It makes one pass, accumulating the sum and the sum of squares in
// float64. E[x^2] - E[x]^2 then loses digits only when the mean exceeds
// the standard deviation by several orders of magnitude (by an estimate,
// about 10^4 still leaves float32 precision).
func channelMoments(l channelLayout, x []float32, c int) (mean, variance float64) {
	var sum, squares float64
	l.channelValues(x, c, func(values []float32) {
		for _, v := range values {
			sum += float64(v)
			squares += float64(v) * float64(v)
		}
	})
	count := float64(l.count())
	mean = sum / count
	return mean, max(squares/count-mean*mean, 0)
}

// TODO: in Train mode the channel moments are computed three times per
// step: here, in BatchNormStats and in batchNormInputGradient. Passing the
// statistics node to the other two would save two passes over x.
func batchNormForward(l channelLayout, eps float64, y, x, weight, bias []float32) {
	kernels.ForEach(l.channels, func(c int) {
		mean, variance := channelMoments(l, x, c)
		scale := float32(float64(weight[c]) / math.Sqrt(variance+eps))
		shift := bias[c] - float32(mean)*scale
		for n := range l.images {
			start := (n*l.channels + c) * l.pixels
			out := y[start : start+l.pixels]
			for i, v := range x[start : start+l.pixels] {
				out[i] = v*scale + shift
			}
		}
	})
}

// batchNormGradients returns the gradient nodes of x, weight and bias.
// With xhat = (x - mean) / std and M values per channel:
// dbias = sum(dy), dweight = sum(dy * xhat) and
// dx = weight / (M std) * (M dy - dbias - xhat dweight).
func batchNormGradients(l channelLayout, eps float64, inputs gorgonia.Nodes,
	grad *gorgonia.Node) (gorgonia.Nodes, error) {
	vector := tensor.Shape{l.channels}
	dx, err := apply(&kernelOp{
		name:   fmt.Sprintf("BatchNormGradInput(eps=%g)", eps),
		inputs: []tensor.Shape{l.shape, vector, l.shape},
		output: l.shape,
		compute: func(y []float32, args [][]float32) {
			batchNormInputGradient(l, eps, y, args[0], args[1], args[2])
		},
	}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}

	dweight, err := apply(&kernelOp{
		name:   fmt.Sprintf("BatchNormGradWeight(eps=%g)", eps),
		inputs: []tensor.Shape{l.shape, l.shape},
		output: vector,
		compute: func(y []float32, args [][]float32) {
			for c := range l.channels {
				mean, variance := channelMoments(l, args[0], c)
				_, dw := batchNormSums(l, args[0], args[1], c, mean, 1/math.Sqrt(variance+eps))
				y[c] = float32(dw)
			}
		},
	}, inputs[0], grad)
	if err != nil {
		return nil, err
	}

	dbias, err := channelSum(l, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dweight, dbias}, nil
}

// batchNormSums returns sum(dy) and sum(dy * xhat) over channel c, where
// xhat = (x - mean) * inverseStd.
func batchNormSums(l channelLayout, x, dy []float32, c int, mean,
	inverseStd float64) (sumDy, sumDyXhat float64) {
	for n := range l.images {
		start := (n*l.channels + c) * l.pixels
		grads := dy[start : start+l.pixels]
		for i, v := range x[start : start+l.pixels] {
			g := float64(grads[i])
			sumDy += g
			sumDyXhat += g * (float64(v) - mean) * inverseStd
		}
	}
	return sumDy, sumDyXhat
}

func batchNormInputGradient(l channelLayout, eps float64, dx, x, weight, dy []float32) {
	count := float64(l.count())
	kernels.ForEach(l.channels, func(c int) {
		mean, variance := channelMoments(l, x, c)
		inverseStd := 1 / math.Sqrt(variance+eps)
		sumDy, sumDyXhat := batchNormSums(l, x, dy, c, mean, inverseStd)
		factor := float64(weight[c]) * inverseStd / count
		for n := range l.images {
			start := (n*l.channels + c) * l.pixels
			grads := dy[start : start+l.pixels]
			out := dx[start : start+l.pixels]
			for i, v := range x[start : start+l.pixels] {
				xhat := (float64(v) - mean) * inverseStd
				out[i] = float32(factor * (count*float64(grads[i]) - sumDy - xhat*sumDyXhat))
			}
		}
	})
}

// ChannelAffine returns x * scale + shift with one scale and shift per
// channel (axis 1) of x, which is N x C x H x W or N x C. It is
// differentiable in all three inputs. BatchNorm in evaluation mode is
// this op with scale and shift computed from the running statistics.
func ChannelAffine(x, scale, shift *gorgonia.Node) (*gorgonia.Node, error) {
	layout, err := newChannelLayout(x, "channel affine")
	if err != nil {
		return nil, err
	}
	if err := checkVector(scale, layout.channels, "channel affine", "scale"); err != nil {
		return nil, err
	}
	if err := checkVector(shift, layout.channels, "channel affine", "shift"); err != nil {
		return nil, err
	}

	vector := tensor.Shape{layout.channels}
	return apply(&kernelOp{
		name:   "ChannelAffine",
		inputs: []tensor.Shape{layout.shape, vector, vector},
		output: layout.shape,
		compute: func(y []float32, args [][]float32) {
			channelAffine(layout, y, args[0], args[1], args[2])
		},
		gradients: func(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
			return channelAffineGradients(layout, inputs, grad)
		},
	}, x, scale, shift)
}

func channelAffine(l channelLayout, y, x, scale, shift []float32) {
	kernels.ForEach(l.images, func(n int) {
		for c := range l.channels {
			start := (n*l.channels + c) * l.pixels
			out := y[start : start+l.pixels]
			for i, v := range x[start : start+l.pixels] {
				out[i] = v*scale[c] + shift[c]
			}
		}
	})
}

// channelAffineGradients returns dx = dy * scale, dscale = sum(dy * x) and
// dshift = sum(dy), sums taken per channel.
func channelAffineGradients(l channelLayout, inputs gorgonia.Nodes,
	grad *gorgonia.Node) (gorgonia.Nodes, error) {
	vector := tensor.Shape{l.channels}
	dx, err := apply(&kernelOp{
		name:   "ChannelAffineGradInput",
		inputs: []tensor.Shape{l.shape, vector},
		output: l.shape,
		compute: func(y []float32, args [][]float32) {
			zeros := make([]float32, l.channels)
			channelAffine(l, y, args[0], args[1], zeros)
		},
	}, grad, inputs[1])
	if err != nil {
		return nil, err
	}

	dscale, err := apply(&kernelOp{
		name:   "ChannelAffineGradScale",
		inputs: []tensor.Shape{l.shape, l.shape},
		output: vector,
		compute: func(y []float32, args [][]float32) {
			kernels.ForEach(l.channels, func(c int) {
				var sum float64
				for n := range l.images {
					start := (n*l.channels + c) * l.pixels
					xs := args[1][start : start+l.pixels]
					for i, g := range args[0][start : start+l.pixels] {
						sum += float64(g) * float64(xs[i])
					}
				}
				y[c] = float32(sum)
			})
		},
	}, grad, inputs[0])
	if err != nil {
		return nil, err
	}

	dshift, err := channelSum(l, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dscale, dshift}, nil
}

// channelSum adds the per-channel sum of dy to the graph.
func channelSum(l channelLayout, dy *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(&kernelOp{
		name:   "ChannelSum",
		inputs: []tensor.Shape{l.shape},
		output: tensor.Shape{l.channels},
		compute: func(y []float32, args [][]float32) {
			kernels.ForEach(l.channels, func(c int) {
				var sum float64
				l.channelValues(args[0], c, func(values []float32) {
					for _, v := range values {
						sum += float64(v)
					}
				})
				y[c] = float32(sum)
			})
		},
	}, dy)
}
