package mma

import (
	"gorgonia.org/gorgonia"
)

// probabilityFloor is added to the fused probabilities of softmax-mean
// before the logarithm. A class to which every track gives a probability
// below float32's smallest normal number would otherwise get the logit
// -Inf, and -Inf times a zero target is NaN in the cross-entropy.
const probabilityFloor = 1e-30

// meanOf returns the element-wise mean of nodes of one shape.
func meanOf(nodes []*gorgonia.Node) (*gorgonia.Node, error) {
	sum := nodes[0]
	for _, node := range nodes[1:] {
		var err error
		if sum, err = gorgonia.Add(sum, node); err != nil {
			return nil, err
		}
	}
	if len(nodes) == 1 {
		return sum, nil
	}
	return gorgonia.Mul(sum, scalar(1/float64(len(nodes))))
}

// softmaxMean returns log((1/K) sum_k softmax(z_k)) for the tracks' logits
// z_k (N x classes each). Each softmax is computed from the row's logits
// with the row max subtracted, so large logits do not overflow.
func softmaxMean(logits []*gorgonia.Node) (*gorgonia.Node, error) {
	probabilities := make([]*gorgonia.Node, len(logits))
	for k, z := range logits {
		p, err := softmax(z)
		if err != nil {
			return nil, err
		}
		probabilities[k] = p
	}
	mean, err := meanOf(probabilities)
	if err != nil {
		return nil, err
	}
	floored, err := gorgonia.Add(mean, scalar(probabilityFloor))
	if err != nil {
		return nil, err
	}
	return gorgonia.Log(floored)
}

// softmax returns the row-wise softmax of z (N x classes).
func softmax(z *gorgonia.Node) (*gorgonia.Node, error) {
	rowMax, err := gorgonia.Max(z, 1)
	if err != nil {
		return nil, err
	}
	shifted, err := gorgonia.BroadcastSub(z, rowMax, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	exp, err := gorgonia.Exp(shifted)
	if err != nil {
		return nil, err
	}
	sum, err := gorgonia.Sum(exp, 1)
	if err != nil {
		return nil, err
	}
	return gorgonia.BroadcastHadamardDiv(exp, sum, nil, []byte{1})
}
