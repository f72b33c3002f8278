package eval

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/mmatransfer/mma/models"
)

// Row is the result of one adversarial set (one surrogate and one attack)
// against one target model. Rates are fractions in [0, 1] and norms are in
// pixel units. A rate is NaN when its denominator is zero (see Rates).
// Its CSV columns and JSON keys are the field names in snake case
// (clean_accuracy, mean_linf, adv_set).
type Row struct {
	// Surrogate is the architecture string of the model the attack ran on.
	Surrogate string

	// Attack is the attack string, such as "pgd:eps=0.3,alpha=0.03,steps=10".
	Attack string

	// Target is the name of the model the adversarial images were fed to.
	Target string

	// Images is the number of images N the row was measured on.
	Images int

	// CleanAccuracy is the target's accuracy on the clean images.
	CleanAccuracy float64

	// SuccessAll is the success rate over all images (see Rates).
	SuccessAll float64

	// SuccessCorrect is the success rate over the images the target
	// classified correctly before the attack (see Rates).
	SuccessCorrect float64

	// FoolingRate is the fraction of images whose prediction changed.
	FoolingRate float64

	// MeanL2 is the mean L2 norm of the perturbations (see Norms).
	MeanL2 float64

	// MeanLinf is the mean L-infinity norm of the perturbations.
	MeanLinf float64

	// Seed is the random seed the attack ran with.
	Seed int64

	// Config is the JSON of the AdvConfig that made the adversarial set,
	// enough to rerun the attack.
	Config string

	// AdvSet is the path of the adversarial set file the row came from.
	AdvSet string

	// Note is free text, such as "re-measured after rounding to 8 bits".
	Note string
}

// Setting returns the row's surrogate and attack.
func (r Row) Setting() Setting {
	return Setting{Surrogate: r.Surrogate, Attack: r.Attack}
}

// Setting is a surrogate and attack pair: one adversarial set, one row of
// a Markdown table, one bar of each group in a bar chart.
type Setting struct {
	Surrogate string
	Attack    string
}

// String returns "surrogate / attack".
func (s Setting) String() string {
	return s.Surrogate + " / " + s.Attack
}

// Table is a transfer table: one Row per surrogate, attack and target.
// Rows keep the order they were added in, and the Markdown and plot
// writers list settings and targets in order of first appearance.
type Table struct {
	Rows []Row
}

// Validate checks that every row names a surrogate, an attack and a
// target, that no surrogate, attack and target appears twice, and that
// image counts are not negative.
func (t *Table) Validate() error {
	type key struct{ surrogate, attack, target string }
	seen := make(map[key]int)

	for i, r := range t.Rows {
		if r.Surrogate == "" || r.Attack == "" || r.Target == "" {
			return fmt.Errorf("table row %d: surrogate %q, attack %q, target %q: all must be set",
				i, r.Surrogate, r.Attack, r.Target)
		}
		if r.Images < 0 {
			return fmt.Errorf("table row %d: images is %d, want >= 0", i, r.Images)
		}
		k := key{r.Surrogate, r.Attack, r.Target}
		if first, ok := seen[k]; ok {
			return fmt.Errorf("table rows %d and %d: duplicate surrogate %q, attack %q, target %q",
				first, i, r.Surrogate, r.Attack, r.Target)
		}
		seen[k] = i
	}
	return nil
}

// Settings returns the distinct surrogate and attack pairs in order of
// first appearance.
func (t *Table) Settings() []Setting {
	var settings []Setting
	seen := make(map[Setting]bool)
	for _, r := range t.Rows {
		if s := r.Setting(); !seen[s] {
			seen[s] = true
			settings = append(settings, s)
		}
	}
	return settings
}

// Targets returns the distinct target names in order of first appearance.
func (t *Table) Targets() []string {
	var targets []string
	seen := make(map[string]bool)
	for _, r := range t.Rows {
		if !seen[r.Target] {
			seen[r.Target] = true
			targets = append(targets, r.Target)
		}
	}
	return targets
}

// Find returns the first row for setting and target, and whether there is
// one.
func (t *Table) Find(setting Setting, target string) (Row, bool) {
	for _, r := range t.Rows {
		if r.Setting() == setting && r.Target == target {
			return r, true
		}
	}
	return Row{}, false
}

// NewRow builds the row of set against one target from stored results.
// setPath is the file the set was loaded from. clean holds the clean
// images the set was made from (see LoadExamples with set.Indices), in
// the set's order. cleanPredictions and advPredictions are the target's
// predictions on the clean and on the adversarial images.
func NewRow(set *AdvSet, setPath, target string, clean []float32,
	cleanPredictions, advPredictions []int) (Row, error) {

	rates, err := ComputeRates(set.Labels, cleanPredictions, advPredictions)
	if err != nil {
		return Row{}, fmt.Errorf("row for %s on %s: %w", setPath, target, err)
	}
	norms, err := PerturbationNorms(clean, set.Images, set.ImageSize())
	if err != nil {
		return Row{}, fmt.Errorf("row for %s on %s: %w", setPath, target, err)
	}
	config, err := json.Marshal(set.Config)
	if err != nil {
		return Row{}, fmt.Errorf("row for %s on %s: encode config: %w", setPath, target, err)
	}

	return Row{
		Surrogate:      set.Config.Surrogate.Arch,
		Attack:         set.Config.Attack,
		Target:         target,
		Images:         rates.Images,
		CleanAccuracy:  rates.CleanAccuracy,
		SuccessAll:     rates.SuccessAll,
		SuccessCorrect: rates.SuccessCorrect,
		FoolingRate:    rates.FoolingRate,
		MeanL2:         norms.MeanL2,
		MeanLinf:       norms.MeanLinf,
		Seed:           set.Config.Seed,
		Config:         string(config),
		AdvSet:         setPath,
	}, nil
}

// MeasureTransfer runs target over the clean images and over the
// adversarial images of set, and returns their row as NewRow builds it.
// batchSize and progress are as for Predict, but progress counts the
// clean and the adversarial images together, 2N in all.
func MeasureTransfer(target models.Classifier, targetName string, set *AdvSet, setPath string,
	clean []float32, batchSize int, progress Progress) (Row, error) {

	n := set.Len()
	var cleanProgress, advProgress Progress
	if progress != nil {
		cleanProgress = func(done, _ int) { progress(done, 2*n) }
		advProgress = func(done, _ int) { progress(n+done, 2*n) }
	}

	cleanPredictions, err := Predict(target, clean, set.Shape, batchSize, cleanProgress)
	if err != nil {
		return Row{}, fmt.Errorf("measure %s on %s: clean images: %w", setPath, targetName, err)
	}
	advPredictions, err := Predict(target, set.Images, set.Shape, batchSize, advProgress)
	if err != nil {
		return Row{}, fmt.Errorf("measure %s on %s: adversarial images: %w",
			setPath, targetName, err)
	}
	return NewRow(set, setPath, targetName, clean, cleanPredictions, advPredictions)
}

// settingNorms returns the image-weighted mean of MeanL2 and MeanLinf
// over the rows of setting. Every target of a setting is normally
// measured on the same adversarial set, so the rows agree and this is
// their common value. Rows with NaN norms or no images are skipped, and
// the result is NaN when no row is left.
func (t *Table) settingNorms(setting Setting) Norms {
	var sumL2, sumLinf float64
	var images int
	for _, r := range t.Rows {
		if r.Setting() != setting || r.Images == 0 {
			continue
		}
		if math.IsNaN(r.MeanL2) || math.IsNaN(r.MeanLinf) {
			continue
		}
		sumL2 += r.MeanL2 * float64(r.Images)
		sumLinf += r.MeanLinf * float64(r.Images)
		images += r.Images
	}
	if images == 0 {
		return Norms{MeanL2: math.NaN(), MeanLinf: math.NaN()}
	}
	return Norms{MeanL2: sumL2 / float64(images), MeanLinf: sumLinf / float64(images)}
}
