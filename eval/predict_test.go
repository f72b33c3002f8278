package eval

import (
	"slices"
	"strings"
	"testing"
)

// fiveImages returns five 1 x 1 x 2 images whose first pixels are 0.0 to
// 0.4, and a classifier that predicts 2, 0, 1, 1, 2 for them.
func fiveImages() ([]float32, *lookupClassifier) {
	images := []float32{0.0, 0.9, 0.1, 0.9, 0.2, 0.9, 0.3, 0.9, 0.4, 0.9}
	classifier := &lookupClassifier{
		shape:   []int{1, 1, 2},
		classes: 3,
		classOf: map[float32]int{0.0: 2, 0.1: 0, 0.2: 1, 0.3: 1, 0.4: 2},
	}
	return images, classifier
}

func TestPredictBatches(t *testing.T) {
	images, classifier := fiveImages()
	original := slices.Clone(images)
	var calls [][2]int

	predictions, err := Predict(classifier, images, []int{1, 1, 2}, 2,
		func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}

	if want := []int{2, 0, 1, 1, 2}; !slices.Equal(predictions, want) {
		t.Errorf("predictions = %v, want %v", predictions, want)
	}
	if want := []int{2, 2, 1}; !slices.Equal(classifier.batchSizes, want) {
		t.Errorf("batch sizes = %v, want %v", classifier.batchSizes, want)
	}
	if want := [][2]int{{2, 5}, {4, 5}, {5, 5}}; !slices.Equal(calls, want) {
		t.Errorf("progress calls = %v, want %v", calls, want)
	}
	if !slices.Equal(images, original) {
		t.Errorf("images changed to %v, want them left as %v", images, original)
	}
}

func TestPredictDefaultBatchSize(t *testing.T) {
	images, classifier := fiveImages()

	if _, err := Predict(classifier, images, []int{1, 1, 2}, 0, nil); err != nil {
		t.Fatal(err)
	}

	if want := []int{5}; !slices.Equal(classifier.batchSizes, want) {
		t.Errorf("batch sizes = %v, want %v", classifier.batchSizes, want)
	}
}

func TestPredictTiesPickFirstClass(t *testing.T) {
	got, err := argmax([]float32{1, 3, 3, 2})
	if err != nil {
		t.Fatal(err)
	}
	if got != 1 {
		t.Errorf("argmax = %d, want 1", got)
	}
}

func TestPredictRejectsBadInput(t *testing.T) {
	images, classifier := fiveImages()

	if _, err := Predict(classifier, images, []int{1, 2, 1}, 2, nil); err == nil {
		t.Error("shape other than the model's: no error")
	}
	if _, err := Predict(classifier, images[:9], []int{1, 1, 2}, 2, nil); err == nil {
		t.Error("partial image: no error")
	}
}

func TestPredictRejectsBadLogits(t *testing.T) {
	images, classifier := fiveImages()
	classifier.nanLogits = true

	_, err := Predict(classifier, images, []int{1, 1, 2}, 2, nil)
	if err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN logits: error %v, want one naming NaN", err)
	}

	images, classifier = fiveImages()
	classifier.wrongShape = true
	_, err = Predict(classifier, images, []int{1, 1, 2}, 2, nil)
	if err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("logits of the wrong shape: error %v, want one naming the shape", err)
	}
}

func TestPredictDatasetIndices(t *testing.T) {
	images, classifier := fiveImages()
	ds := &memoryDataset{shape: []int{1, 1, 2}, classes: 3, images: images,
		labels: []int{2, 1, 1, 0, 2}}

	predictions, labels, err := PredictDataset(classifier, ds, []int{4, 0, 1}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}

	if want := []int{2, 2, 0}; !slices.Equal(predictions, want) {
		t.Errorf("predictions = %v, want %v", predictions, want)
	}
	if want := []int{2, 2, 1}; !slices.Equal(labels, want) {
		t.Errorf("labels = %v, want %v", labels, want)
	}
}

func TestPredictDatasetAll(t *testing.T) {
	images, classifier := fiveImages()
	ds := &memoryDataset{shape: []int{1, 1, 2}, classes: 3, images: images,
		labels: []int{2, 1, 1, 0, 2}}
	var last [2]int

	predictions, labels, err := PredictDataset(classifier, ds, nil, 3,
		func(done, total int) { last = [2]int{done, total} })
	if err != nil {
		t.Fatal(err)
	}

	accuracy, err := Accuracy(labels, predictions)
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(accuracy, 3.0/5) {
		t.Errorf("clean accuracy = %v, want 0.6", accuracy)
	}
	if last != [2]int{5, 5} {
		t.Errorf("last progress call = %v, want [5 5]", last)
	}
}

func TestLoadExamplesRejectsIndex(t *testing.T) {
	images, _ := fiveImages()
	ds := &memoryDataset{shape: []int{1, 1, 2}, classes: 3, images: images,
		labels: []int{2, 1, 1, 0, 2}}

	if _, _, err := LoadExamples(ds, []int{0, 5}); err == nil {
		t.Error("index past the end: no error")
	}
	if _, _, err := LoadExamples(ds, []int{-1}); err == nil {
		t.Error("negative index: no error")
	}
}

func TestLoadCleanImagesChecksSource(t *testing.T) {
	set := testSet()
	ds := &memoryDataset{shape: []int{1, 2, 2}, classes: 10, images: make([]float32, 8*4),
		labels: []int{0, 3, 5, 5, 5, 5, 5, 9}}
	ds.images[7*4] = 0.7 // first pixel of example 7
	set.Indices = []int{7, 0, 1}

	images, err := LoadCleanImages(ds, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 12 {
		t.Fatalf("%d pixels, want 12", len(images))
	}
	if images[0] != 0.7 {
		t.Errorf("first pixel %v, want 0.7 from example 7", images[0])
	}

	set.Labels[2] = 4
	if _, err := LoadCleanImages(ds, set); err == nil {
		t.Error("label differing from the data set: no error")
	}

	set = testSet()
	set.Indices = []int{7, 0, 1}
	ds.classes = 5
	if _, err := LoadCleanImages(ds, set); err == nil {
		t.Error("class count differing from the data set: no error")
	}
}
