package models

// LayerKind names a layer type in a Spec.
type LayerKind string

// The layer kinds a Spec can hold.
const (
	Conv    LayerKind = "conv"    // 2-D convolution with bias; Out channels, Kernel, Stride, Pad
	Linear  LayerKind = "linear"  // fully connected with bias; Out features
	ReLU    LayerKind = "relu"    // max(x, 0)
	MaxPool LayerKind = "maxpool" // Kernel x Kernel max pooling with stride Stride (0 means Kernel)
	Flatten LayerKind = "flatten" // N x C x H x W to N x (C*H*W)

	// BatchNorm normalises each channel (or feature) with batch statistics
	// in Train mode and running statistics in Eval mode, then scales and
	// shifts it; its running statistics are stored with the parameters.
	BatchNorm LayerKind = "batchnorm"

	// BasicBlock is the residual block of He et al. (2016): conv (Kernel,
	// Stride, pad Kernel/2), BatchNorm, Activation, conv (Kernel, stride 1),
	// BatchNorm, plus the skip connection (a 1x1 strided conv and BatchNorm
	// when the shape changes), then Activation. Out is its channel count.
	BasicBlock LayerKind = "basicblock"
)

// Layer is one layer of a Spec. Fields a kind does not use are zero.
type Layer struct {
	Kind LayerKind `json:"kind"`

	// Out is the number of output channels of a conv or output features of
	// a linear layer.
	Out int `json:"out,omitempty"`

	// Kernel is the square kernel size of a conv or pooling layer.
	Kernel int `json:"kernel,omitempty"`

	// Stride is the step of a conv or pooling layer; zero means 1 for a
	// conv and Kernel for pooling.
	Stride int `json:"stride,omitempty"`

	// Pad is the zero padding added on each side of a conv's input.
	Pad int `json:"pad,omitempty"`

	// NoBias leaves out the bias of a conv or linear layer, as convs
	// followed by BatchNorm do.
	NoBias bool `json:"no_bias,omitempty"`

	// Activation is the activation inside a residual block: ReLU, LeakyReLU,
	// Softplus or GELU; "" means ReLU.
	Activation LayerKind `json:"activation,omitempty"`

	// NoSkip removes the skip connection of a residual block, leaving a
	// plain stack of its two convolutions.
	NoSkip bool `json:"no_skip,omitempty"`
}

// Stage is a named group of layers: the unit at which an MMA splits a
// backbone into tracks.
type Stage struct {
	Name   string  `json:"name"`
	Layers []Layer `json:"layers"`
}

// Spec describes a backbone as data: a stem, an ordered list of stages and
// a head. The last layer of Head is the classifier, a Linear layer with
// Classes outputs.
type Spec struct {
	// Name identifies the architecture, such as "smallcnn".
	Name string `json:"name"`

	// Input is the image shape C x H x W.
	Input []int `json:"input"`

	// Classes is the number of logits.
	Classes int `json:"classes"`

	Stem   []Layer `json:"stem,omitempty"`
	Stages []Stage `json:"stages"`
	Head   []Layer `json:"head"`
}
