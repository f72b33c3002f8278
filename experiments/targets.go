package experiments

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mmatransfer/mma/eval"
	"github.com/mmatransfer/mma/models"
	"github.com/mmatransfer/mma/models/onnx"
)

// MNIST8 is the name of the ONNX Model Zoo MNIST network that ships with
// the toolkit, usable as a target without any file.
const MNIST8 = "mnist-8"

// OpenTarget opens the model that ref names, as LoadTarget does, with the
// data set it was trained on when that is known.
func OpenTarget(ref string) (Target, error) {
	model, name, err := LoadTarget(ref)
	if err != nil {
		return Target{}, err
	}
	target := Target{Name: name, Model: model}
	switch {
	case ref == MNIST8:
		target.Dataset = "mnist"
	case strings.HasSuffix(ref, CheckpointExt):
		checkpoint, err := models.LoadCheckpoint(ref)
		if err != nil {
			return Target{}, err
		}
		target.Dataset = checkpoint.Meta.Dataset
	}
	return target, nil
}

// LoadTarget opens the model that ref names: MNIST8, an ONNX file (.onnx)
// or a checkpoint the toolkit trained (.ckpt). It returns the model and a
// short name for tables.
func LoadTarget(ref string) (models.Classifier, string, error) {
	switch {
	case ref == MNIST8:
		model, err := onnx.MNIST8()
		return model, MNIST8, err
	case strings.HasSuffix(ref, ".onnx"):
		model, err := onnx.Load(ref)
		return model, targetName(ref), err
	case strings.HasSuffix(ref, CheckpointExt):
		surrogate, err := LoadSurrogate(ref)
		if err != nil {
			return nil, "", err
		}
		return surrogate.Model, surrogate.Arch, nil
	default:
		return nil, "", fmt.Errorf("model %q: want %s, a .onnx file or a %s checkpoint",
			ref, MNIST8, CheckpointExt)
	}
}

// targetName returns a file's base name without its extension.
func targetName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// LoadSurrogateModel opens a model to attack, named as LoadTarget names
// targets, and returns it with the reference stored in adversarial sets.
// The model must be differentiable. When data is not nil, a checkpoint
// trained on another data set than data is rejected.
func LoadSurrogateModel(ref string, data *Data) (models.Differentiable, eval.ModelRef, error) {
	if strings.HasSuffix(ref, CheckpointExt) {
		surrogate, err := LoadSurrogate(ref)
		if err != nil {
			return nil, eval.ModelRef{}, err
		}
		// TODO: this compares data set names only. Checkpoints record no
		// fingerprint of the files, so other files read under the same name
		// with --data-dir pass, and ONNX models carry no data set at all.
		trainedOn := surrogate.Meta.Dataset
		if data != nil && trainedOn != "" && trainedOn != data.Name {
			return nil, eval.ModelRef{}, fmt.Errorf("model %s was trained on %s, not on %s; "+
				"pass --dataset %s", ref, trainedOn, data.Name, trainedOn)
		}
		modelRef, err := surrogate.Ref()
		return surrogate.Model, modelRef, err
	}

	model, name, err := LoadTarget(ref)
	if err != nil {
		return nil, eval.ModelRef{}, err
	}
	differentiable, ok := model.(models.Differentiable)
	if !ok {
		return nil, eval.ModelRef{}, fmt.Errorf("model %s gives no input gradient, so it "+
			"cannot be attacked; use it as a target", ref)
	}
	modelRef := eval.ModelRef{Arch: name}
	if ref != MNIST8 {
		modelRef.Checkpoint = ref
		if modelRef.CheckpointSHA256, err = eval.HashFile(ref); err != nil {
			return nil, eval.ModelRef{}, err
		}
	}
	return differentiable, modelRef, nil
}
