package models

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/mmatransfer/mma/models/internal/ops"
)

// conv2d adds a 2-D convolution with bias to x's graph. x is N x C x H x W,
// weight is O x C x K x K (OIHW) and bias has length O; the result is
// N x O x H' x W' with H' = (H + 2*pad - K)/stride + 1. Every conv layer of
// the package goes through this function, so a faster kernel replaces it
// in one place.
func conv2d(x, weight, bias *gorgonia.Node, stride, pad int) (*gorgonia.Node, error) {
	out, err := ops.Conv2D(x, weight, bias, stride, pad)
	if err != nil {
		return nil, fmt.Errorf("conv2d: %w", err)
	}
	return out, nil
}

// linear adds a fully connected layer with bias to x's graph: x (N x In)
// times the transpose of weight (Out x In) plus bias (length Out). Every
// linear layer of the package goes through this function.
func linear(x, weight, bias *gorgonia.Node) (*gorgonia.Node, error) {
	out, err := ops.Linear(x, weight, bias)
	if err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	return out, nil
}

// maxPool2d adds kernel x kernel max pooling with the given stride to x's
// graph (N x C x H x W), without padding.
func maxPool2d(x *gorgonia.Node, kernel, stride int) (*gorgonia.Node, error) {
	out, err := ops.MaxPool2D(x, kernel, stride)
	if err != nil {
		return nil, fmt.Errorf("maxpool: %w", err)
	}
	return out, nil
}
