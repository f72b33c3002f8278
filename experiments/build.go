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

	backbone, _, err := mma.ParseArch(arch)
	if err != nil {
		return nil, models.Spec{}, "", err
	}
	spec, err = models.SpecByName(backbone, input, classes)
	if err != nil {
		return nil, models.Spec{}, "", err
	}
	model, canonical, err = buildOnSpec(arch, spec, seed)
	return model, spec, canonical, err
}

// buildOnSpec builds what arch names on the backbone spec: the backbone
// itself, or the MMA that arch's options describe. The backbone's name in
// arch is not looked up, so a spec stored in a checkpoint is rebuilt as it
// was, width factor and all.
func buildOnSpec(arch string, spec models.Spec, seed int64) (*models.Model, string, error) {
	backbone, config, err := mma.ParseArch(arch)
	if err != nil {
		return nil, "", err
	}

	var net models.Net
	if config == nil {
		net, err = models.NewBackbone(spec, seed)
	} else {
		net, err = mma.New(spec, *config, seed)
	}
	if err != nil {
		return nil, "", fmt.Errorf("architecture %q: %w", arch, err)
	}
	return models.NewModel(net, spec.Input, spec.Classes), canonicalName(backbone, config), nil
}

// canonicalArch returns arch in the form tables use: an MMA with its
// track count and the options that differ from their defaults.
func canonicalArch(arch string) (string, error) {
	backbone, config, err := mma.ParseArch(arch)
	if err != nil {
		return "", err
	}
	return canonicalName(backbone, config), nil
}

func canonicalName(backbone string, config *mma.Config) string {
	if config == nil {
		return backbone
	}
	return mma.Arch(backbone, *config)
}
