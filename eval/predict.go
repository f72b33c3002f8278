package eval

import (
	"fmt"
	"math"
	"slices"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/datasets"
	"github.com/mmatransfer/mma/models"
)

// DefaultBatchSize is the batch size Predict and PredictDataset use when
// they are given a batch size <= 0.
const DefaultBatchSize = 64

// Progress is called after each batch with the number of images done so
// far and the total. It may be nil.
type Progress func(done, total int)

// Predict runs m over images in batches and returns the predicted class
// (the index of the largest logit, the first one on ties) of each image.
// images holds N images of the given shape C x H x W as float32 pixels in
// [0, 1], in N, C, H, W order, and shape must equal m.InputShape(). Each batch
// is copied before it is handed to m, so images is never modified. A
// batchSize <= 0 means DefaultBatchSize. It returns an error if the shapes
// disagree, if m fails, or if m gives logits of the wrong shape or NaN.
func Predict(m models.Classifier, images []float32, shape []int, batchSize int,
	progress Progress) ([]int, error) {

	if err := checkInputShape(m, shape); err != nil {
		return nil, err
	}
	imageSize := shapeSize(shape)
	if len(images)%imageSize != 0 {
		return nil, fmt.Errorf("predict: %d pixels is not a whole number of %v images",
			len(images), shape)
	}
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}

	total := len(images) / imageSize
	predictions := make([]int, 0, total)
	for start := 0; start < total; start += batchSize {
		end := min(start+batchSize, total)
		batch := slices.Clone(images[start*imageSize : end*imageSize])

		classes, err := predictBatch(m, batch, shape, end-start)
		if err != nil {
			return nil, fmt.Errorf("predict images %d to %d: %w", start, end-1, err)
		}
		predictions = append(predictions, classes...)

		if progress != nil {
			progress(end, total)
		}
	}
	return predictions, nil
}

// PredictDataset runs m over the examples of ds at the given indices (all
// examples in order when indices is nil) and returns the predictions and
// the true labels, in the order of indices. Batching, batchSize and
// progress are as for Predict.
func PredictDataset(m models.Classifier, ds datasets.Dataset, indices []int, batchSize int,
	progress Progress) (predictions, labels []int, err error) {

	if err := checkInputShape(m, ds.Shape()); err != nil {
		return nil, nil, err
	}
	if indices == nil {
		indices = allIndices(ds.Len())
	}
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}

	total := len(indices)
	predictions = make([]int, 0, total)
	labels = make([]int, 0, total)
	for start := 0; start < total; start += batchSize {
		end := min(start+batchSize, total)

		batch, batchLabels, err := LoadExamples(ds, indices[start:end])
		if err != nil {
			return nil, nil, err
		}
		classes, err := predictBatch(m, batch, ds.Shape(), end-start)
		if err != nil {
			return nil, nil, fmt.Errorf("predict examples %d to %d: %w", start, end-1, err)
		}
		predictions = append(predictions, classes...)
		labels = append(labels, batchLabels...)

		if progress != nil {
			progress(end, total)
		}
	}
	return predictions, labels, nil
}

// LoadExamples reads the examples of ds at the given indices into one
// slice of len(indices) images in N, C, H, W order and returns it with
// their labels. For the clean images of an adversarial set, use
// LoadCleanImages, which also checks them against the set.
func LoadExamples(ds datasets.Dataset, indices []int) (images []float32, labels []int, err error) {
	imageSize := shapeSize(ds.Shape())
	images = make([]float32, len(indices)*imageSize)
	labels = make([]int, len(indices))

	for i, index := range indices {
		if index < 0 || index >= ds.Len() {
			return nil, nil, fmt.Errorf("load example %d: index outside the data set of %d",
				index, ds.Len())
		}
		label, err := ds.Example(index, images[i*imageSize:(i+1)*imageSize])
		if err != nil {
			return nil, nil, fmt.Errorf("load example %d: %w", index, err)
		}
		labels[i] = label
	}
	return images, labels, nil
}

// LoadCleanImages reads the clean images an adversarial set was made from,
// the examples of ds at set.Indices, in the set's order. It returns an
// error if ds differs from the set's source in shape, class count or the
// label of any image. A wrong data set or split therefore goes unnoticed
// only if its labels match at every index.
func LoadCleanImages(ds datasets.Dataset, set *AdvSet) ([]float32, error) {
	source := set.Config.Source
	if !slices.Equal(ds.Shape(), set.Shape) || ds.Classes() != set.Classes {
		return nil, fmt.Errorf("clean images of %s %s: data set has shape %v and %d classes, "+
			"the adversarial set %v and %d", source.Dataset, source.Split,
			ds.Shape(), ds.Classes(), set.Shape, set.Classes)
	}

	images, labels, err := LoadExamples(ds, set.Indices)
	if err != nil {
		return nil, fmt.Errorf("clean images of %s %s: %w", source.Dataset, source.Split, err)
	}
	for i, label := range labels {
		if label != set.Labels[i] {
			return nil, fmt.Errorf("clean images of %s %s: example %d has label %d, "+
				"the adversarial set stores %d for it; is this the right data set and split?",
				source.Dataset, source.Split, set.Indices[i], label, set.Labels[i])
		}
	}
	return images, nil
}

func allIndices(n int) []int {
	indices := make([]int, n)
	for i := range indices {
		indices[i] = i
	}
	return indices
}

func checkInputShape(m models.Classifier, shape []int) error {
	if err := checkImageShape(shape); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	if want := m.InputShape(); !slices.Equal(shape, want) {
		return fmt.Errorf("predict: images have shape %v, the model expects %v", shape, want)
	}
	return nil
}

// predictBatch runs m on n images held in batch and returns the argmax of
// each row of the logits.
func predictBatch(m models.Classifier, batch []float32, shape []int, n int) ([]int, error) {
	x := tensor.New(
		tensor.WithShape(n, shape[0], shape[1], shape[2]),
		tensor.WithBacking(batch),
	)
	logits, err := m.Logits(x)
	if err != nil {
		return nil, err
	}

	classes := m.Classes()
	if got := logits.Shape(); len(got) != 2 || got[0] != n || got[1] != classes {
		return nil, fmt.Errorf("logits have shape %v, want %d x %d", got, n, classes)
	}
	if logits.IsView() {
		dense, ok := logits.Materialize().(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("logits view did not materialize to a dense tensor")
		}
		logits = dense
	}
	values, ok := logits.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("logits are %v, want float32", logits.Dtype())
	}

	predictions := make([]int, n)
	for i := range n {
		best, err := argmax(values[i*classes : (i+1)*classes])
		if err != nil {
			return nil, fmt.Errorf("logits of image %d: %w", i, err)
		}
		predictions[i] = best
	}
	return predictions, nil
}

// argmax returns the index of the largest value, the first one on ties.
func argmax(values []float32) (int, error) {
	best := 0
	for j, v := range values {
		if math.IsNaN(float64(v)) {
			return 0, fmt.Errorf("logit %d is NaN", j)
		}
		if v > values[best] {
			best = j
		}
	}
	return best, nil
}
