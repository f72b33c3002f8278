package models

import (
	"fmt"
	"math"
)

// DefaultResNet18Width is the width factor of ResNet18 when none is given:
// stages of 16, 32, 64 and 128 channels, a quarter of the usual ResNet-18,
// to keep training on a CPU practical.
const DefaultResNet18Width = 0.25

// CIFARResNet returns the spec of the CIFAR ResNet of He et al. (2016)
// with depth = 6n + 2 layers (8, 20, 32, ...) for input (C x H x W, C of 1
// or 3) and classes, with channels scaled by width (1 for the paper's
// network):
//
//   - stem: 3x3 conv with 16w channels, BatchNorm, ReLU;
//   - stage1, stage2, stage3: n BasicBlocks each with 16w, 32w and 64w
//     channels; the first block of stage2 and stage3 has stride 2 and a
//     projection skip (1x1 conv and BatchNorm);
//   - head: global average pooling and a linear layer.
//
// Convs have no bias because BatchNorm follows each one. The error names
// an invalid depth, width or input.
func CIFARResNet(depth int, input []int, classes int, width float64) (Spec, error) {
	name := fmt.Sprintf("resnet%d", depth)
	if depth < 8 || (depth-2)%6 != 0 {
		return Spec{}, fmt.Errorf("%s: depth %d is not 6n+2 with n >= 1 (8, 20, 32, ...)",
			name, depth)
	}
	blocks := (depth - 2) / 6
	channels := []int{16, 32, 64}
	strides := []int{1, 2, 2}
	return resNetSpec(name, input, classes, width, channels, strides, blocks)
}

// ResNet18 returns the spec of a ResNet-18 in the CIFAR style (a 3x3 stem
// with stride 1 and no max pooling) for input (C x H x W, C of 1 or 3) and
// classes:
//
//   - stem: 3x3 conv with 64w channels, BatchNorm, ReLU;
//   - stage1 to stage4: two BasicBlocks each with 64w, 128w, 256w and
//     512w channels, the first block of stage2 to stage4 with stride 2;
//   - head: global average pooling and a linear layer.
//
// width 1 gives the usual ResNet-18 widths; DefaultResNet18Width is the
// narrow default of SpecByName.
func ResNet18(input []int, classes int, width float64) (Spec, error) {
	channels := []int{64, 128, 256, 512}
	strides := []int{1, 2, 2, 2}
	return resNetSpec("resnet18", input, classes, width, channels, strides, 2)
}

// resNetSpec builds a ResNet of len(channels) stages of blocks BasicBlocks
// each. The stem has channels[0] channels.
func resNetSpec(name string, input []int, classes int, width float64, channels, strides []int,
	blocks int) (Spec, error) {
	if err := checkImageSpecArgs(name, input, classes, width); err != nil {
		return Spec{}, err
	}

	stem := scaledChannels(channels[0], width)
	spec := Spec{
		Name:    name,
		Input:   append([]int(nil), input...),
		Classes: classes,
		Stem: []Layer{
			{Kind: Conv, Out: stem, Kernel: 3, Pad: 1, NoBias: true},
			{Kind: BatchNorm},
			{Kind: ReLU},
		},
		Head: []Layer{{Kind: GlobalAvgPool}, {Kind: Linear, Out: classes}},
	}

	size := min(input[1], input[2])
	for i, base := range channels {
		stageName := fmt.Sprintf("stage%d", i+1)
		if strides[i] > 1 && size < 2 {
			return Spec{}, fmt.Errorf("%s: %s halves the image but gets %dx%d pixels, "+
				"want at least 2x2; use larger images", name, stageName, size, size)
		}
		// A 3x3 conv with padding 1 and stride 2 maps an odd side s to (s+1)/2.
		size = (size + strides[i] - 1) / strides[i]

		stage := Stage{Name: stageName}
		for b := range blocks {
			block := Layer{Kind: BasicBlock, Out: scaledChannels(base, width), Kernel: 3}
			if b == 0 {
				block.Stride = strides[i]
			}
			stage.Layers = append(stage.Layers, block)
		}
		spec.Stages = append(spec.Stages, stage)
	}
	return spec, nil
}

// checkImageSpecArgs checks the arguments shared by the ResNet and VGG
// specs: a C x H x W input with 1 or 3 channels, at least two classes and
// a positive width factor.
func checkImageSpecArgs(name string, input []int, classes int, width float64) error {
	if len(input) != 3 {
		return fmt.Errorf("%s: input is %v, want C x H x W", name, input)
	}
	if input[0] != 1 && input[0] != 3 {
		return fmt.Errorf("%s: input has %d channels, want 1 (grey) or 3 (RGB)", name, input[0])
	}
	if input[1] <= 0 || input[2] <= 0 {
		return fmt.Errorf("%s: input %v has a dimension <= 0", name, input)
	}
	if classes < 2 {
		return fmt.Errorf("%s: classes is %d, want at least 2", name, classes)
	}
	if !(width > 0) || math.IsInf(width, 0) {
		return fmt.Errorf("%s: width factor is %g, want a positive number", name, width)
	}
	return nil
}

// scaledChannels returns base * width rounded to the nearest integer, at
// least 1.
func scaledChannels(base int, width float64) int {
	return max(1, int(math.Round(float64(base)*width)))
}
