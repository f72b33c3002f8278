package onnx

import (
	"fmt"
	"sync"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// Model is an imported ONNX classifier. It implements models.Classifier
// and models.Differentiable. The graph is built for one image, so a batch
// of N images runs as N passes through the same graph and machine, and
// no value is kept from one pass to the next. A Model is safe for
// concurrent use; its passes run one at a time.
type Model struct {
	name       string
	net        *network
	scale      float32
	inputShape []int // C x H x W
	classes    int

	mu       sync.Mutex
	forward  *runner
	backward *gradientRunner // built on the first InputGradient call
}

var (
	_ models.Classifier     = (*Model)(nil)
	_ models.Differentiable = (*Model)(nil)
)

// runner is a forward pass with the machine that runs it.
type runner struct {
	pass    *forwardPass
	machine gorgonia.VM
	image   *tensor.Dense // 1 x C x H x W, reused for each image
}

// Name returns the name the model was loaded under: a file path, or the
// name given to Decode.
func (m *Model) Name() string { return m.name }

// Scale returns the factor that multiplies pixels in [0, 1] before they
// reach the ONNX graph.
func (m *Model) Scale() float32 { return m.scale }

// InputShape returns the image shape C x H x W that the model expects.
func (m *Model) InputShape() []int { return append([]int(nil), m.inputShape...) }

// Classes returns the number of logits the model gives per image.
func (m *Model) Classes() int { return m.classes }

// Logits returns the N x Classes logits of x, a batch of float32 pixels in
// [0, 1] with shape N x C x H x W.
func (m *Model) Logits(x *tensor.Dense) (*tensor.Dense, error) {
	pixels, n, err := m.checkBatch(x)
	if err != nil {
		return nil, err
	}

	m.mu.Lock()
	defer m.mu.Unlock()

	logits := make([]float32, n*m.classes)
	size := len(pixels) / max(n, 1)
	for i := 0; i < n; i++ {
		image := pixels[i*size : (i+1)*size]
		out, err := m.forward.run(image)
		if err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", m.name, i, err)
		}
		copy(logits[i*m.classes:], out)
	}
	return tensor.New(tensor.WithShape(n, m.classes), tensor.WithBacking(logits)), nil
}

// checkBatch returns the pixels and the batch size of x after checking
// that x is a float32 batch of the model's input shape.
func (m *Model) checkBatch(x *tensor.Dense) ([]float32, int, error) {
	if x == nil {
		return nil, 0, fmt.Errorf("%s: input batch is nil", m.name)
	}
	shape := x.Shape()
	if shape.Dims() != 4 || shape[1] != m.inputShape[0] || shape[2] != m.inputShape[1] ||
		shape[3] != m.inputShape[2] {
		return nil, 0, fmt.Errorf("%s: input shape %v, expected N x %d x %d x %d",
			m.name, shape, m.inputShape[0], m.inputShape[1], m.inputShape[2])
	}
	if x.Dtype() != tensor.Float32 {
		return nil, 0, fmt.Errorf("%s: input is %v, expected float32", m.name, x.Dtype())
	}
	if shape[0] == 0 {
		return nil, 0, nil
	}
	if x.IsMaterializable() {
		// A view (a slice of a larger tensor) is copied to get its
		// elements in row-major order.
		x = x.Materialize().(*tensor.Dense)
	}
	return x.Data().([]float32), shape[0], nil
}

// newRunner compiles a machine for a forward pass.
func newRunner(pass *forwardPass) *runner {
	return &runner{
		pass:    pass,
		machine: gorgonia.NewTapeMachine(pass.graph),
		image:   tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(pass.input.Shape()...)),
	}
}

// run returns the logits of one image. The slice is valid until the next
// run.
func (r *runner) run(image []float32) (logits []float32, err error) {
	defer recoverError(&err)
	defer r.machine.Reset()

	copy(r.image.Data().([]float32), image)
	if err := gorgonia.Let(r.pass.input, r.image); err != nil {
		return nil, err
	}
	if err := r.machine.RunAll(); err != nil {
		return nil, err
	}
	return r.pass.logits.Value().Data().([]float32), nil
}

// recoverError turns a panic inside gorgonia or onnx-go into *err.
func recoverError(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error: %v", r)
	}
}
