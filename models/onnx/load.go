package onnx

import (
	"fmt"
	"os"

	onnxgo "github.com/owulveryck/onnx-go"
	"gorgonia.org/tensor"
)

// Options configures how a model is imported. The zero value imports the
// model as it is.
type Options struct {
	// Scale multiplies the pixels in [0, 1] that Logits receives before
	// they reach the ONNX graph, inside the graph so that gradients see
	// it: 255 feeds a model trained on raw 0..255 bytes. 0 means 1.
	Scale float32
}

// Load reads and imports the ONNX model at path with the zero Options.
func Load(path string) (*Model, error) {
	return Options{}.Load(path)
}

// Decode imports a serialized ONNX model with the zero Options. name
// identifies the model in errors, such as the file it came from.
func Decode(name string, data []byte) (*Model, error) {
	return Options{}.Decode(name, data)
}

// Load reads and imports the ONNX model at path.
func (o Options) Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ONNX model: %w", err)
	}
	return o.Decode(path, data)
}

// Decode imports a serialized ONNX model. name identifies the model in
// errors. Every operator, attribute and shape is checked here, so a model
// that decodes also runs. The model must have one graph input of shape
// N x C x H x W (N 1 or symbolic) besides its initializers, and its first
// graph output must be N x classes logits.
func (o Options) Decode(name string, data []byte) (*Model, error) {
	scale := o.Scale
	if scale == 0 {
		scale = 1
	}
	if scale < 0 {
		return nil, fmt.Errorf("decode %s: Options.Scale is %g, expected a positive factor",
			name, scale)
	}

	net, err := decodeNetwork(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	pass, err := buildSafely(net, scale, 1)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}

	return &Model{
		name:       name,
		net:        net,
		scale:      scale,
		inputShape: append([]int(nil), net.input.shape[1:]...),
		classes:    pass.logits.Shape()[1],
		forward:    map[int]*runner{1: newRunner(pass)},
		backward:   map[int]*gradientRunner{},
	}, nil
}

// decodeNetwork checks the graph's nodes and its image input, then lets
// onnx-go decode the tensors and attributes into a recorder.
func decodeNetwork(data []byte) (*network, error) {
	info, err := scanModel(data)
	if err != nil {
		return nil, err
	}
	if err := checkNodes(info); err != nil {
		return nil, err
	}
	input, err := imageInput(info)
	if err != nil {
		return nil, err
	}
	net, err := decodeGraph(info, data)
	if err != nil {
		return nil, err
	}
	net.input = input
	return net, nil
}

// decodeGraph lets onnx-go decode the tensors and attributes of a scanned
// model into a recorder.
func decodeGraph(info *modelInfo, data []byte) (net *network, err error) {
	defer recoverError(&err)

	if len(info.outputs) == 0 {
		return nil, fmt.Errorf("graph has no output")
	}

	rec := newRecorder(info)
	data, err = rewriteBoolTensors(data)
	if err != nil {
		return nil, err
	}
	if err := onnxgo.NewModel(rec).UnmarshalBinary(data); err != nil {
		return nil, err
	}
	if len(rec.operations) != len(info.nodes) {
		return nil, fmt.Errorf("onnx-go decoded %d of %d nodes", len(rec.operations), len(info.nodes))
	}

	constants := map[string]tensor.Tensor{}
	for name, t := range rec.tensors() {
		if info.initializers[name] {
			constants[name] = t
		}
	}
	return &network{
		info:       info,
		operations: rec.operations,
		constants:  constants,
		output:     info.outputs[0].name,
	}, nil
}

// imageInput returns the one graph input that is not an initializer and
// checks that it is a batch of images.
func imageInput(info *modelInfo) (valueInfo, error) {
	var inputs []valueInfo
	for _, input := range info.inputs {
		if !info.initializers[input.name] {
			inputs = append(inputs, input)
		}
	}
	if len(inputs) != 1 {
		return valueInfo{}, fmt.Errorf("graph has %d inputs besides its initializers, expected 1",
			len(inputs))
	}

	input := inputs[0]
	if input.elemType != float32Type {
		return valueInfo{}, fmt.Errorf("graph input %q has element type %d, expected float32 (%d)",
			input.name, input.elemType, float32Type)
	}
	shape := input.shape
	if len(shape) != 4 || shape[0] > 1 || shape[0] == 0 || shape[1] < 1 || shape[2] < 1 ||
		shape[3] < 1 {
		return valueInfo{}, fmt.Errorf("graph input %q has shape %v, expected N x C x H x W "+
			"with N 1 or symbolic (-1) and C, H, W known", input.name, shape)
	}
	return input, nil
}

// buildSafely builds the forward graph for batch images, turning a panic
// into an error.
func buildSafely(net *network, scale float32, batch int) (pass *forwardPass, err error) {
	defer recoverError(&err)
	return net.build(scale, batch)
}
