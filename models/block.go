package models

import (
	"fmt"
	"math/rand"

	"gorgonia.org/gorgonia"

	"github.com/mmatransfer/mma/models/internal/ops"
)

// blockActivations lists the kinds a BasicBlock's Activation may name.
var blockActivations = []LayerKind{ReLU, LeakyReLU, Softplus, GELU}

// normOutShape is layerOutShape for BatchNorm and BasicBlock; ok is false
// for other kinds.
func normOutShape(l Layer, in []int) (out []int, ok bool, err error) {
	switch l.Kind {
	case BatchNorm:
		out, err = batchNormOutShape(in)
		return out, true, err
	case BasicBlock:
		out, err = basicBlockOutShape(l, in)
		return out, true, err
	default:
		return nil, false, nil
	}
}

// newNormLayer creates the parameters and buffers of a BatchNorm or
// BasicBlock layer whose input has shape in; ok is false for other kinds.
func newNormLayer(prefix string, l Layer, in []int, rng *rand.Rand) (params, buffers []*Param,
	ok bool) {
	switch l.Kind {
	case BatchNorm:
		bn := newBatchNorm(prefix, in[0])
		return bn.params(), bn.buffers(), true
	case BasicBlock:
		block := newBasicBlock(prefix, l, in, rng)
		return block.params(), block.buffers(), true
	default:
		return nil, nil, false
	}
}

// normForward is layerForward for BatchNorm and BasicBlock; ok is false
// for other kinds.
func normForward(x *gorgonia.Node, l Layer, params, buffers []*Param,
	mode Mode) (out *gorgonia.Node, ok bool, err error) {
	switch l.Kind {
	case BatchNorm:
		out, err = batchNormFrom(params, buffers).forward(x, mode)
		return out, true, err
	case BasicBlock:
		out, err = basicBlockFrom(l, params, buffers).forward(x, mode)
		return out, true, err
	default:
		return nil, false, nil
	}
}

// batchNormFrom rebuilds a BatchNorm layer from the slices that its params
// and buffers return.
func batchNormFrom(params, buffers []*Param) batchNorm {
	return batchNorm{weight: params[0], bias: params[1], mean: buffers[0],
		variance: buffers[1]}
}

// basicBlock holds the convolutions and BatchNorms of a BasicBlock layer.
// hasProjection is true when the skip connection is a 1x1 conv and a
// BatchNorm rather than the identity.
type basicBlock struct {
	layer          Layer
	conv1, conv2   *Param
	bn1, bn2       batchNorm
	hasProjection  bool
	projection     *Param
	projectionNorm batchNorm
}

// basicBlockOutShape checks l against the input shape (C x H x W) and
// returns Out x H' x W', where H' = (H + 2*(Kernel/2) - Kernel)/Stride + 1.
// It rejects an even Kernel, for which the two paths of the block would
// differ in size.
func basicBlockOutShape(l Layer, in []int) ([]int, error) {
	if l.Kernel%2 == 0 {
		return nil, fmt.Errorf("kernel is %d, want an odd size so that padding keeps the shape",
			l.Kernel)
	}
	if !isBlockActivation(l.Activation) {
		return nil, fmt.Errorf("activation is %q, want \"\" (relu) or one of %v",
			l.Activation, blockActivations)
	}
	return convOutShape(blockConv1(l), in)
}

func isBlockActivation(kind LayerKind) bool {
	if kind == "" {
		return true
	}
	for _, k := range blockActivations {
		if kind == k {
			return true
		}
	}
	return false
}

// blockConv1 is the first conv of a BasicBlock: Kernel, Stride and half
// the kernel as padding, without bias.
func blockConv1(l Layer) Layer {
	return Layer{Kind: Conv, Out: l.Out, Kernel: l.Kernel, Stride: l.Stride, Pad: l.Kernel / 2,
		NoBias: true}
}

// blockConv2 is the second conv of a BasicBlock, with stride 1.
func blockConv2(l Layer) Layer {
	return Layer{Kind: Conv, Out: l.Out, Kernel: l.Kernel, Pad: l.Kernel / 2, NoBias: true}
}

// blockProjection is the 1x1 conv of a BasicBlock's skip connection.
func blockProjection(l Layer) Layer {
	return Layer{Kind: Conv, Out: l.Out, Kernel: 1, Stride: l.Stride, NoBias: true}
}

// needsProjection reports whether the skip connection of l on an input of
// c channels changes the shape and so needs a 1x1 conv.
func needsProjection(l Layer, channels int) bool {
	return !l.NoSkip && (channels != l.Out || convStride(l) != 1)
}

// newBasicBlock draws the weights of a BasicBlock as conv layers' weights
// are drawn. The names below prefix are conv1, bn1, conv2, bn2 and, with a
// projection, skip.conv and skip.bn (such as "stage2.0.skip.conv.weight").
func newBasicBlock(prefix string, l Layer, in []int, rng *rand.Rand) basicBlock {
	mid := []int{l.Out, 0, 0}
	b := basicBlock{
		layer: l,
		conv1: newLayerParams(prefix+".conv1", blockConv1(l), in, rng)[0],
		bn1:   newBatchNorm(prefix+".bn1", l.Out),
		conv2: newLayerParams(prefix+".conv2", blockConv2(l), mid, rng)[0],
		bn2:   newBatchNorm(prefix+".bn2", l.Out),
	}
	if needsProjection(l, in[0]) {
		b.hasProjection = true
		b.projection = newLayerParams(prefix+".skip.conv", blockProjection(l), in, rng)[0]
		b.projectionNorm = newBatchNorm(prefix+".skip.bn", l.Out)
	}
	return b
}

// basicBlockFrom rebuilds a block from the slices that params and buffers
// return.
func basicBlockFrom(l Layer, params, buffers []*Param) basicBlock {
	b := basicBlock{
		layer: l,
		conv1: params[0],
		bn1:   batchNorm{params[1], params[2], buffers[0], buffers[1]},
		conv2: params[3],
		bn2:   batchNorm{params[4], params[5], buffers[2], buffers[3]},
	}
	if len(params) > 6 {
		b.hasProjection = true
		b.projection = params[6]
		b.projectionNorm = batchNorm{params[7], params[8], buffers[4], buffers[5]}
	}
	return b
}

// params returns conv1, bn1, conv2, bn2 and the projection's parameters.
func (b basicBlock) params() []*Param {
	params := []*Param{b.conv1}
	params = append(params, b.bn1.params()...)
	params = append(params, b.conv2)
	params = append(params, b.bn2.params()...)
	if b.hasProjection {
		params = append(params, b.projection)
		params = append(params, b.projectionNorm.params()...)
	}
	return params
}

// buffers returns the running statistics of bn1, bn2 and the projection.
func (b basicBlock) buffers() []*Param {
	buffers := append(b.bn1.buffers(), b.bn2.buffers()...)
	if b.hasProjection {
		buffers = append(buffers, b.projectionNorm.buffers()...)
	}
	return buffers
}

// forward adds activation(bn2(conv2(activation(bn1(conv1(x))))) + skip(x))
// to x's graph, where skip is the identity, the projection or (NoSkip)
// absent.
func (b basicBlock) forward(x *gorgonia.Node, mode Mode) (*gorgonia.Node, error) {
	out, err := b.convNorm(x, blockConv1(b.layer), b.conv1, b.bn1, mode, b.isReLU())
	if err != nil {
		return nil, fmt.Errorf("conv1: %w", err)
	}
	if !b.isReLU() {
		if out, err = b.activate(out); err != nil {
			return nil, err
		}
	}
	out, err = b.convNorm(out, blockConv2(b.layer), b.conv2, b.bn2, mode, false)
	if err != nil {
		return nil, fmt.Errorf("conv2: %w", err)
	}

	if !b.layer.NoSkip {
		skip := x
		if b.hasProjection {
			skip, err = b.convNorm(x, blockProjection(b.layer), b.projection, b.projectionNorm,
				mode, false)
			if err != nil {
				return nil, fmt.Errorf("skip: %w", err)
			}
		}
		return b.addActivate(out, skip)
	}
	return b.activate(out)
}

// isReLU reports whether the block's activation is ReLU, which has fused
// ops.
func (b basicBlock) isReLU() bool {
	return b.layer.Activation == "" || b.layer.Activation == ReLU
}

// addActivate returns activation(out + skip), in one op for ReLU.
func (b basicBlock) addActivate(out, skip *gorgonia.Node) (*gorgonia.Node, error) {
	if b.isReLU() {
		sum, err := ops.AddReLU(out, skip)
		if err != nil {
			return nil, fmt.Errorf("skip: %w", err)
		}
		return sum, nil
	}

	sum, err := gorgonia.Add(out, skip)
	if err != nil {
		return nil, fmt.Errorf("skip: %w", err)
	}
	return b.activate(sum)
}

// convNorm returns bn(conv(x)), or max(bn(conv(x)), 0) when relu is true.
// In Eval mode the BatchNorm, an affine map per channel, is folded into
// the convolution (see foldedConvNorm).
func (b basicBlock) convNorm(x *gorgonia.Node, conv Layer, weight *Param, bn batchNorm,
	mode Mode, relu bool) (*gorgonia.Node, error) {
	if mode == Train {
		out, err := layerForward(x, conv, []*Param{weight})
		if err != nil {
			return nil, err
		}
		if relu {
			return bn.forwardReLU(out, mode)
		}
		return bn.forward(out, mode)
	}

	out, err := foldedConvNorm(x, conv, []*Param{weight}, bn)
	if err != nil || !relu {
		return out, err
	}
	return ops.ReLU(out)
}

// foldedConvNorm returns bn(conv(x)) in Eval mode as one convolution: the
// filter of output channel o is scaled by the BatchNorm's scale[o], and the
// bias becomes bias*scale + shift, or shift for a convolution without bias.
// That saves a pass over the output, forward and backward.
func foldedConvNorm(x *gorgonia.Node, conv Layer, params []*Param,
	bn batchNorm) (*gorgonia.Node, error) {
	weight, bias, err := paramNodes(x.Graph(), params)
	if err != nil {
		return nil, err
	}
	scale, shift, err := bn.runningAffine(x.Graph())
	if err != nil {
		return nil, fmt.Errorf("batchnorm: %w", err)
	}
	folded, err := ops.ScaleRows(weight, scale)
	if err != nil {
		return nil, err
	}
	if bias != nil {
		scaledBias, err := gorgonia.HadamardProd(bias, scale)
		if err != nil {
			return nil, err
		}
		if shift, err = gorgonia.Add(scaledBias, shift); err != nil {
			return nil, err
		}
	}
	return conv2d(x, folded, shift, convStride(conv), conv.Pad)
}

func (b basicBlock) activate(x *gorgonia.Node) (*gorgonia.Node, error) {
	kind := b.layer.Activation
	if kind == "" {
		kind = ReLU
	}
	out, err := layerForward(x, Layer{Kind: kind}, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return out, nil
}
