package experiments

import (
	"fmt"

	"github.com/mmatransfer/mma/mma"
	"github.com/mmatransfer/mma/models"
)

// Description is the layer table and totals of one architecture.
type Description struct {
	// Arch is the architecture string in canonical form.
	Arch string

	// Input is the image shape C x H x W and Classes the logit count.
	Input   []int
	Classes int

	// Cost lists parameters and multiply-adds per image, layer by layer.
	Cost models.Cost
}

// Describe builds arch for images of shape input with classes logits and
// counts its parameters and multiply-adds per image.
func Describe(arch string, input []int, classes int) (*Description, error) {
	model, _, canonical, err := BuildModel(arch, input, classes, 0)
	if err != nil {
		return nil, err
	}
	net, ok := model.Net().(models.SequentialNet)
	if !ok {
		return nil, fmt.Errorf("architecture %q cannot be described layer by layer", arch)
	}
	return &Description{Arch: canonical, Input: input, Classes: classes,
		Cost: models.CountCost(net)}, nil
}

// DescribePair describes arch and the architecture it is compared with:
// the backbone of an MMA, or the default MMA of a backbone. The backbone
// comes first.
func DescribePair(arch string, input []int, classes int) (backbone, multiTrack *Description,
	err error) {

	name, config, err := mma.ParseArch(arch)
	if err != nil {
		return nil, nil, err
	}
	mmaArch := arch
	if config == nil {
		mmaArch = mma.Arch(name, mma.Config{})
	}
	if backbone, err = Describe(name, input, classes); err != nil {
		return nil, nil, err
	}
	if multiTrack, err = Describe(mmaArch, input, classes); err != nil {
		return nil, nil, err
	}
	return backbone, multiTrack, nil
}
