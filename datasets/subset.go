package datasets

import "fmt"

// subset is the view of a Dataset that Subset and Head return.
type subset struct {
	parent  Dataset
	indices []int // indices into parent; nil means 0..n-1
	n       int
}

// Subset returns the examples of ds at indices, in that order: example i of
// the result is example indices[i] of ds. Indices may repeat. The result
// keeps its own copy of indices; an index outside [0, ds.Len()) makes
// Example fail for that position.
func Subset(ds Dataset, indices []int) Dataset {
	kept := make([]int, len(indices))
	copy(kept, indices)
	return &subset{parent: ds, indices: kept, n: len(kept)}
}

// Head returns the first n examples of ds. An n above ds.Len() gives all of
// ds, and an n below zero gives an empty set.
func Head(ds Dataset, n int) Dataset {
	n = max(0, min(n, ds.Len()))
	return &subset{parent: ds, n: n}
}

// Len returns the number of examples in the subset.
func (s *subset) Len() int { return s.n }

// Shape returns the image shape of the parent set.
func (s *subset) Shape() []int { return s.parent.Shape() }

// Classes returns the number of classes of the parent set.
func (s *subset) Classes() int { return s.parent.Classes() }

// Example writes example i of the subset into dst and returns its label.
func (s *subset) Example(i int, dst []float32) (int, error) {
	if i < 0 || i >= s.n {
		return 0, fmt.Errorf("example %d out of range [0, %d)", i, s.n)
	}
	if s.indices == nil {
		return s.parent.Example(i, dst)
	}

	index := s.indices[i]
	if index < 0 || index >= s.parent.Len() {
		return 0, fmt.Errorf("example %d of subset: index %d out of range [0, %d)",
			i, index, s.parent.Len())
	}
	return s.parent.Example(index, dst)
}

// LoadBatch writes the examples of ds at indices into caller-owned
// buffers: pixels receives them one after another as a
// len(indices) x C x H x W block of values in [0, 1], and labels their
// labels. pixels must have exactly len(indices)*C*H*W values and labels
// len(indices). Reusing the buffers streams a set batch by batch without
// allocating per example.
func LoadBatch(ds Dataset, indices []int, pixels []float32, labels []int) error {
	shape := ds.Shape()
	size := 1
	for _, d := range shape {
		size *= d
	}
	if len(pixels) != len(indices)*size {
		return fmt.Errorf("load batch: pixel buffer has %d values, want %d (%d images of %v)",
			len(pixels), len(indices)*size, len(indices), shape)
	}
	if len(labels) != len(indices) {
		return fmt.Errorf("load batch: label buffer has %d values, want %d",
			len(labels), len(indices))
	}

	for i, index := range indices {
		label, err := ds.Example(index, pixels[i*size:(i+1)*size])
		if err != nil {
			return fmt.Errorf("load batch: %w", err)
		}
		labels[i] = label
	}
	return nil
}
