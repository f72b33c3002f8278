package models

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models/internal/ops"
)

// BatchNorm constants, PyTorch's defaults.
const (
	// BatchNormMomentum is the weight of the batch statistics in the update
	// of the running statistics: running = (1 - m) running + m batch.
	BatchNormMomentum = 0.1

	// BatchNormEps is added to the variance before its square root.
	BatchNormEps = 1e-5
)

// batchNorm holds the parameters and running statistics of one BatchNorm
// layer over a given number of channels (or features).
type batchNorm struct {
	weight, bias   *Param // scale (gamma, initially 1) and shift (beta, initially 0)
	mean, variance *Param // running statistics (initially 0 and 1)
}

// newBatchNorm creates a BatchNorm over channels with the parameter names
// prefix.weight and prefix.bias and the buffer names prefix.running_mean
// and prefix.running_var, PyTorch's names.
func newBatchNorm(prefix string, channels int) batchNorm {
	filled := func(name string, value float32) *Param {
		data := make([]float32, channels)
		for i := range data {
			data[i] = value
		}
		return &Param{Name: prefix + "." + name,
			Value: tensor.New(tensor.WithShape(channels), tensor.WithBacking(data))}
	}
	return batchNorm{
		weight:   filled("weight", 1),
		bias:     filled("bias", 0),
		mean:     filled("running_mean", 0),
		variance: filled("running_var", 1),
	}
}

func (bn batchNorm) params() []*Param  { return []*Param{bn.weight, bn.bias} }
func (bn batchNorm) buffers() []*Param { return []*Param{bn.mean, bn.variance} }

// batchNormOutShape checks that in is C x H x W or a feature count.
func batchNormOutShape(in []int) ([]int, error) {
	if len(in) != 1 && len(in) != 3 {
		return nil, fmt.Errorf("input has rank %d (shape %v), want 3 (C x H x W) or 1 (features)",
			len(in), in)
	}
	return append([]int(nil), in...), nil
}

// forward adds the BatchNorm of x (N x C x H x W or N x F) to its graph.
// Train mode normalises with the batch statistics and registers the
// running-statistics update with the graph (see takeStateUpdates); Eval
// mode uses the running statistics.
func (bn batchNorm) forward(x *gorgonia.Node, mode Mode) (*gorgonia.Node, error) {
	out, err := bn.normalise(x, mode, false)
	if err != nil {
		return nil, fmt.Errorf("batchnorm: %w", err)
	}
	return out, nil
}

// forwardReLU adds max(BatchNorm(x), 0) to x's graph. In Train mode that
// is one op, which saves a pass over the activations forward and backward.
func (bn batchNorm) forwardReLU(x *gorgonia.Node, mode Mode) (*gorgonia.Node, error) {
	out, err := bn.normalise(x, mode, true)
	if err != nil {
		return nil, fmt.Errorf("batchnorm: %w", err)
	}
	if mode == Train {
		return out, nil
	}
	if out, err = ops.ReLU(out); err != nil {
		return nil, fmt.Errorf("relu: %w", err)
	}
	return out, nil
}

// normalise adds the BatchNorm of x, followed in Train mode by a ReLU when
// relu is true.
func (bn batchNorm) normalise(x *gorgonia.Node, mode Mode, relu bool) (*gorgonia.Node,
	error) {
	g := x.Graph()
	weight, err := ParamNode(g, bn.weight)
	if err != nil {
		return nil, err
	}
	bias, err := ParamNode(g, bn.bias)
	if err != nil {
		return nil, err
	}
	if mode == Train {
		return bn.normaliseBatch(x, weight, bias, relu)
	}
	return bn.normaliseRunning(x, weight, bias)
}

// normaliseRunning computes x * scale + shift with the scale and shift of
// runningAffine.
func (bn batchNorm) normaliseRunning(x, weight, bias *gorgonia.Node) (*gorgonia.Node, error) {
	scale, shift, err := bn.affine(weight, bias)
	if err != nil {
		return nil, err
	}
	return ops.ChannelAffine(x, scale, shift)
}

// runningAffine adds to g the per-channel scale = weight /
// sqrt(running_var + eps) and shift = bias - running_mean * scale, with
// which Eval mode computes x * scale + shift.
func (bn batchNorm) runningAffine(g *gorgonia.ExprGraph) (scale, shift *gorgonia.Node,
	err error) {
	weight, err := ParamNode(g, bn.weight)
	if err != nil {
		return nil, nil, err
	}
	bias, err := ParamNode(g, bn.bias)
	if err != nil {
		return nil, nil, err
	}
	return bn.affine(weight, bias)
}

func (bn batchNorm) affine(weight, bias *gorgonia.Node) (scale, shift *gorgonia.Node,
	err error) {
	g := weight.Graph()
	mean, err := ParamNode(g, bn.mean)
	if err != nil {
		return nil, nil, err
	}
	variance, err := ParamNode(g, bn.variance)
	if err != nil {
		return nil, nil, err
	}

	inverseStd, err := inverseStd(variance)
	if err != nil {
		return nil, nil, err
	}
	if scale, err = gorgonia.HadamardProd(weight, inverseStd); err != nil {
		return nil, nil, err
	}
	meanScaled, err := gorgonia.HadamardProd(mean, scale)
	if err != nil {
		return nil, nil, err
	}
	if shift, err = gorgonia.Sub(bias, meanScaled); err != nil {
		return nil, nil, err
	}
	return scale, shift, nil
}

// normaliseBatch normalises x with the mean and biased variance of the
// batch, then applies a ReLU when relu is true, and registers the update
// of the running statistics.
func (bn batchNorm) normaliseBatch(x, weight, bias *gorgonia.Node,
	relu bool) (*gorgonia.Node, error) {
	normalise := ops.BatchNorm
	if relu {
		normalise = ops.BatchNormReLU
	}
	out, stats, err := normalise(x, weight, bias, BatchNormEps)
	if err != nil {
		return nil, err
	}
	bn.registerUpdate(stats, product(x.Shape())/x.Shape()[1])
	return out, nil
}

// inverseStd returns 1 / sqrt(variance + BatchNormEps). It takes Sqrt and
// then Inverse because the gradient of gorgonia v0.9.18's InverseSqrt is
// wrong (a finite-difference check found it off by orders of magnitude).
func inverseStd(variance *gorgonia.Node) (*gorgonia.Node, error) {
	eps := variance.Graph().Constant(gorgonia.NewF32(BatchNormEps))
	shifted, err := gorgonia.Add(variance, eps)
	if err != nil {
		return nil, err
	}
	std, err := gorgonia.Sqrt(shifted)
	if err != nil {
		return nil, err
	}
	return gorgonia.Inverse(std)
}

// registerUpdate makes the graph copy stats (the batch mean of each
// channel, then its biased variance) on each run, and registers the update
// of the running statistics from that copy. Like PyTorch, the update mixes
// in the unbiased variance, count / (count - 1) times the biased one,
// where count is the number of values per channel.
func (bn batchNorm) registerUpdate(stats *gorgonia.Node, count int) {
	channels := stats.Shape().TotalSize() / 2
	var batchStats gorgonia.Value = newVector(2 * channels)
	read := gorgonia.Read(stats, &batchStats)

	correction := float32(1)
	if count > 1 {
		correction = float32(count) / float32(count-1)
	}
	update := func() {
		values := batchStats.Data().([]float32)
		mixInto(bn.mean.Value.Data().([]float32), values[:channels], 1)
		mixInto(bn.variance.Value.Data().([]float32), values[channels:], correction)
	}
	addStateUpdate(stats.Graph(), read, update)
}

func newVector(n int) *tensor.Dense {
	return tensor.New(tensor.WithShape(n), tensor.Of(tensor.Float32))
}

// mixInto sets running = (1 - m) running + m * scale * batch with m =
// BatchNormMomentum.
func mixInto(running, batch []float32, scale float32) {
	const m = BatchNormMomentum
	for i, v := range batch {
		running[i] = (1-m)*running[i] + m*scale*v
	}
}
