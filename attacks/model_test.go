package attacks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gorgonia.org/tensor"
)

// linearModel is a softmax classifier on raw pixels, logits = W x + b. Its
// attack loss is the cross-entropy, whose input gradient is W^T (p - y)
// with p the softmax of the logits and y the one-hot label.
type linearModel struct {
	shape   []int     // C x H x W
	classes int       // number of logits
	weights []float32 // classes x C*H*W, row-major
	bias    []float32 // classes
}

// newLinearModel returns a linearModel with normal weights of standard
// deviation scale, drawn from seed.
func newLinearModel(seed uint64, shape []int, classes int, scale float64) *linearModel {
	rng := rand.New(rand.NewPCG(seed, 1))
	size := shape[0] * shape[1] * shape[2]
	m := &linearModel{
		shape:   shape,
		classes: classes,
		weights: make([]float32, classes*size),
		bias:    make([]float32, classes),
	}
	for i := range m.weights {
		m.weights[i] = float32(scale * rng.NormFloat64())
	}
	for i := range m.bias {
		m.bias[i] = float32(scale * rng.NormFloat64())
	}
	return m
}

func (m *linearModel) InputShape() []int { return m.shape }

func (m *linearModel) Classes() int { return m.classes }

func (m *linearModel) imageSize() int { return m.shape[0] * m.shape[1] * m.shape[2] }

// logits returns W image + b in float64.
func (m *linearModel) logits(image []float32) []float64 {
	size := m.imageSize()
	z := make([]float64, m.classes)
	for k := range z {
		row := m.weights[k*size : (k+1)*size]
		sum := float64(m.bias[k])
		for j, v := range image {
			sum += float64(row[j]) * float64(v)
		}
		z[k] = sum
	}
	return z
}

// loss returns the cross-entropy of image against label and the softmax of
// its logits.
func (m *linearModel) loss(image []float32, label int) (float64, []float64) {
	z := m.logits(image)
	top := slices.Max(z)
	var total float64
	p := make([]float64, len(z))
	for k, v := range z {
		p[k] = math.Exp(v - top)
		total += p[k]
	}
	for k := range p {
		p[k] /= total
	}
	return top + math.Log(total) - z[label], p
}

func (m *linearModel) Logits(x *tensor.Dense) (*tensor.Dense, error) {
	pixels := x.Data().([]float32)
	n := x.Shape()[0]
	size := m.imageSize()
	out := make([]float32, 0, n*m.classes)
	for i := range n {
		for _, v := range m.logits(pixels[i*size : (i+1)*size]) {
			out = append(out, float32(v))
		}
	}
	return tensor.New(tensor.WithShape(n, m.classes), tensor.WithBacking(out)), nil
}

func (m *linearModel) InputGradient(x *tensor.Dense, labels []int) (*tensor.Dense, []float32, error) {
	pixels := x.Data().([]float32)
	n := x.Shape()[0]
	if len(labels) != n {
		return nil, nil, fmt.Errorf("linear model: %d labels for %d images", len(labels), n)
	}

	size := m.imageSize()
	grad := make([]float32, len(pixels))
	losses := make([]float32, n)
	for i := range n {
		loss, p := m.loss(pixels[i*size:(i+1)*size], labels[i])
		losses[i] = float32(loss)
		p[labels[i]] -= 1
		for j := range size {
			var sum float64
			for k, pk := range p {
				sum += pk * float64(m.weights[k*size+j])
			}
			grad[i*size+j] = float32(sum)
		}
	}
	return tensor.New(tensor.WithShape(x.Shape()...), tensor.WithBacking(grad)), losses, nil
}

func TestLinearModelGradientMatchesFiniteDifferences(t *testing.T) {
	m := newLinearModel(7, []int{2, 3, 3}, 4, 0.5)
	x, labels := testBatch(11, 3, m.shape, m.classes)
	grad, losses, err := m.InputGradient(x, labels)
	if err != nil {
		t.Fatal(err)
	}

	pixels := x.Data().([]float32)
	analytic := grad.Data().([]float32)
	size := m.imageSize()
	const h = 1e-3
	for i, label := range labels {
		image := slices.Clone(pixels[i*size : (i+1)*size])
		clean, _ := m.loss(image, label)
		if math.Abs(clean-float64(losses[i])) > 1e-5 {
			t.Errorf("image %d: InputGradient loss %v, want %v", i, losses[i], clean)
		}
		for j := range image {
			saved := image[j]
			image[j] = saved + h
			up, _ := m.loss(image, label)
			image[j] = saved - h
			down, _ := m.loss(image, label)
			image[j] = saved

			numeric := (up - down) / (2 * h)
			if got := float64(analytic[i*size+j]); math.Abs(got-numeric) > 1e-3 {
				t.Errorf("image %d pixel %d: gradient %v, finite difference %v",
					i, j, got, numeric)
			}
		}
	}
}

// testBatch returns n random images of the given shape with labels in
// [0, classes). The first image has pixels at exactly 0 and 1.
func testBatch(seed uint64, n int, shape []int, classes int) (*tensor.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	size := shape[0] * shape[1] * shape[2]
	pixels := make([]float32, n*size)
	for i := range pixels {
		pixels[i] = rng.Float32()
	}
	for j := 0; j < size; j += 2 {
		pixels[j] = float32(j % 4 / 2) // alternately 0 and 1
	}

	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(classes)
	}
	dims := append([]int{n}, shape...)
	return tensor.New(tensor.WithShape(dims...), tensor.WithBacking(pixels)), labels
}

// targetModel has the attack loss -||x - t||^2 / 2 for a target image t
// per label, so its input gradient t - x changes sign wherever an attack
// steps past the target. Momentum then makes a visible difference.
type targetModel struct {
	shape   []int
	targets [][]float32 // one C*H*W image per class
}

func newTargetModel(seed uint64, shape []int, classes int) *targetModel {
	rng := rand.New(rand.NewPCG(seed, 3))
	m := &targetModel{shape: shape}
	for range classes {
		target := make([]float32, shape[0]*shape[1]*shape[2])
		for j := range target {
			target[j] = rng.Float32()
		}
		m.targets = append(m.targets, target)
	}
	return m
}

func (m *targetModel) InputShape() []int { return m.shape }

func (m *targetModel) Classes() int { return len(m.targets) }

// Logits returns minus the squared distance to each target.
func (m *targetModel) Logits(x *tensor.Dense) (*tensor.Dense, error) {
	pixels := x.Data().([]float32)
	n := x.Shape()[0]
	size := len(m.targets[0])
	out := make([]float32, 0, n*len(m.targets))
	for i := range n {
		for _, target := range m.targets {
			var sum float32
			for j, v := range pixels[i*size : (i+1)*size] {
				sum += (v - target[j]) * (v - target[j])
			}
			out = append(out, -sum)
		}
	}
	return tensor.New(tensor.WithShape(n, len(m.targets)), tensor.WithBacking(out)), nil
}

func (m *targetModel) InputGradient(x *tensor.Dense, labels []int) (*tensor.Dense, []float32, error) {
	pixels := x.Data().([]float32)
	size := len(m.targets[0])
	grad := make([]float32, len(pixels))
	losses := make([]float32, len(labels))
	for i, label := range labels {
		target := m.targets[label]
		for j, v := range pixels[i*size : (i+1)*size] {
			grad[i*size+j] = target[j] - v
			losses[i] -= (v - target[j]) * (v - target[j]) / 2
		}
	}
	return tensor.New(tensor.WithShape(x.Shape()...), tensor.WithBacking(grad)), losses, nil
}
