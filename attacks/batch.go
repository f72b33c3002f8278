package attacks

import (
	"fmt"
	"math"
	"slices"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// batch is a checked attack input: the clean pixels of N images and their
// labels.
type batch struct {
	// shape is N x C x H x W.
	shape []int

	// pixels are the clean images, read only, in channel, row, column
	// order, image after image.
	pixels []float32

	labels []int
}

// imageSize returns the number of pixels of one image, C*H*W.
func (b batch) imageSize() int {
	return b.shape[1] * b.shape[2] * b.shape[3]
}

// newBatch checks that x and labels are a valid input for m and returns
// them as a batch that shares x's pixels.
func newBatch(m models.Differentiable, x *tensor.Dense, labels []int) (batch, error) {
	if m == nil {
		return batch{}, fmt.Errorf("model is nil")
	}
	if x == nil {
		return batch{}, fmt.Errorf("input x is nil")
	}

	shape, err := checkShape(x.Shape(), m.InputShape())
	if err != nil {
		return batch{}, err
	}

	pixels, err := float32Values("input x", x)
	if err != nil {
		return batch{}, err
	}
	if err := checkPixelRange(pixels); err != nil {
		return batch{}, err
	}

	if err := checkLabels(labels, shape[0], m.Classes()); err != nil {
		return batch{}, err
	}

	return batch{shape: shape, pixels: pixels, labels: labels}, nil
}

// checkShape returns a copy of shape if it is N x C x H x W with N >= 1
// and C x H x W equal to image.
func checkShape(shape, image []int) ([]int, error) {
	if len(shape) != 4 {
		return nil, fmt.Errorf("input x has shape %v, expected N x C x H x W with C x H x W = %v",
			shape, image)
	}
	if !slices.Equal(shape[1:], image) {
		return nil, fmt.Errorf("input x has images of shape %v, but the model expects %v",
			shape[1:], image)
	}
	if shape[0] < 1 {
		return nil, fmt.Errorf("input x is an empty batch (shape %v), expected at least one image",
			shape)
	}
	return slices.Clone(shape), nil
}

// float32Values returns the backing slice of t, which must be a contiguous
// float32 tensor. name says which tensor t is in errors.
func float32Values(name string, t *tensor.Dense) ([]float32, error) {
	if t.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("%s has dtype %v, expected float32", name, t.Dtype())
	}
	if t.RequiresIterator() {
		return nil, fmt.Errorf("%s is a non-contiguous view, expected a contiguous tensor "+
			"(use Materialize)", name)
	}

	values, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("%s contains %T, expected []float32", name, t.Data())
	}
	if want := t.Shape().TotalSize(); len(values) != want {
		return nil, fmt.Errorf("%s contains %d values, expected %d for shape %v",
			name, len(values), want, t.Shape())
	}
	return values, nil
}

// checkPixelRange returns an error naming the first pixel outside [0, 1]
// or NaN.
func checkPixelRange(pixels []float32) error {
	for i, p := range pixels {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("input x has pixel %v at flat index %d, expected pixels in [0, 1]",
				p, i)
		}
	}
	return nil
}

// checkLabels returns an error unless labels contains n classes in
// [0, classes).
func checkLabels(labels []int, n, classes int) error {
	if len(labels) != n {
		return fmt.Errorf("got %d labels for %d images, expected one label per image",
			len(labels), n)
	}
	for i, label := range labels {
		if label < 0 || label >= classes {
			return fmt.Errorf("label %d of image %d is out of range, expected [0, %d)",
				label, i, classes)
		}
	}
	return nil
}

// inputGradient returns the gradient of m's attack loss at adv, a batch
// with b's shape, after checking that the model returned a finite
// gradient of that shape.
func inputGradient(m models.Differentiable, adv *tensor.Dense, b batch) ([]float32, error) {
	grad, _, err := m.InputGradient(adv, b.labels)
	if err != nil {
		return nil, fmt.Errorf("input gradient: %w", err)
	}
	if grad == nil {
		return nil, fmt.Errorf("input gradient: model returned a nil gradient")
	}
	if !slices.Equal(grad.Shape(), b.shape) {
		return nil, fmt.Errorf("input gradient: model returned shape %v, expected %v",
			grad.Shape(), b.shape)
	}

	values, err := float32Values("input gradient", grad)
	if err != nil {
		return nil, err
	}
	for i, v := range values {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("input gradient: value %v at flat index %d, expected finite values",
				v, i)
		}
	}
	return values, nil
}
