package onnx

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gradientRunner is a forward pass extended by the cross-entropy of its
// logits and the gradient of the summed loss with respect to the input.
// Each image's loss depends on its own pixels only, so the gradient of the
// sum holds each image's own gradient.
type gradientRunner struct {
	*runner
	target   *gorgonia.Node // batch x classes one-hot rows of the true classes
	losses   *gorgonia.Node // batch
	gradient *gorgonia.Node // batch x C x H x W
	oneHot   *tensor.Dense
}

// newGradientRunner builds a graph of the network for batch images with the
// losses and their input gradient.
func newGradientRunner(net *network, scale float32, batch, classes int) (r *gradientRunner,
	err error) {
	defer recoverError(&err)
	pass, err := net.build(scale, batch)
	if err != nil {
		return nil, err
	}

	target := gorgonia.NewMatrix(pass.graph, tensor.Float32,
		gorgonia.WithShape(batch, classes), gorgonia.WithName("onnx.target"))
	losses, err := applyKernel(crossEntropyKernel(batch, classes), []bool{true, false},
		pass.logits, target)
	if err != nil {
		return nil, err
	}
	total, err := gorgonia.Sum(losses)
	if err != nil {
		return nil, err
	}
	gradients, err := gorgonia.Grad(total, pass.input)
	if err != nil {
		return nil, err
	}

	return &gradientRunner{
		runner:   newRunner(pass),
		target:   target,
		losses:   losses,
		gradient: gradients[0],
		oneHot:   tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(batch, classes)),
	}, nil
}

// crossEntropyKernel gives the cross-entropy of each row of batch x classes
// logits (input 0) against one-hot targets (input 1).
func crossEntropyKernel(batch, classes int) *kernel {
	return &kernel{
		name:   "CrossEntropy",
		inputs: [][]int{{batch, classes}, {batch, classes}},
		output: []int{batch},
		forward: func(out []float32, in [][]float32) {
			logProbabilities := make([]float32, classes)
			index := make([]int, classes)
			for j := range index {
				index[j] = j
			}
			for n := range out {
				softmaxRow(logProbabilities, in[0][n*classes:(n+1)*classes], index, true)
				var loss float64
				for j, t := range in[1][n*classes : (n+1)*classes] {
					loss -= float64(t) * float64(logProbabilities[j])
				}
				out[n] = float32(loss)
			}
		},
		backward: func(_ int, dx []float32, in [][]float32, _, dy []float32) {
			for n, g := range dy {
				row := in[0][n*classes : (n+1)*classes]
				peak := math.Inf(-1)
				for _, v := range row {
					peak = math.Max(peak, float64(v))
				}
				var sum float64
				for _, v := range row {
					sum += math.Exp(float64(v) - peak)
				}
				for j, v := range row {
					p := math.Exp(float64(v)-peak) / sum
					dx[n*classes+j] = g * float32(p-float64(in[1][n*classes+j]))
				}
			}
		},
	}
}

// run returns copies of the loss of each image of a batch with the given
// labels and of the losses' gradient with respect to the pixels.
func (r *gradientRunner) run(pixels []float32, labels []int) (losses, grad []float32,
	err error) {
	defer recoverError(&err)
	defer r.machine.Reset()

	oneHot := r.oneHot.Data().([]float32)
	clear(oneHot)
	classes := len(oneHot) / len(labels)
	for n, label := range labels {
		oneHot[n*classes+label] = 1
	}
	copy(r.images.Data().([]float32), pixels)
	if err := gorgonia.Let(r.pass.input, r.images); err != nil {
		return nil, nil, err
	}
	if err := gorgonia.Let(r.target, r.oneHot); err != nil {
		return nil, nil, err
	}
	if err := r.machine.RunAll(); err != nil {
		return nil, nil, err
	}
	losses = append([]float32{}, r.losses.Value().Data().([]float32)...)
	grad = append([]float32{}, r.gradient.Value().Data().([]float32)...)
	return losses, grad, nil
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

	grad := make([]float32, len(pixels))
	losses := make([]float32, n)
	size := len(pixels) / max(n, 1)
	for first := 0; first < n; {
		r, count, err := m.gradientRunner(n - first)
		if err != nil {
			return nil, nil, err
		}
		l, g, err := r.run(pixels[first*size:(first+count)*size], labels[first:first+count])
		if err != nil {
			return nil, nil, fmt.Errorf("%s: images %d to %d: %w", m.name, first, first+count-1, err)
		}
		copy(losses[first:], l)
		copy(grad[first*size:], g)
		first += count
	}
	return tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.WithBacking(grad)), losses, nil
}

// gradientRunner returns the gradient pass for the next chunk of the
// remaining images and the chunk's size, building it on first use, with
// the same fallback to one image at a time as runner.
func (m *Model) gradientRunner(remaining int) (*gradientRunner, int, error) {
	count := m.chunk(remaining)
	if r, ok := m.backward[count]; ok {
		return r, count, nil
	}
	r, err := newGradientRunner(m.net, m.scale, count, m.classes)
	if err != nil && count > 1 {
		m.perImage = true
		return m.gradientRunner(1)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: build gradient: %w", m.name, err)
	}
	evict(m.backward)
	m.backward[count] = r
	return r, count, nil
}
