package experiments

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mmatransfer/mma/attacks"
	"github.com/mmatransfer/mma/datasets"
	"github.com/mmatransfer/mma/eval"
	"github.com/mmatransfer/mma/models"
)

// Target is a model adversarial sets are evaluated on, with the name the
// tables give it.
type Target struct {
	Name  string
	Model models.Classifier

	// Dataset is the data set the target was trained on, when known (a
	// checkpoint records it); "" skips the check against the sets' data.
	Dataset string
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
// transfer table, one row per set and target. Rows of sets made by one
// attack on two surrogates of the same architecture (two seeds, say) get
// the sets' file names appended to the surrogate. It returns an error when
// a set's clean images or class count do not match opts.Data or a target.
func Evaluate(opts EvalOptions, rep Reporter) (*eval.Table, error) {
	rep = orSilent(rep)
	if err := checkTargetNames(opts.Targets); err != nil {
		return nil, err
	}
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
			if err := checkTarget(target, set, path); err != nil {
				return nil, err
			}
			row, err := measure(cache, target, set, path, clean, opts.BatchSize, rep)
			if err != nil {
				return nil, err
			}
			table.Rows = append(table.Rows, row)
		}
	}
	nameSurrogatesApart(table)
	return table, table.Validate()
}

// checkTargetNames rejects two targets of one name.
func checkTargetNames(targets []Target) error {
	seen := make(map[string]bool)
	for _, target := range targets {
		if seen[target.Name] {
			return fmt.Errorf("two targets are named %q; name them apart", target.Name)
		}
		seen[target.Name] = true
	}
	return nil
}

// checkTarget rejects a target trained on another data set than the set's
// images come from, or whose classes or input shape differ from the set's.
func checkTarget(target Target, set *eval.AdvSet, path string) error {
	if source := set.Config.Source.Dataset; target.Dataset != "" && source != "" &&
		target.Dataset != source {
		return fmt.Errorf("target %s was trained on %s, but %s contains %s images", target.Name,
			target.Dataset, path, source)
	}
	if target.Model.Classes() != set.Classes {
		return fmt.Errorf("target %s gives %d classes, but %s contains images of a data "+
			"set with %d", target.Name, target.Model.Classes(), path, set.Classes)
	}
	if !slices.Equal(target.Model.InputShape(), set.Shape) {
		return fmt.Errorf("target %s takes %v images, but %s contains %v images", target.Name,
			target.Model.InputShape(), path, set.Shape)
	}
	return nil
}

// nameSurrogatesApart adds the set's file name to the surrogate of rows
// that would otherwise repeat a surrogate, attack and target.
func nameSurrogatesApart(table *eval.Table) {
	type key struct{ surrogate, attack, target string }
	count := make(map[key]int)
	for _, row := range table.Rows {
		count[key{row.Surrogate, row.Attack, row.Target}]++
	}
	for i, row := range table.Rows {
		if count[key{row.Surrogate, row.Attack, row.Target}] > 1 {
			stem := strings.TrimSuffix(filepath.Base(row.AdvSet), filepath.Ext(row.AdvSet))
			table.Rows[i].Surrogate = fmt.Sprintf("%s [%s]", row.Surrogate, stem)
		}
	}
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
	if err := checkBudget(set, c.pixels, path, c.data); err != nil {
		return nil, err
	}
	return c.pixels, nil
}

// checkBudget rejects clean images further from the set's images than its
// attack's L-infinity budget allows: they are not the images the set was
// made from.
func checkBudget(set *eval.AdvSet, clean []float32, path string, data *Data) error {
	attack, err := attacks.Parse(set.Config.Attack)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	eps := attack.Budget()
	for i, pixel := range set.Images {
		if distance := math.Abs(float64(pixel - clean[i])); distance > float64(eps)+1e-6 {
			return fmt.Errorf("%s: image %d is %.3g away from image %d of data set %q in %s, "+
				"beyond the attack's budget eps=%g; evaluate the set on the data set it was "+
				"made from", path, i/set.ImageSize(), distance, set.Indices[i/set.ImageSize()],
				data.Name, data.Dir, eps)
		}
	}
	return nil
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
