package onnx

import (
	"fmt"
	"sync"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/models"
)

// maxBatch is the maximum number of images one graph runs at once. A larger batch runs
// in chunks, so that intermediate tensors stay small.
const maxBatch = 32

// Model is an imported ONNX classifier. It implements models.Classifier
// and models.Differentiable. When the model's batch axis is symbolic, a
// batch runs through one graph built for its size (up to maxBatch images,
// larger batches in chunks) and cached for later batches of that size
// (up to maxCachedGraphs sizes).
// A model whose graph fixes the batch at 1, such as mnist-8 with its
// Reshape to 1 x 256, runs image by image, with the same logits. No
// value is kept from one pass to the next. A Model is safe for concurrent
// use; its passes run one at a time.
type Model struct {
	name       string
	net        *network
	scale      float32
	inputShape []int // C x H x W
	classes    int

	mu       sync.Mutex
	perImage bool                    // graphs hold one image
	forward  map[int]*runner         // by batch size
	backward map[int]*gradientRunner // by batch size, built on first use
}

var (
	_ models.Classifier     = (*Model)(nil)
	_ models.Differentiable = (*Model)(nil)
)

// runner is a forward pass with the machine that runs it.
type runner struct {
	pass    *forwardPass
	machine gorgonia.VM
	images  *tensor.Dense // batch x C x H x W, reused for each run
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
	for first := 0; first < n; {
		r, count, err := m.runner(n - first)
		if err != nil {
			return nil, err
		}
		out, err := r.run(pixels[first*size : (first+count)*size])
		if err != nil {
			return nil, fmt.Errorf("%s: images %d to %d: %w", m.name, first, first+count-1, err)
		}
		copy(logits[first*m.classes:], out)
		first += count
	}
	return tensor.New(tensor.WithShape(n, m.classes), tensor.WithBacking(logits)), nil
}

// maxCachedGraphs bounds the graphs a Model keeps per pass (forward or
// gradient), so that batches of many different sizes do not accumulate
// graphs.
const maxCachedGraphs = 4

// evict drops one graph other than the one-image graph when the cache is
// full.
func evict[R any](cache map[int]R) {
	if len(cache) < maxCachedGraphs {
		return
	}
	for count := range cache {
		if count != 1 {
			delete(cache, count)
			return
		}
	}
}

// chunk returns how many of the remaining images the next graph runs: up
// to maxBatch when the input's batch axis is symbolic and batched graphs
// build, 1 otherwise.
func (m *Model) chunk(remaining int) int {
	if m.perImage || m.net.input.shape[0] >= 0 {
		return 1
	}
	return min(remaining, maxBatch)
}

// runner returns the forward pass for the next chunk of the remaining
// images and the chunk's size, building the pass on first use. When a
// graph for more than one image cannot be built, as when a Reshape fixes
// the batch at 1, the model runs image by image from then on.
func (m *Model) runner(remaining int) (*runner, int, error) {
	count := m.chunk(remaining)
	if r, ok := m.forward[count]; ok {
		return r, count, nil
	}
	pass, err := buildSafely(m.net, m.scale, count)
	if err != nil && count > 1 {
		m.perImage = true
		return m.runner(1)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: build graph: %w", m.name, err)
	}
	r := newRunner(pass)
	evict(m.forward)
	m.forward[count] = r
	return r, count, nil
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
		images:  tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(pass.input.Shape()...)),
	}
}

// run returns the logits of the batch of images whose pixels are given.
// The slice is valid until the next run.
func (r *runner) run(pixels []float32) (logits []float32, err error) {
	defer recoverError(&err)
	defer r.machine.Reset()

	copy(r.images.Data().([]float32), pixels)
	if err := gorgonia.Let(r.pass.input, r.images); err != nil {
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
