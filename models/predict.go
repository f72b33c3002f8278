package models

import (
	"fmt"

	"github.com/mmatransfer/mma/datasets"
	"gorgonia.org/tensor"
)

// DefaultEvalBatchSize is the batch size of Accuracy when it is given 0.
const DefaultEvalBatchSize = 256

// Predict returns the class with the largest logit for each image of x
// (N x C x H x W, pixels in [0, 1]).
func Predict(c Classifier, x *tensor.Dense) ([]int, error) {
	logits, err := c.Logits(x)
	if err != nil {
		return nil, err
	}
	return Argmax(logits)
}

// Argmax returns the index of the largest value in each row of logits
// (N x classes); ties go to the lowest index.
func Argmax(logits *tensor.Dense) ([]int, error) {
	shape := logits.Shape()
	if len(shape) != 2 || shape[1] == 0 {
		return nil, fmt.Errorf("logits have shape %v, want N x classes", shape)
	}
	if logits.IsView() {
		logits = logits.Materialize().(*tensor.Dense)
	}
	data, ok := logits.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("logits have dtype %v, want float32", logits.Dtype())
	}

	classes := shape[1]
	predictions := make([]int, shape[0])
	for i := range predictions {
		row := data[i*classes : (i+1)*classes]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		predictions[i] = best
	}
	return predictions, nil
}

// Accuracy returns the fraction of data's images, in [0, 1], that c
// classifies correctly, reading batchSize images at a time (0 means
// DefaultEvalBatchSize).
func Accuracy(c Classifier, data datasets.Dataset, batchSize int) (float64, error) {
	if batchSize < 0 {
		return 0, fmt.Errorf("accuracy: batch size is %d, want 0 (default) or more", batchSize)
	}
	if batchSize == 0 {
		batchSize = DefaultEvalBatchSize
	}
	images := data.Len()
	if images == 0 {
		return 0, fmt.Errorf("accuracy: data set has no images")
	}

	correct := 0
	for start := 0; start < images; start += batchSize {
		indices := make([]int, min(batchSize, images-start))
		for i := range indices {
			indices[i] = start + i
		}

		x, labels, err := loadBatch(data, indices)
		if err != nil {
			return 0, fmt.Errorf("accuracy: %w", err)
		}
		predictions, err := Predict(c, x)
		if err != nil {
			return 0, fmt.Errorf("accuracy: images %d to %d: %w", start, start+len(indices), err)
		}
		for i, p := range predictions {
			if p == labels[i] {
				correct++
			}
		}
	}
	return float64(correct) / float64(images), nil
}
