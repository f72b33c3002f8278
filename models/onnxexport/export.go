// Package onnxexport writes the toolkit's networks, backbones and
// multi-track nets alike, as ONNX models that other frameworks can run as
// black-box targets. The files use opset 13 (IR version 7), take the input
// "input" (float32, N x C x H x W, pixels in [0, 1]) with a symbolic batch
// size N and give the output "logits" (N x classes). BatchNorm layers are
// written in inference mode with their running statistics.
//
// The protobuf messages are encoded here with protowire, following
// onnx.proto, because no maintained Go package exposes ONNX's types.
package onnxexport

import (
	"fmt"

	"github.com/mmatransfer/mma/internal/atomicfile"
	"github.com/mmatransfer/mma/models"
)

// Names and versions written into every exported model.
const (
	// InputName is the name of the model's input, N x C x H x W pixels in
	// [0, 1].
	InputName = "input"

	// OutputName is the name of the model's output, N x classes logits.
	OutputName = "logits"

	// BatchDim is the symbolic name of the batch dimension.
	BatchDim = "N"

	// Opset is the version of the default ONNX operator set the models use.
	Opset = 13

	// IRVersion is the ONNX IR version that goes with Opset.
	IRVersion = 7

	// Producer is the producer name stored in the model.
	Producer = "mma"
)

// Fusion is the way a multi-track Network combines its tracks.
type Fusion string

// The fusions Network supports, with the meaning they have in package mma.
const (
	// Mean averages the tracks' logits: z = (1/K) sum_k z_k.
	Mean Fusion = "mean"

	// SoftmaxMean gives log((1/K) sum_k softmax(z_k) + ProbabilityFloor).
	SoftmaxMean Fusion = "softmax-mean"

	// Concat concatenates the tracks' features along axis 1 and applies
	// the Network's FusionHead.
	Concat Fusion = "concat"
)

// ProbabilityFloor is added to the averaged probabilities of SoftmaxMean
// before the logarithm, the same floor package mma adds, so that a class
// no track believes in gets a finite logit.
const ProbabilityFloor = 1e-30

// Network is a net as the exporter sees it: Shared runs first, then each
// of Tracks runs on Shared's output and the tracks are fused. A
// single-track net has Shared alone, ending in the N x Classes logits.
type Network struct {
	// Input is the image shape C x H x W.
	Input []int

	// Classes is the number of logits per image.
	Classes int

	// Shared holds the Sequentials every image passes through first, in
	// order (a backbone's stem, stages and head).
	Shared []*models.Sequential

	// Tracks holds the Sequentials of each parallel track, in order. Two
	// or more tracks make a multi-track net; none leaves Shared alone.
	Tracks [][]*models.Sequential

	// Fusion combines the tracks; "" means Mean. It is ignored without
	// Tracks.
	Fusion Fusion

	// FusionHead classifies the concatenated track features under Concat
	// fusion and is nil otherwise.
	FusionHead *models.Sequential
}

// Export writes net, a *models.Backbone, to path as an ONNX model for
// images of shape input (C x H x W) and classes logits. Other nets need
// a Network that describes them, written with Write.
func Export(net models.Net, input []int, classes int, path string) error {
	backbone, ok := net.(*models.Backbone)
	if !ok {
		return fmt.Errorf("export %s: net of type %T is not a *models.Backbone; describe it "+
			"as an onnxexport.Network and call Write", path, net)
	}
	return Write(path, Network{Input: input, Classes: classes, Shared: backbone.Parts()})
}

// Write encodes n and writes it to path atomically: a reader sees the old
// file or the whole new one.
func Write(path string, n Network) error {
	data, err := Encode(n)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, data); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	return nil
}

// Encode returns n as the bytes of an ONNX ModelProto. The error names the
// Sequential and layer it cannot map.
func Encode(n Network) ([]byte, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}

	g := newGraph()
	logits, err := n.forward(g)
	if err != nil {
		return nil, err
	}
	if err := g.rename(logits, OutputName); err != nil {
		return nil, err
	}
	return n.model(g), nil
}

// forward adds the shared part, the tracks and their fusion to g and
// returns the name of the logits.
func (n Network) forward(g *graph) (string, error) {
	x, err := g.chain(n.Shared, InputName)
	if err != nil {
		return "", err
	}
	if len(n.Tracks) == 0 {
		return x, nil
	}

	outputs := make([]string, len(n.Tracks))
	for k, track := range n.Tracks {
		if outputs[k], err = g.chain(track, x); err != nil {
			return "", fmt.Errorf("track %d: %w", k, err)
		}
	}
	return n.fuse(g, outputs)
}

// chain adds parts one after another, starting from x.
func (g *graph) chain(parts []*models.Sequential, x string) (string, error) {
	var err error
	for _, part := range parts {
		if x, err = g.sequential(part, x); err != nil {
			return "", err
		}
	}
	return x, nil
}

// fuse combines the tracks' outputs by n.Fusion.
func (n Network) fuse(g *graph, outputs []string) (string, error) {
	switch n.fusion() {
	case Mean:
		return g.mean(outputs, "fusion.mean"), nil
	case SoftmaxMean:
		probabilities := make([]string, len(outputs))
		for k, z := range outputs {
			probabilities[k] = g.add("Softmax", fmt.Sprintf("fusion.softmax%d", k),
				[]string{z}, intAttr("axis", 1))
		}
		mean := g.mean(probabilities, "fusion.mean")
		floored := g.addConst(mean, "fusion.floored", ProbabilityFloor)
		return g.add("Log", "fusion.log", []string{floored}), nil
	case Concat:
		joined := g.add("Concat", "fusion.concat", outputs, intAttr("axis", 1))
		return g.sequential(n.FusionHead, joined)
	default:
		return "", fmt.Errorf("fusion %q is unknown, want %s, %s or %s", n.Fusion, Mean,
			SoftmaxMean, Concat)
	}
}

// mean adds the element-wise mean of values, summed in order and then
// scaled by 1/K as package mma does.
func (g *graph) mean(values []string, base string) string {
	sum := values[0]
	for k, v := range values[1:] {
		sum = g.add("Add", fmt.Sprintf("%s.sum%d", base, k+1), []string{sum, v})
	}
	if len(values) == 1 {
		return sum
	}
	return g.mulConst(sum, base, float32(1/float64(len(values))))
}

func (n Network) fusion() Fusion {
	if n.Fusion == "" {
		return Mean
	}
	return n.Fusion
}

// model wraps the graph in a ModelProto with the input and output
// declared.
func (n Network) model(g *graph) []byte {
	var graphProto message
	for _, nd := range g.nodes {
		graphProto = graphProto.message(graphNode, nd.proto())
	}
	graphProto = graphProto.string(graphName, "mma")
	for _, init := range g.initializers {
		graphProto = graphProto.message(graphInitializer, init)
	}
	inputShape := append([]int{dynamicDimension}, n.Input...)
	graphProto = graphProto.message(graphInput, valueInfoProto(InputName, inputShape))
	graphProto = graphProto.message(graphOutput,
		valueInfoProto(OutputName, []int{dynamicDimension, n.Classes}))

	var opset message
	opset = opset.string(opsetDomain, "")
	opset = opset.int64(opsetVersion, Opset)

	var model message
	model = model.int64(modelIRVersion, IRVersion)
	model = model.string(modelProducer, Producer)
	model = model.message(modelGraph, graphProto)
	return model.message(modelOpsetImport, opset)
}
