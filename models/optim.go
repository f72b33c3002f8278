package models

import (
	"fmt"
	"math"
)

// The optimisers below keep their state per Param rather than using
// gorgonia's solvers, which keep it per graph node: a Model has one graph
// per batch size, all sharing the same Params, so per-node state would
// split one parameter's momentum across several graphs.

// optimizer updates params in place from their gradients.
type optimizer interface {
	step(params []*Param, grads [][]float32)

	// setLearningRate sets the step size of the following steps.
	setLearningRate(lr float64)
}

// Optimizer names accepted by TrainConfig.Optimizer.
const (
	OptimizerSGD  = "sgd"
	OptimizerAdam = "adam"
)

// Adam's constants, PyTorch's defaults.
const (
	adamBeta1   = 0.9
	adamBeta2   = 0.999
	adamEpsilon = 1e-8
)

// newOptimizer returns the optimiser of cfg, which has its defaults set.
func newOptimizer(cfg TrainConfig) (optimizer, error) {
	switch cfg.Optimizer {
	case OptimizerSGD:
		return &sgd{learningRate: cfg.LearningRate, momentum: cfg.Momentum,
			weightDecay: cfg.WeightDecay}, nil
	case OptimizerAdam:
		return &adam{learningRate: cfg.LearningRate, weightDecay: cfg.WeightDecay}, nil
	default:
		return nil, fmt.Errorf("unknown optimizer %q, want %q or %q",
			cfg.Optimizer, OptimizerSGD, OptimizerAdam)
	}
}

// sgd is stochastic gradient descent with momentum and L2 weight decay as
// PyTorch defines it: g += weightDecay*w, v = momentum*v + g, then
// w -= learningRate * v.
type sgd struct {
	learningRate float64
	momentum     float64
	weightDecay  float64
	velocity     [][]float32
}

func (o *sgd) setLearningRate(lr float64) { o.learningRate = lr }

func (o *sgd) step(params []*Param, grads [][]float32) {
	if o.velocity == nil {
		o.velocity = zerosLike(grads)
	}

	lr := float32(o.learningRate)
	mu := float32(o.momentum)
	decay := float32(o.weightDecay)
	for i, p := range params {
		w := p.Value.Data().([]float32)
		v := o.velocity[i]
		for j, g := range grads[i] {
			g += decay * w[j]
			v[j] = mu*v[j] + g
			w[j] -= lr * v[j]
		}
	}
}

// adam is the Adam optimiser (Kingma and Ba, 2015) with bias correction
// and, like PyTorch's Adam, L2 weight decay added to the gradient
// (g += weightDecay*w) rather than AdamW's decoupled decay.
type adam struct {
	learningRate float64
	weightDecay  float64
	steps        int
	first        [][]float32 // running mean of the gradient
	second       [][]float32 // running mean of the squared gradient
}

func (o *adam) setLearningRate(lr float64) { o.learningRate = lr }

func (o *adam) step(params []*Param, grads [][]float32) {
	if o.first == nil {
		o.first = zerosLike(grads)
		o.second = zerosLike(grads)
	}
	o.steps++

	correction1 := 1 - math.Pow(adamBeta1, float64(o.steps))
	correction2 := 1 - math.Pow(adamBeta2, float64(o.steps))
	stepSize := float32(o.learningRate / correction1)
	sqrtCorrection2 := float32(math.Sqrt(correction2))
	decay := float32(o.weightDecay)
	for i, p := range params {
		w := p.Value.Data().([]float32)
		m, v := o.first[i], o.second[i]
		for j, g := range grads[i] {
			g += decay * w[j]
			m[j] = adamBeta1*m[j] + (1-adamBeta1)*g
			v[j] = adamBeta2*v[j] + (1-adamBeta2)*g*g
			denom := float32(math.Sqrt(float64(v[j])))/sqrtCorrection2 + adamEpsilon
			w[j] -= stepSize * m[j] / denom
		}
	}
}

func zerosLike(grads [][]float32) [][]float32 {
	out := make([][]float32, len(grads))
	for i, g := range grads {
		out[i] = make([]float32, len(g))
	}
	return out
}
