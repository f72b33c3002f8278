// Package experiments runs the toolkit's experiments from a config. A
// preset trains surrogates, crafts attacks and evaluates their transfer in
// one command. Every result can be traced to the config and seed that made
// it, and an interrupted run resumes where it stopped.
package experiments

import (
	"fmt"
	"sort"
	"strings"
)

// Preset is the full config of a reproduce run. Every field is written to
// the run's run.json, so a table can be traced to what made it.
type Preset struct {
	// Name identifies the preset, such as "mnist".
	Name string `json:"name"`

	// Dataset is the data set the surrogates train on and the attacks
	// draw images from: "mnist" (MNIST-format IDX files).
	Dataset string `json:"dataset"`

	// TrainImages is how many training images the surrogates train on,
	// from the start of the training split; 0 means all of them.
	TrainImages int `json:"train_images"`

	// Epochs, BatchSize, Optimizer and LearningRate configure training,
	// the same for every surrogate so that the comparison is fair.
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch_size"`
	Optimizer    string  `json:"optimizer"`
	LearningRate float64 `json:"learning_rate"`

	// AttackImages is how many test images are attacked, from the start
	// of the test split.
	AttackImages int `json:"attack_images"`

	// AccuracyImages is how many test images the clean accuracy of every
	// model is measured on, from the start of the test split; 0 means all.
	AccuracyImages int `json:"accuracy_images"`

	// Surrogates are the architectures trained and attacked, such as
	// "smallcnn" and "smallcnn/mma:k=4".
	Surrogates []string `json:"surrogates"`

	// Attacks are the attack strings run on every surrogate, such as
	// "pgd:eps=0.3,steps=10,seed=1".
	Attacks []string `json:"attacks"`

	// Targets are the black-box targets every adversarial set is
	// evaluated on in addition to the surrogates themselves: "mnist-8"
	// is the ONNX Model Zoo MNIST network shipped with the toolkit.
	Targets []string `json:"targets"`

	// Seed seeds every random choice of the run: weights, shuffling and
	// random starts.
	Seed int64 `json:"seed"`
}

// mnistAttacks are the attacks of the MNIST presets: an L-infinity budget of
// 0.3 and 10 iterations of step 0.03, the field's common choices for
// MNIST-like digits.
var mnistAttacks = []string{
	"fgsm:eps=0.3",
	"pgd:eps=0.3,alpha=0.03,steps=10,seed=1",
	"mifgsm:eps=0.3,alpha=0.03,steps=10,decay=1",
}

var presets = map[string]Preset{
	"mnist": {
		Name:         "mnist",
		Dataset:      "mnist",
		Epochs:       3,
		BatchSize:    64,
		Optimizer:    "adam",
		LearningRate: 0.001,
		AttackImages: 1000,
		Surrogates:   []string{"smallcnn", "smallcnn/mma:k=4"},
		Attacks:      mnistAttacks,
		Targets:      []string{"mnist-8"},
		Seed:         1,
	},
	"mnist-quick": {
		Name:           "mnist-quick",
		Dataset:        "mnist",
		TrainImages:    20000,
		Epochs:         1,
		BatchSize:      64,
		Optimizer:      "adam",
		LearningRate:   0.001,
		AttackImages:   500,
		AccuracyImages: 2000,
		Surrogates:     []string{"smallcnn", "smallcnn/mma:k=4"},
		Attacks:        mnistAttacks,
		Targets:        []string{"mnist-8"},
		Seed:           1,
	},
}

// PresetNames returns the names of the built-in presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for name := range presets {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// LookupPreset returns the built-in preset called name.
func LookupPreset(name string) (Preset, error) {
	preset, ok := presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("unknown preset %q, want one of %s",
			name, strings.Join(PresetNames(), ", "))
	}
	preset.Surrogates = append([]string(nil), preset.Surrogates...)
	preset.Attacks = append([]string(nil), preset.Attacks...)
	preset.Targets = append([]string(nil), preset.Targets...)
	return preset, nil
}
