package models

import (
	"fmt"
	"strings"
)

// SmallCNN returns the spec of a small CNN for input (C x H x W) and
// classes: two stages of a 3x3 conv (32, then 64 channels, padding 1),
// ReLU and 2x2 max pooling, then a head of flatten, linear 128, ReLU and
// linear classes.
func SmallCNN(input []int, classes int) Spec {
	convStage := func(name string, channels int) Stage {
		return Stage{Name: name, Layers: []Layer{
			{Kind: Conv, Out: channels, Kernel: 3, Pad: 1},
			{Kind: ReLU},
			{Kind: MaxPool, Kernel: 2},
		}}
	}
	return Spec{
		Name:    "smallcnn",
		Input:   append([]int(nil), input...),
		Classes: classes,
		Stages:  []Stage{convStage("stage1", 32), convStage("stage2", 64)},
		Head: []Layer{
			{Kind: Flatten},
			{Kind: Linear, Out: 128},
			{Kind: ReLU},
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

// SpecNames lists the names SpecByName accepts.
var SpecNames = []string{"smallcnn", "mlp"}

// SpecByName returns the spec of the named architecture ("smallcnn" or
// "mlp", case-insensitive) for input (C x H x W) and classes.
func SpecByName(name string, input []int, classes int) (Spec, error) {
	switch strings.ToLower(name) {
	case "smallcnn":
		return SmallCNN(input, classes), nil
	case "mlp":
		return MLP(input, classes), nil
	default:
		return Spec{}, fmt.Errorf("unknown architecture %q, want one of %s",
			name, strings.Join(SpecNames, ", "))
	}
}
