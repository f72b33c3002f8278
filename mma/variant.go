package mma

import (
	"fmt"

	"github.com/mmatransfer/mma/models"
)

// Downsample is the layer a heterogeneous track uses where the backbone
// max-pools.
type Downsample string

// The downsampling variants.
const (
	MaxPoolDown Downsample = "maxpool" // the backbone's own max pooling
	AvgPoolDown Downsample = "avgpool" // average pooling of the same window
	StridedConv Downsample = "strided" // a learned conv with the window as kernel and stride
)

// Variant is the set of changes one track of a heterogeneous MMA makes to
// the backbone's layers.
type Variant struct {
	// Kernel is the size the track gives the backbone's 3x3 convolutions
	// (3 or 5). Other kernel sizes are kept.
	Kernel int

	// Activation replaces every ReLU, inside residual blocks too.
	Activation models.LayerKind

	// Downsample replaces every max-pooling layer.
	Downsample Downsample

	// Skip keeps the skip connections of residual blocks; false removes
	// them.
	Skip bool
}

// The cycles Variant draws from. Each dimension cycles on its own, so that
// tracks combine the variants in different ways.
var (
	kernelCycle     = []int{3, 5}
	activationCycle = []models.LayerKind{models.ReLU, models.LeakyReLU, models.Softplus,
		models.GELU}
	downsampleCycle = []Downsample{MaxPoolDown, AvgPoolDown, StridedConv}
	skipCycle       = []bool{true, true, false, false}
)

// VariantOf returns the variant of track k of a heterogeneous MMA. Each
// property cycles on its own. Kernel sizes cycle 3, 5, and activations
// ReLU, LeakyReLU, Softplus, GELU. Downsampling cycles max pool, average
// pool, strided conv, and skip connections on, on, off, off. Track 0 keeps the backbone's layers, and track 5, for
// example, has 5x5 kernels, LeakyReLU, strided-conv downsampling and skip
// connections.
func VariantOf(k int) Variant {
	return Variant{
		Kernel:     kernelCycle[k%len(kernelCycle)],
		Activation: activationCycle[k%len(activationCycle)],
		Downsample: downsampleCycle[k%len(downsampleCycle)],
		Skip:       skipCycle[k%len(skipCycle)],
	}
}

// String describes v, such as "5x5 leakyrelu avgpool skip".
func (v Variant) String() string {
	skip := "skip"
	if !v.Skip {
		skip = "no-skip"
	}
	return fmt.Sprintf("%dx%d %s %s %s", v.Kernel, v.Kernel, v.Activation, v.Downsample, skip)
}

// apply returns layers with v's changes. channels is the channel count of
// the layers' input, which a strided conv replacing a pooling layer keeps.
func (v Variant) apply(layers []models.Layer, channels int) []models.Layer {
	changed := make([]models.Layer, 0, len(layers))
	for _, layer := range layers {
		switch layer.Kind {
		case models.Conv, models.BasicBlock:
			layer = v.applyKernel(layer)
			if layer.Kind == models.BasicBlock {
				layer.Activation = v.Activation
				layer.NoSkip = layer.NoSkip || !v.Skip
			}
			channels = layer.Out
		case models.Linear:
			channels = layer.Out
		case models.ReLU:
			layer.Kind = v.Activation
		case models.MaxPool:
			layer = v.applyDownsample(layer, channels)
		}
		changed = append(changed, layer)
	}
	return changed
}

func (v Variant) applyKernel(layer models.Layer) models.Layer {
	if layer.Kernel != 3 || v.Kernel == 3 {
		return layer
	}
	if layer.Kind == models.Conv {
		layer.Pad += (v.Kernel - layer.Kernel) / 2
	}
	layer.Kernel = v.Kernel
	return layer
}

func (v Variant) applyDownsample(pool models.Layer, channels int) models.Layer {
	switch v.Downsample {
	case AvgPoolDown:
		pool.Kind = models.AvgPool
	case StridedConv:
		stride := pool.Stride
		if stride == 0 {
			stride = pool.Kernel
		}
		pool = models.Layer{Kind: models.Conv, Out: channels, Kernel: pool.Kernel,
			Stride: stride}
	}
	return pool
}
