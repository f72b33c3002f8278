package models

// WideCNN returns the spec of a wide, shallow CNN for input (C x H x W)
// and classes: one 5x5 conv of 96 channels (padding 2) with ReLU and 4x4
// max pooling, then a head of flatten and linear classes. It is one layer
// deep where SmallCNN is two, so adversarial examples meet a differently
// shaped decision function.
func WideCNN(input []int, classes int) Spec {
	return Spec{
		Name:    "widecnn",
		Input:   append([]int(nil), input...),
		Classes: classes,
		Stages: []Stage{{Name: "stage1", Layers: []Layer{
			{Kind: Conv, Out: 96, Kernel: 5, Pad: 2},
			{Kind: ReLU},
			{Kind: MaxPool, Kernel: 4},
		}}},
		Head: []Layer{{Kind: Flatten}, {Kind: Linear, Out: classes}},
	}
}

// GELUCNN returns the spec of a small CNN with GELU activations and
// average pooling for input (C x H x W) and classes: two stages of a 3x3
// conv (32, then 64 channels, padding 1), GELU and 2x2 average pooling,
// then a head of flatten, linear 128, GELU and linear classes. It is
// SmallCNN with a smooth activation and smooth pooling.
func GELUCNN(input []int, classes int) Spec {
	return smallCNN("gelucnn", input, classes, GELU, AvgPool)
}
