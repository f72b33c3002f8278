package models

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SmallCNN returns the spec of a small CNN for input (C x H x W) and
// classes: two stages of a 3x3 conv (32, then 64 channels, padding 1),
// ReLU and 2x2 max pooling, then a head of flatten, linear 128, ReLU and
// linear classes.
func SmallCNN(input []int, classes int) Spec {
	return smallCNN("smallcnn", input, classes, ReLU, MaxPool)
}

// smallCNN returns SmallCNN's layers named name, with activation in place
// of ReLU and pooling in place of max pooling.
func smallCNN(name string, input []int, classes int, activation, pooling LayerKind) Spec {
	convStage := func(name string, channels int) Stage {
		return Stage{Name: name, Layers: []Layer{
			{Kind: Conv, Out: channels, Kernel: 3, Pad: 1},
			{Kind: activation},
			{Kind: pooling, Kernel: 2},
		}}
	}
	return Spec{
		Name:    name,
		Input:   append([]int(nil), input...),
		Classes: classes,
		Stages:  []Stage{convStage("stage1", 32), convStage("stage2", 64)},
		Head: []Layer{
			{Kind: Flatten},
			{Kind: Linear, Out: 128},
			{Kind: activation},
			{Kind: Linear, Out: classes},
		},
	}
}

// DefaultMLPHidden holds the hidden layer widths of MLP when none are
// given.
var DefaultMLPHidden = []int{256, 128}

// MLP returns the spec of a multilayer perceptron for input (C x H x W)
// and classes: a stem that flattens the image, one stage of linear and
// ReLU per hidden width (DefaultMLPHidden when none are given) and a
// linear head.
func MLP(input []int, classes int, hidden ...int) Spec {
	if len(hidden) == 0 {
		hidden = DefaultMLPHidden
	}

	spec := Spec{
		Name:    "mlp",
		Input:   append([]int(nil), input...),
		Classes: classes,
		Stem:    []Layer{{Kind: Flatten}},
		Head:    []Layer{{Kind: Linear, Out: classes}},
	}
	for i, width := range hidden {
		spec.Stages = append(spec.Stages, Stage{
			Name:   fmt.Sprintf("stage%d", i+1),
			Layers: []Layer{{Kind: Linear, Out: width}, {Kind: ReLU}},
		})
	}
	return spec
}

// SpecNames lists the architecture names SpecByName accepts; vgg11 and the
// ResNets also take a width suffix.
var SpecNames = []string{"smallcnn", "mlp", "widecnn", "gelucnn", "vgg11", "resnet8",
	"resnet20", "resnet32", "resnet18"}

// SpecByName returns the spec of the named architecture for input
// (C x H x W) and classes. Names are case-insensitive and follow the
// grammar
//
//	name  = "smallcnn" | "mlp" | image [ "-w" factor ]
//	image = "vgg11" | "resnet8" | "resnet20" | "resnet32" | "resnet18"
//
// where factor is a positive decimal number that scales every channel
// count, such as "resnet20-w2" (twice as wide) or "vgg11-w0.25". Without
// a suffix the factor is 1, except for resnet18, whose default is
// DefaultResNet18Width.
func SpecByName(name string, input []int, classes int) (Spec, error) {
	base, width, hasWidth, err := parseSpecName(name)
	if err != nil {
		return Spec{}, err
	}

	switch base {
	case "smallcnn", "mlp", "widecnn", "gelucnn":
		if hasWidth {
			return Spec{}, fmt.Errorf("architecture %q: %s takes no width suffix", name, base)
		}
		return fixedSpecs[base](input, classes), nil
	case "vgg11":
		return VGG11(input, classes, width)
	case "resnet8", "resnet20", "resnet32":
		depth, _ := strconv.Atoi(strings.TrimPrefix(base, "resnet"))
		return CIFARResNet(depth, input, classes, width)
	case "resnet18":
		if !hasWidth {
			width = DefaultResNet18Width
		}
		return ResNet18(input, classes, width)
	default:
		return Spec{}, fmt.Errorf("unknown architecture %q, want one of %s", name,
			strings.Join(SpecNames, ", "))
	}
}

// fixedSpecs are the architectures without a width factor.
var fixedSpecs = map[string]func(input []int, classes int) Spec{
	"smallcnn": SmallCNN,
	"mlp":      func(input []int, classes int) Spec { return MLP(input, classes) },
	"widecnn":  WideCNN,
	"gelucnn":  GELUCNN,
}

// parseSpecName splits name into its lower-case base and the width factor
// of a "-w" suffix (1 when there is none).
func parseSpecName(name string) (base string, width float64, hasWidth bool, err error) {
	base = strings.ToLower(name)
	index := strings.LastIndex(base, "-w")
	if index < 0 {
		return base, 1, false, nil
	}

	suffix := base[index+2:]
	width, err = strconv.ParseFloat(suffix, 64)
	if err != nil || !(width > 0) || math.IsInf(width, 0) {
		return "", 0, false, fmt.Errorf("architecture %q: width suffix %q is not a positive "+
			"number; write e.g. resnet20-w2 or vgg11-w0.25", name, suffix)
	}
	return base[:index], width, true, nil
}
