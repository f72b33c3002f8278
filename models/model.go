// Package models holds the networks of the toolkit: layers and backbones
// built from a Spec, the graph runner that turns a Net into a Classifier,
// training, checkpoints and ONNX import. Everything runs on gorgonia in
// float32, and every model takes pixels in [0, 1]: normalisation, where a
// model needs it, is part of the model.
package models

import (
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Classifier is the interface every model meets at: trained backbones,
// MMAs, ensembles and imported ONNX models alike.
type Classifier interface {
	// InputShape returns the image shape C x H x W that the model expects.
	InputShape() []int

	// Classes returns the number of logits the model gives per image.
	Classes() int

	// Logits returns the N x Classes logits of x, a batch of pixels in
	// [0, 1] with shape N x C x H x W.
	Logits(x *tensor.Dense) (*tensor.Dense, error)
}

// Differentiable is a Classifier that also gives the gradient of its attack
// loss with respect to its input pixels.
type Differentiable interface {
	Classifier

	// InputGradient returns the attack loss of each image of x (length N)
	// and the gradient of those losses with respect to x (N x C x H x W).
	// labels holds the true class of each image. The loss of image i
	// depends on image i alone, so its gradient does not depend on the
	// rest of the batch. The default attack loss is the cross-entropy of
	// the logits.
	InputGradient(x *tensor.Dense, labels []int) (grad *tensor.Dense, losses []float32, err error)
}

// Mode selects how layers that keep state behave.
type Mode int

const (
	// Eval uses stored statistics (BatchNorm running means) and no
	// randomness; attacks and evaluation run in Eval mode.
	Eval Mode = iota
	// Train uses batch statistics and updates the running ones.
	Train
)

// Param is a trainable tensor. The same Param backs every graph built from
// its Net, so an update made after one batch is seen by all of them.
type Param struct {
	// Name is the parameter's path in its Net, such as "stage1.0.weight".
	// Names are unique within a Net and are the keys of checkpoints.
	Name string

	// Value is the float32 tensor the graphs read.
	Value *tensor.Dense
}

// Outputs are the nodes a forward pass adds to a graph.
type Outputs struct {
	// Logits is the N x classes output the model predicts with.
	Logits *gorgonia.Node

	// Tracks holds the logits of each track of a multi-track net
	// (N x classes each), and is nil for single-track nets.
	Tracks []*gorgonia.Node
}

// Net is a network that adds its forward pass to a gorgonia graph.
// Backbones and MMAs implement it; NewModel turns a Net into a Classifier
// that can be trained and attacked.
type Net interface {
	// Params returns the trainable parameters in a fixed order.
	Params() []*Param

	// Forward adds the forward pass of x (N x C x H x W) to x's graph.
	Forward(x *gorgonia.Node, mode Mode) (Outputs, error)
}

// TrainLosser is a Net with a training loss of its own. A Net without one
// is trained on the mean cross-entropy of its Logits.
type TrainLosser interface {
	// TrainLoss returns a scalar loss node for the outputs and the one-hot
	// targets (N x classes).
	TrainLoss(out Outputs, targets *gorgonia.Node) (*gorgonia.Node, error)
}

// AttackLosser is a Net with an attack loss of its own. A Net without one
// is attacked on the cross-entropy of its Logits.
type AttackLosser interface {
	// AttackLoss returns the per-image loss (a vector of length N) for the
	// outputs and the one-hot targets (N x classes).
	AttackLoss(out Outputs, targets *gorgonia.Node) (*gorgonia.Node, error)
}
