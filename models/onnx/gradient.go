package onnx

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gradientRunner is a forward pass extended by the cross-entropy of its
// logits and the gradient of that loss with respect to the input.
type gradientRunner struct {
	*runner
	target   *gorgonia.Node // 1 x classes one-hot row of the true class
	loss     *gorgonia.Node // scalar
	gradient *gorgonia.Node // 1 x C x H x W
	oneHot   *tensor.Dense
}

// newGradientRunner builds a second graph of the network with the loss and
// its input gradient.
func newGradientRunner(net *network, scale float32, classes int) (*gradientRunner, error) {
	pass, err := net.build(scale)
	if err != nil {
		return nil, err
	}

	target := gorgonia.NewMatrix(pass.graph, tensor.Float32,
		gorgonia.WithShape(1, classes), gorgonia.WithName("onnx.target"))
	logProbabilities, err := gorgonia.LogSoftMax(pass.logits)
	if err != nil {
		return nil, err
	}
	picked, err := gorgonia.HadamardProd(target, logProbabilities)
	if err != nil {
		return nil, err
	}
	sum, err := gorgonia.Sum(picked)
	if err != nil {
		return nil, err
	}
	loss, err := gorgonia.Neg(sum)
	if err != nil {
		return nil, err
	}
	gradients, err := gorgonia.Grad(loss, pass.input)
	if err != nil {
		return nil, err
	}

	r := &gradientRunner{
		runner:   newRunner(pass),
		target:   target,
		loss:     loss,
		gradient: gradients[0],
		oneHot:   tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(1, classes)),
	}
	return r, nil
}

// run returns the loss of one image of the given class and the loss's
// gradient with respect to the image's pixels. The slice is valid until
// the next run.
func (r *gradientRunner) run(image []float32, label int) (loss float32, grad []float32, err error) {
	defer recoverError(&err)
	defer r.machine.Reset()

	oneHot := r.oneHot.Data().([]float32)
	clear(oneHot)
	oneHot[label] = 1
	copy(r.image.Data().([]float32), image)
	if err := gorgonia.Let(r.pass.input, r.image); err != nil {
		return 0, nil, err
	}
	if err := gorgonia.Let(r.target, r.oneHot); err != nil {
		return 0, nil, err
	}
	if err := r.machine.RunAll(); err != nil {
		return 0, nil, err
	}
	loss = r.loss.Value().Data().(float32)
	return loss, r.gradient.Value().Data().([]float32), nil
}

// InputGradient returns the cross-entropy of the logits of each image of x
// (length N) and its gradient with respect to the pixels of x (N x C x H x
// W, in loss units per pixel unit of [0, 1]). labels holds the true class
// of each image, in [0, Classes).
func (m *Model) InputGradient(x *tensor.Dense, labels []int) (*tensor.Dense, []float32, error) {
	pixels, n, err := m.checkBatch(x)
	if err != nil {
		return nil, nil, err
	}
	if len(labels) != n {
		return nil, nil, fmt.Errorf("%s: %d labels for %d images", m.name, len(labels), n)
	}
	for i, label := range labels {
		if label < 0 || label >= m.classes {
			return nil, nil, fmt.Errorf("%s: label %d of image %d is outside [0, %d)",
				m.name, label, i, m.classes)
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.backward == nil {
		backward, err := newGradientRunner(m.net, m.scale, m.classes)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: build gradient: %w", m.name, err)
		}
		m.backward = backward
	}

	grad := make([]float32, len(pixels))
	losses := make([]float32, n)
	size := len(pixels) / max(n, 1)
	for i := 0; i < n; i++ {
		image := pixels[i*size : (i+1)*size]
		loss, g, err := m.backward.run(image, labels[i])
		if err != nil {
			return nil, nil, fmt.Errorf("%s: image %d: %w", m.name, i, err)
		}
		losses[i] = loss
		copy(grad[i*size:], g)
	}
	return tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.WithBacking(grad)), losses, nil
}
