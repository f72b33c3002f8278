package models

import (
	"fmt"
	"math/rand"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// memDataset is an in-memory Dataset for tests.
type memDataset struct {
	shape   []int
	classes int
	images  [][]float32
	labels  []int
}

func (d *memDataset) Len() int     { return len(d.images) }
func (d *memDataset) Shape() []int { return d.shape }
func (d *memDataset) Classes() int { return d.classes }
func (d *memDataset) Example(i int, dst []float32) (int, error) {
	if i < 0 || i >= len(d.images) {
		return 0, fmt.Errorf("example %d out of range", i)
	}
	copy(dst, d.images[i])
	return d.labels[i], nil
}

// separableDataset returns n images of shape whose class is marked by a
// bright square in one of the image's corners, plus noise.
func separableDataset(n int, shape []int, seed int64) *memDataset {
	rng := rand.New(rand.NewSource(seed))
	d := &memDataset{shape: shape, classes: 4}
	c, h, w := shape[0], shape[1], shape[2]
	for i := range n {
		label := i % d.classes
		img := make([]float32, c*h*w)
		for j := range img {
			img[j] = 0.2 * rng.Float32()
		}
		rowStart := (label / 2) * h / 2
		colStart := (label % 2) * w / 2
		for ch := range c {
			for y := rowStart; y < rowStart+h/2; y++ {
				for x := colStart; x < colStart+w/2; x++ {
					img[(ch*h+y)*w+x] += 0.8
				}
			}
		}
		d.images = append(d.images, img)
		d.labels = append(d.labels, label)
	}
	return d
}

func randomImages(rng *rand.Rand, shape ...int) *tensor.Dense {
	data := make([]float32, product(shape))
	for i := range data {
		data[i] = rng.Float32()
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// imageSlice returns a copy of images [from, to) of x.
func imageSlice(x *tensor.Dense, from, to int) *tensor.Dense {
	shape := x.Shape().Clone()
	size := product(shape[1:])
	data := append([]float32(nil), x.Data().([]float32)[from*size:to*size]...)
	shape[0] = to - from
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

func tinyCNNSpec() Spec {
	return Spec{
		Name:    "tinycnn",
		Input:   []int{2, 6, 6},
		Classes: 3,
		Stages: []Stage{{Layers: []Layer{
			{Kind: Conv, Out: 4, Kernel: 3, Pad: 1},
			{Kind: ReLU},
			{Kind: MaxPool, Kernel: 2},
		}}, {Layers: []Layer{
			{Kind: Conv, Out: 3, Kernel: 3, Stride: 2},
			{Kind: ReLU},
		}}},
		Head: []Layer{{Kind: Flatten}, {Kind: Linear, Out: 3}},
	}
}

func mustModel(t testing.TB, spec Spec, seed int64) *Model {
	t.Helper()
	m, err := NewModelFromSpec(spec, seed)
	if err != nil {
		t.Fatalf("NewModelFromSpec(%s): %v", spec.Name, err)
	}
	return m
}

func closeEnough(got, want, absTol, relTol float64) bool {
	diff := got - want
	if diff < 0 {
		diff = -diff
	}
	scale := want
	if scale < 0 {
		scale = -scale
	}
	return diff <= absTol+relTol*scale
}

// constantNet gives fixed logits plus zero times its input, so the input
// stays part of the graph.
type constantNet struct {
	logits []float32
}

func (n constantNet) Params() []*Param { return nil }

func (n constantNet) Forward(x *gorgonia.Node, mode Mode) (Outputs, error) {
	batch := x.Shape()[0]
	classes := len(n.logits) / batch
	value := tensor.New(tensor.WithShape(batch, classes), tensor.WithBacking(n.logits))
	constant := x.Graph().Constant(value)

	flat, err := gorgonia.Reshape(x, tensor.Shape{batch, product(x.Shape()[1:])})
	if err != nil {
		return Outputs{}, err
	}
	zero := x.Graph().Constant(gorgonia.NewF32(0))
	scaled, err := gorgonia.Mul(flat, zero)
	if err != nil {
		return Outputs{}, err
	}
	logits, err := gorgonia.BroadcastAdd(constant, gorgonia.Must(gorgonia.Sum(scaled, 1)),
		nil, []byte{1})
	return Outputs{Logits: logits}, err
}
