package eval

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// lookupClassifier is a models.Classifier that predicts the class stored
// for the first pixel of each image, so tests can choose every prediction.
type lookupClassifier struct {
	shape   []int
	classes int

	// classOf maps the first pixel of an image to its predicted class.
	classOf map[float32]int

	// batchSizes records the batch size of each call to Logits.
	batchSizes []int

	// nanLogits makes Logits return NaN for every image.
	nanLogits bool

	// wrongShape makes Logits return one class too few.
	wrongShape bool
}

func (c *lookupClassifier) InputShape() []int { return c.shape }

func (c *lookupClassifier) Classes() int { return c.classes }

// Logits gives logit 1 to the looked-up class and 0 to the others. It
// overwrites its input afterwards, as a careless model might, so tests can
// check that callers pass a copy.
func (c *lookupClassifier) Logits(x *tensor.Dense) (*tensor.Dense, error) {
	pixels := x.Data().([]float32)
	n := x.Shape()[0]
	size := len(pixels) / n
	c.batchSizes = append(c.batchSizes, n)

	classes := c.classes
	if c.wrongShape {
		classes--
	}
	logits := make([]float32, n*classes)
	for i := range n {
		class, ok := c.classOf[pixels[i*size]]
		if !ok {
			return nil, fmt.Errorf("no class stored for first pixel %v", pixels[i*size])
		}
		for j := range classes {
			switch {
			case c.nanLogits:
				logits[i*classes+j] = float32(math.NaN())
			case j == class:
				logits[i*classes+j] = 1
			}
		}
	}

	for i := range pixels {
		pixels[i] = -1
	}
	return tensor.New(tensor.WithShape(n, classes), tensor.WithBacking(logits)), nil
}

// memoryDataset is a datasets.Dataset over images held in memory.
type memoryDataset struct {
	shape   []int
	classes int
	images  []float32
	labels  []int
}

func (d *memoryDataset) Len() int { return len(d.labels) }

func (d *memoryDataset) Shape() []int { return d.shape }

func (d *memoryDataset) Classes() int { return d.classes }

func (d *memoryDataset) Example(i int, dst []float32) (int, error) {
	size := len(d.images) / len(d.labels)
	copy(dst, d.images[i*size:(i+1)*size])
	return d.labels[i], nil
}

// sameFloat reports whether a and b are equal or both NaN.
func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// closeTo reports whether a and b differ by at most 1e-6.
func closeTo(a, b float64) bool {
	return math.Abs(a-b) <= 1e-6
}
