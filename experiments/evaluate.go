package experiments

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/mmatransfer/mma/datasets"
	"github.com/mmatransfer/mma/eval"
	"github.com/mmatransfer/mma/models"
)

// Target is a model adversarial sets are evaluated on, with the name the
// tables give it.
type Target struct {
	Name  string
	Model models.Classifier
}

// EvalOptions selects what Evaluate measures.
type EvalOptions struct {
	// Sets are the paths of the adversarial set files.
	Sets []string

	// Targets are the models every set is evaluated on.
	Targets []Target

	// Data is the data set the sets' clean images come from.
	Data *Data

	// BatchSize is the number of images a target classifies at once; 0
	// means eval.DefaultBatchSize.
	BatchSize int
}

// Evaluate measures every adversarial set on every target and returns the
// transfer table, one row per set and target.
func Evaluate(opts EvalOptions, rep Reporter) (*eval.Table, error) {
	rep = orSilent(rep)
	cache := newCleanCache(opts)
	table := &eval.Table{}
	for _, path := range opts.Sets {
		set, err := eval.LoadAdvSet(path)
		if err != nil {
			return nil, err
		}
		clean, err := cache.images(set, path)
		if err != nil {
			return nil, err
		}
		for _, target := range opts.Targets {
			row, err := measure(cache, target, set, path, clean, opts.BatchSize, rep)
			if err != nil {
				return nil, err
			}
			table.Rows = append(table.Rows, row)
		}
	}
	return table, nil
}

// measure returns the row of one set on one target.
func measure(cache *cleanCache, target Target, set *eval.AdvSet, path string,
	clean []float32, batchSize int, rep Reporter) (eval.Row, error) {

	cleanPredictions, err := cache.predictions(target, set, clean, batchSize, rep)
	if err != nil {
		return eval.Row{}, err
	}

	label := fmt.Sprintf("%s on %s", filepath.Base(path), target.Name)
	progress := rep.Progress(label, set.Len(), "images")
	advPredictions, err := eval.Predict(target.Model, set.Images, set.Shape, batchSize,
		counter(progress))
	progress.Done()
	if err != nil {
		return eval.Row{}, fmt.Errorf("evaluate %s on %s: %w", path, target.Name, err)
	}
	return eval.NewRow(set, path, target.Name, clean, cleanPredictions, advPredictions)
}

// cleanCache keeps the clean images of the sets and every target's
// predictions on them, so that sets made from the same images share them.
type cleanCache struct {
	data     *Data
	indices  []int
	pixels   []float32
	labels   []int
	byTarget map[string][]int
}

func newCleanCache(opts EvalOptions) *cleanCache {
	return &cleanCache{data: opts.Data, byTarget: make(map[string][]int)}
}

// images returns the clean images set was made from, in its order, and
// checks that their labels agree with the set's.
func (c *cleanCache) images(set *eval.AdvSet, path string) ([]float32, error) {
	if !slices.Equal(c.indices, set.Indices) {
		split, err := c.split(set, path)
		if err != nil {
			return nil, err
		}
		pixels, labels, err := eval.LoadExamples(split, set.Indices)
		if err != nil {
			return nil, fmt.Errorf("clean images of %s: %w", path, err)
		}
		c.indices, c.pixels, c.labels = slices.Clone(set.Indices), pixels, labels
		clear(c.byTarget)
	}
	if !slices.Equal(c.labels, set.Labels) {
		return nil, fmt.Errorf("%s: labels differ from those of data set %q in %s; "+
			"evaluate the set on the data set it was made from", path, c.data.Name, c.data.Dir)
	}
	return c.pixels, nil
}

// split returns the split of the data set set's images came from.
func (c *cleanCache) split(set *eval.AdvSet, path string) (datasets.Dataset, error) {
	switch set.Config.Source.Split {
	case "test":
		return c.data.Test, nil
	case "train":
		return c.data.Train, nil
	default:
		return nil, fmt.Errorf("%s: source split %q, want test or train",
			path, set.Config.Source.Split)
	}
}

// predictions returns target's predictions on the cached clean images.
func (c *cleanCache) predictions(target Target, set *eval.AdvSet, clean []float32,
	batchSize int, rep Reporter) ([]int, error) {

	if predictions, ok := c.byTarget[target.Name]; ok {
		return predictions, nil
	}
	progress := rep.Progress("clean images on "+target.Name, set.Len(), "images")
	predictions, err := eval.Predict(target.Model, clean, set.Shape, batchSize,
		counter(progress))
	progress.Done()
	if err != nil {
		return nil, fmt.Errorf("clean images on %s: %w", target.Name, err)
	}
	c.byTarget[target.Name] = predictions
	return predictions, nil
}
