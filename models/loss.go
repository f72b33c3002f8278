package models

import (
	"fmt"

	"gorgonia.org/gorgonia"
)

// CrossEntropy adds the cross-entropy of logits (N x classes) against
// targets (N x classes, one-hot or any rows that sum to 1) to their graph
// and returns the per-image losses, a vector of length N. It computes
// log-sum-exp with each row's max subtracted, so large logits do not
// overflow: loss_i = log(sum_j exp(z_ij - m_i)) - sum_j t_ij (z_ij - m_i),
// which equals -sum_j t_ij log softmax(z_i)_j when row i of t sums to 1.
func CrossEntropy(logits, targets *gorgonia.Node) (*gorgonia.Node, error) {
	if logits.Dims() != 2 || !logits.Shape().Eq(targets.Shape()) {
		return nil, fmt.Errorf("cross-entropy: logits have shape %v and targets %v, "+
			"want both N x classes", logits.Shape(), targets.Shape())
	}

	rowMax, err := gorgonia.Max(logits, 1)
	if err != nil {
		return nil, fmt.Errorf("cross-entropy max: %w", err)
	}
	shifted, err := gorgonia.BroadcastSub(logits, rowMax, nil, []byte{1})
	if err != nil {
		return nil, fmt.Errorf("cross-entropy shift: %w", err)
	}

	exp, err := gorgonia.Exp(shifted)
	if err != nil {
		return nil, fmt.Errorf("cross-entropy exp: %w", err)
	}
	sumExp, err := gorgonia.Sum(exp, 1)
	if err != nil {
		return nil, fmt.Errorf("cross-entropy sum: %w", err)
	}
	logSumExp, err := gorgonia.Log(sumExp)
	if err != nil {
		return nil, fmt.Errorf("cross-entropy log: %w", err)
	}

	picked, err := gorgonia.HadamardProd(shifted, targets)
	if err != nil {
		return nil, fmt.Errorf("cross-entropy target logits: %w", err)
	}
	targetLogit, err := gorgonia.Sum(picked, 1)
	if err != nil {
		return nil, fmt.Errorf("cross-entropy target sum: %w", err)
	}

	losses, err := gorgonia.Sub(logSumExp, targetLogit)
	if err != nil {
		return nil, fmt.Errorf("cross-entropy: %w", err)
	}
	return losses, nil
}
