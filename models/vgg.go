package models

import "fmt"

// vgg11Layout is the layer plan of VGG-11 (configuration A of Simonyan and
// Zisserman, 2015): conv channel counts, with 0 marking 2x2 max pooling.
var vgg11Layout = []int{64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}

// VGG11 returns the spec of VGG-11 with BatchNorm for input (C x H x W, C
// of 1 or 3) and classes, with channels scaled by width (1 for the usual
// 64 to 512, 0.25 for a narrow 16 to 128). Each conv is 3x3 with padding
// 1 and no bias, followed by BatchNorm and ReLU; the stages stage1 to
// stage5 end at each max pooling. A pooling layer is left out when the
// image is already smaller than 2x2, so 28x28 and 32x32 inputs both work
// (28 pools to 14, 7, 3 and 1). The head is global average pooling and a
// linear layer instead of VGG's three fully connected layers.
func VGG11(input []int, classes int, width float64) (Spec, error) {
	const name = "vgg11"
	if err := checkImageSpecArgs(name, input, classes, width); err != nil {
		return Spec{}, err
	}

	spec := Spec{
		Name:    name,
		Input:   append([]int(nil), input...),
		Classes: classes,
		Head:    []Layer{{Kind: GlobalAvgPool}, {Kind: Linear, Out: classes}},
	}
	size := min(input[1], input[2])
	var stage []Layer
	for _, channels := range vgg11Layout {
		if channels > 0 {
			stage = append(stage,
				Layer{Kind: Conv, Out: scaledChannels(channels, width), Kernel: 3, Pad: 1,
					NoBias: true},
				Layer{Kind: BatchNorm},
				Layer{Kind: ReLU})
			continue
		}

		if size >= 2 {
			stage = append(stage, Layer{Kind: MaxPool, Kernel: 2})
			size /= 2
		}
		spec.Stages = append(spec.Stages, Stage{
			Name:   fmt.Sprintf("stage%d", len(spec.Stages)+1),
			Layers: stage,
		})
		stage = nil
	}
	return spec, nil
}
