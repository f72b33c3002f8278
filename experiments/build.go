package experiments

import (
	"fmt"

	"github.com/mmatransfer/mma/mma"
	"github.com/mmatransfer/mma/models"
)

// BuildModel builds the untrained model that arch names, for images of
// shape input (C x H x W) and classes logits, with weights drawn from
// seed. arch is a backbone name ("smallcnn", "mlp") or an MMA of one
// ("smallcnn/mma:k=4,split=1"). It also returns the backbone's spec and
// arch in its canonical form, with every MMA option written out.
func BuildModel(arch string, input []int, classes int,
	seed int64) (model *models.Model, spec models.Spec, canonical string, err error) {

	backbone, config, err := mma.ParseArch(arch)
	if err != nil {
		return nil, models.Spec{}, "", err
	}
	spec, err = models.SpecByName(backbone, input, classes)
	if err != nil {
		return nil, models.Spec{}, "", fmt.Errorf("architecture %q: %w", arch, err)
	}

	var net models.Net
	canonical = backbone
	if config == nil {
		net, err = models.NewBackbone(spec, seed)
	} else {
		net, err = mma.New(spec, *config, seed)
		canonical = mma.Arch(backbone, *config)
	}
	if err != nil {
		return nil, models.Spec{}, "", fmt.Errorf("architecture %q: %w", arch, err)
	}
	return models.NewModel(net, input, classes), spec, canonical, nil
}
