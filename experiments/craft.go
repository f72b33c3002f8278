package experiments

import (
	"fmt"
	"strconv"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/attacks"
	"github.com/mmatransfer/mma/datasets"
	"github.com/mmatransfer/mma/eval"
	"github.com/mmatransfer/mma/models"
)

// DefaultAttackBatch is the number of images attacked at once when a batch
// size of 0 is given. An image's result depends on its batch only through
// PGD's random start, so the batch size is stored with every set.
const DefaultAttackBatch = 100

// CraftOptions selects what Craft attacks.
type CraftOptions struct {
	// Surrogate is the model attacked and Ref identifies it in the set.
	Surrogate models.Differentiable
	Ref       eval.ModelRef

	// Attack is the attack run on every image.
	Attack attacks.Attack

	// Data is the data set the images come from, and Source names it.
	Data   datasets.Dataset
	Source eval.ImageSource

	// Indices are the images of Data to attack, in order.
	Indices []int

	// BatchSize is the number of images attacked at once; 0 means
	// DefaultAttackBatch.
	BatchSize int
}

// Craft runs the attack on every selected image and returns the
// adversarial set with its config.
func Craft(opts CraftOptions, rep Reporter) (*eval.AdvSet, error) {
	rep = orSilent(rep)
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultAttackBatch
	}
	shape := opts.Data.Shape()
	imageSize := shape[0] * shape[1] * shape[2]

	set := &eval.AdvSet{
		Config: eval.AdvConfig{
			Surrogate: opts.Ref,
			Attack:    opts.Attack.String(),
			Seed:      attackSeed(opts.Attack),
			Source:    opts.Source,
			Extra:     map[string]string{"batch_size": strconv.Itoa(opts.BatchSize)},
		},
		Shape:   shape,
		Classes: opts.Data.Classes(),
		Indices: append([]int(nil), opts.Indices...),
		Labels:  make([]int, len(opts.Indices)),
		Images:  make([]float32, len(opts.Indices)*imageSize),
	}

	label := fmt.Sprintf("%s on %s", opts.Attack.Name(), opts.Ref.Arch)
	progress := rep.Progress(label, len(opts.Indices), "images")
	defer progress.Done()

	for start := 0; start < len(opts.Indices); start += opts.BatchSize {
		end := min(start+opts.BatchSize, len(opts.Indices))
		if err := craftBatch(opts, set, start, end); err != nil {
			return nil, err
		}
		progress.Set(end)
	}
	return set, nil
}

// craftBatch attacks images start..end-1 of opts.Indices and writes them,
// with their labels, into set.
func craftBatch(opts CraftOptions, set *eval.AdvSet, start, end int) error {
	shape := set.Shape
	imageSize := shape[0] * shape[1] * shape[2]
	n := end - start
	pixels := make([]float32, n*imageSize)
	labels := set.Labels[start:end]
	if err := datasets.LoadBatch(opts.Data, opts.Indices[start:end], pixels, labels); err != nil {
		return fmt.Errorf("load images %d to %d: %w", start, end-1, err)
	}

	clean := tensor.New(tensor.WithShape(n, shape[0], shape[1], shape[2]),
		tensor.WithBacking(pixels))
	adv, err := opts.Attack.Perturb(opts.Surrogate, clean, labels)
	if err != nil {
		return fmt.Errorf("%s on images %d to %d: %w", opts.Attack.Name(), start, end-1, err)
	}
	copy(set.Images[start*imageSize:end*imageSize], adv.Data().([]float32))
	return nil
}

// attackSeed returns the seed of an attack that draws random numbers, and
// 0 for a deterministic one.
func attackSeed(a attacks.Attack) int64 {
	if pgd, ok := a.(attacks.PGD); ok {
		return pgd.Seed
	}
	if pgd, ok := a.(*attacks.PGD); ok {
		return pgd.Seed
	}
	return 0
}
