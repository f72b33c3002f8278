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

// BatchNorm returns y = (x - mean) / sqrt(var + eps) * weight + bias, with
// the mean and biased variance of each channel of x over the batch (and the
// pixels for N x C x H x W). x is N x C x H x W or N x C; weight and bias
// have length C. y is differentiable in all three inputs.
//
// BatchNorm also returns stats, the mean of each channel followed by its
// biased variance (length 2C), for updating running statistics. stats is
// not differentiable, and it is meant to be read during a run.
//
// The forward pass computes the statistics once, and the gradient of x
// computes the per-channel sums that make up the gradients of weight and
// bias. The ops that follow reuse both. Like every op here, a graph that
// uses BatchNorm runs on one machine at a time.
func BatchNorm(x, weight, bias *gorgonia.Node, eps float64) (y, stats *gorgonia.Node,
	err error) {
	return batchNorm(x, weight, bias, eps, false)
}

// BatchNormReLU is BatchNorm followed by a ReLU, max(y, 0), in one op: it
// saves a pass over the activations forward and backward. stats are the
// statistics of x, as for BatchNorm.
func BatchNormReLU(x, weight, bias *gorgonia.Node, eps float64) (y, stats *gorgonia.Node,
	err error) {
	return batchNorm(x, weight, bias, eps, true)
}

func batchNorm(x, weight, bias *gorgonia.Node, eps float64, relu bool) (y,
	stats *gorgonia.Node, err error) {
	layout, err := newChannelLayout(x, "batchnorm")
	if err != nil {
		return nil, nil, err
	}
	if err := checkVector(weight, layout.channels, "batchnorm", "weight"); err != nil {
		return nil, nil, err
	}
	if err := checkVector(bias, layout.channels, "batchnorm", "bias"); err != nil {
		return nil, nil, err
	}

	bn := newBatchNormState(layout, eps, relu)
	vector := tensor.Shape{layout.channels}
	y, err = apply(&kernelOp{
		name:   fmt.Sprintf("BatchNorm(eps=%g, relu=%t)", eps, relu),
		inputs: []tensor.Shape{layout.shape, vector, vector},
		output: layout.shape,
		compute: func(y []float32, args [][]float32) {
			bn.forward(y, args[0], args[1], args[2])
		},
		gradients: func(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes,
			error) {
			return bn.gradients(inputs, output, grad)
		},
	}, x, weight, bias)
	if err != nil {
		return nil, nil, err
	}

	stats, err = apply(&kernelOp{
		name:    "BatchNormStats",
		inputs:  []tensor.Shape{layout.shape},
		output:  tensor.Shape{2 * layout.channels},
		compute: func(out []float32, _ [][]float32) { bn.stats(out) },
	}, y)
	if err != nil {
		return nil, nil, err
	}
	return y, stats, nil
}

// batchNormState is the state one BatchNorm's ops share within a run. The
// forward op sets mean, variance and inverseStd. The op for the gradient
// of x runs after it and sets sumDy and sumDyXhat, the gradients of bias
// and weight.
type batchNormState struct {
	layout                     channelLayout
	eps                        float64
	relu                       bool // a ReLU follows the normalisation
	mean, variance, inverseStd []float64
	sumDy, sumDyXhat           []float64
}

func newBatchNormState(l channelLayout, eps float64, relu bool) *batchNormState {
	return &batchNormState{layout: l, eps: eps, relu: relu,
		mean: make([]float64, l.channels), variance: make([]float64, l.channels),
		inverseStd: make([]float64, l.channels),
		sumDy:      make([]float64, l.channels), sumDyXhat: make([]float64, l.channels)}
}

// channelMoments returns the mean and biased variance of channel c of x.
// It makes one pass, accumulating the sum and the sum of squares in
// float64 across runs of float32 sums. E[x^2] - E[x]^2 then loses digits
// only when the mean exceeds the standard deviation by several orders of
// magnitude (by an estimate, about 10^3 still leaves float32 precision).
func channelMoments(l channelLayout, x []float32, c int) (mean, variance float64) {
	var sum, squares float64
	l.channelValues(x, c, func(values []float32) {
		s, q := kernels.SumSquares(values)
		sum += s
		squares += q
	})
	count := float64(l.count())
	mean = sum / count
	return mean, max(squares/count-mean*mean, 0)
}

func (bn *batchNormState) forward(y, x, weight, bias []float32) {
	l := bn.layout
	kernels.ForEach(l.channels, func(c int) {
		mean, variance := channelMoments(l, x, c)
		inverseStd := 1 / math.Sqrt(variance+bn.eps)
		bn.mean[c], bn.variance[c], bn.inverseStd[c] = mean, variance, inverseStd

		scale := float32(float64(weight[c]) * inverseStd)
		shift := bias[c] - float32(mean)*scale
		for n := range l.images {
			start := (n*l.channels + c) * l.pixels
			out := y[start : start+l.pixels]
			kernels.Affine(x[start:start+l.pixels], scale, shift, bn.relu, out)
		}
	})
}

func (bn *batchNormState) stats(out []float32) {
	channels := bn.layout.channels
	for c := range channels {
		out[c], out[channels+c] = float32(bn.mean[c]), float32(bn.variance[c])
	}
}

// gradients returns the gradient nodes of x, weight and bias. With
// xhat = (x - mean) / std and M values per channel:
// dbias = sum(dy), dweight = sum(dy * xhat) and
// dx = weight / (M std) * (M dy - dbias - xhat dweight).
// With a ReLU, dy is first zeroed where the output is not positive. The
// weight and bias gradients take dx as an input only to run after it.
func (bn *batchNormState) gradients(inputs gorgonia.Nodes, output,
	grad *gorgonia.Node) (gorgonia.Nodes, error) {
	l := bn.layout
	vector := tensor.Shape{l.channels}
	dx, err := apply(&kernelOp{
		name:   fmt.Sprintf("BatchNormGradInput(eps=%g, relu=%t)", bn.eps, bn.relu),
		inputs: []tensor.Shape{l.shape, vector, l.shape, l.shape},
		output: l.shape,
		compute: func(y []float32, args [][]float32) {
			bn.inputGradient(y, args[0], args[1], args[2], args[3])
		},
	}, inputs[0], inputs[1], grad, output)
	if err != nil {
		return nil, err
	}

	sums := func(name string, values []float64) (*gorgonia.Node, error) {
		return apply(&kernelOp{
			name:   name,
			inputs: []tensor.Shape{l.shape},
			output: vector,
			compute: func(y []float32, _ [][]float32) {
				for c, v := range values {
					y[c] = float32(v)
				}
			},
		}, dx)
	}
	dweight, err := sums("BatchNormGradWeight", bn.sumDyXhat)
	if err != nil {
		return nil, err
	}
	dbias, err := sums("BatchNormGradBias", bn.sumDy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dweight, dbias}, nil
}

// inputGradient sets dx and the per-channel sums of dy and dy * xhat,
// using the statistics of the forward pass and, with a ReLU, its output y.
// Per channel, dx is a*dy + b*x + c with a, b and c folded from the
// formula of gradients.
func (bn *batchNormState) inputGradient(dx, x, weight, dy, y []float32) {
	l := bn.layout
	count := float64(l.count())
	kernels.ForEach(l.channels, func(c int) {
		// With a ReLU, the gradient of the normalised values is dy where
		// the output y is positive and 0 elsewhere.
		var keep []float32
		if bn.relu {
			keep = y
		}
		mean, inverseStd := bn.mean[c], bn.inverseStd[c]
		var sumDy, sumDyX float64
		bn.forEachPlane(c, func(start, end int) {
			s, p := kernels.MaskedSumProducts(plane(keep, start, end), dy[start:end],
				x[start:end])
			sumDy += s
			sumDyX += p
		})
		sumDyXhat := (sumDyX - mean*sumDy) * inverseStd
		bn.sumDy[c], bn.sumDyXhat[c] = sumDy, sumDyXhat

		factor := float64(weight[c]) * inverseStd / count
		gradScale := float32(factor * count)
		inputScale := float32(-factor * sumDyXhat * inverseStd)
		offset := float32(factor * (sumDyXhat*inverseStd*mean - sumDy))
		bn.forEachPlane(c, func(start, end int) {
			kernels.AxpbyPlusC(plane(keep, start, end), dy[start:end], x[start:end],
				gradScale, inputScale, offset, dx[start:end])
		})
	})
}

// plane returns values[start:end], or nil for nil values.
func plane(values []float32, start, end int) []float32 {
	if values == nil {
		return nil
	}
	return values[start:end]
}

// forEachPlane calls f with the bounds of channel c's values in each image.
func (bn *batchNormState) forEachPlane(c int, f func(start, end int)) {
	l := bn.layout
	for n := range l.images {
		start := (n*l.channels + c) * l.pixels
		f(start, start+l.pixels)
	}
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
