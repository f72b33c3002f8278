package models

import (
	"fmt"
	"math"
	"sync"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Model runs a Net on gorgonia graphs and implements Differentiable. It
// builds one graph per batch size and purpose (logits, input gradient,
// training step) on first use and reruns it afterwards. All graphs read
// the Net's Params, so a training step is seen by every graph. A Model is
// safe for concurrent use, but calls run one at a time.
//
// NOTE: graphs are kept for the Model's lifetime with their buffers, so
// every distinct batch size up to MaxGraphBatch costs memory.
type Model struct {
	net     Net
	input   []int
	classes int

	mu     sync.Mutex
	graphs map[graphKey]*graph
}

type purpose int

const (
	purposeLogits purpose = iota
	purposeInputGradient
	purposeTrain
)

type graphKey struct {
	batch   int
	purpose purpose
}

// graph is one compiled graph with the nodes its purpose reads.
type graph struct {
	g       *gorgonia.ExprGraph
	machine gorgonia.VM

	x, targets   *gorgonia.Node
	xValue       *tensor.Dense
	targetsValue *tensor.Dense

	logits    *gorgonia.Node
	losses    *gorgonia.Node // per-image attack losses (input gradient)
	loss      *gorgonia.Node // scalar training loss
	inputGrad *gorgonia.Node

	params     []*Param
	paramGrads []*gorgonia.Node

	// stateUpdates update running statistics (BatchNorm) from the values
	// the last run read; a training step calls them after the optimiser.
	stateUpdates []stateUpdate
}

// NewModel returns a Model that runs net on images of shape input
// (C x H x W) and gives classes logits per image.
func NewModel(net Net, input []int, classes int) *Model {
	return &Model{
		net:     net,
		input:   append([]int(nil), input...),
		classes: classes,
		graphs:  make(map[graphKey]*graph),
	}
}

// NewModelFromSpec builds the backbone of spec with weights from seed and
// wraps it in a Model.
func NewModelFromSpec(spec Spec, seed int64) (*Model, error) {
	b, err := NewBackbone(spec, seed)
	if err != nil {
		return nil, err
	}
	return NewModel(b, spec.Input, spec.Classes), nil
}

// Net returns the network the model runs.
func (m *Model) Net() Net { return m.net }

// Params returns the Net's parameters.
func (m *Model) Params() []*Param { return m.net.Params() }

// State returns the Net's parameters and buffers (see State), the tensors a
// checkpoint must hold.
func (m *Model) State() []*Param { return State(m.net) }

// InputShape returns the image shape C x H x W.
func (m *Model) InputShape() []int { return append([]int(nil), m.input...) }

// Classes returns the number of logits per image.
func (m *Model) Classes() int { return m.classes }

// MaxGraphBatch is the largest batch one graph runs. Logits and
// InputGradient split larger batches into chunks of this many images (and
// a remainder), which bounds the memory a graph holds; the results do not
// depend on the split because images do not interact.
const MaxGraphBatch = 256

// Logits returns the N x Classes logits of x (N x C x H x W, pixels in
// [0, 1]) in Eval mode. The result is a fresh tensor the caller may keep.
func (m *Model) Logits(x *tensor.Dense) (*tensor.Dense, error) {
	x = contiguous(x)
	if err := m.checkInput(x); err != nil {
		return nil, fmt.Errorf("logits: %w", err)
	}

	m.mu.Lock()
	defer m.mu.Unlock()

	batch := x.Shape()[0]
	logits := make([]float32, 0, batch*m.classes)
	for start := 0; start < batch; start += MaxGraphBatch {
		chunk := imageRange(x, start, min(start+MaxGraphBatch, batch))
		gr, err := m.graphFor(chunk.Shape()[0], purposeLogits)
		if err != nil {
			return nil, fmt.Errorf("logits: %w", err)
		}
		if err := gr.run(chunk, nil); err != nil {
			return nil, fmt.Errorf("logits: %w", err)
		}
		logits = append(logits, gr.logits.Value().Data().([]float32)...)
	}
	return tensor.New(tensor.WithShape(batch, m.classes), tensor.WithBacking(logits)), nil
}

// InputGradient returns, in Eval mode, the attack loss of each image of x
// and its gradient with respect to x. The attack loss is the Net's
// AttackLoss when it implements AttackLosser and the cross-entropy of the
// logits otherwise. The per-image losses are summed before
// differentiation, so image i's gradient is that of its own loss.
func (m *Model) InputGradient(x *tensor.Dense, labels []int) (*tensor.Dense, []float32, error) {
	x = contiguous(x)
	if err := m.checkInput(x); err != nil {
		return nil, nil, fmt.Errorf("input gradient: %w", err)
	}
	batch := x.Shape()[0]
	if len(labels) != batch {
		return nil, nil, fmt.Errorf("input gradient: got %d labels for %d images",
			len(labels), batch)
	}

	m.mu.Lock()
	defer m.mu.Unlock()

	grad := make([]float32, 0, x.Shape().TotalSize())
	losses := make([]float32, 0, batch)
	for start := 0; start < batch; start += MaxGraphBatch {
		end := min(start+MaxGraphBatch, batch)
		chunk := imageRange(x, start, end)
		gr, err := m.graphFor(end-start, purposeInputGradient)
		if err != nil {
			return nil, nil, fmt.Errorf("input gradient: %w", err)
		}
		if err := gr.run(chunk, labels[start:end]); err != nil {
			return nil, nil, fmt.Errorf("input gradient: %w", err)
		}
		losses = append(losses, gr.losses.Value().Data().([]float32)...)
		grad = append(grad, gr.inputGrad.Value().Data().([]float32)...)
	}

	shape := x.Shape().Clone()
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(grad)), losses, nil
}

// contiguous returns x, or a contiguous copy when x is a view, because the
// runner reads the backing slice in order.
func contiguous(x *tensor.Dense) *tensor.Dense {
	if x == nil || !x.IsView() {
		return x
	}
	return x.Materialize().(*tensor.Dense)
}

// imageRange returns images [from, to) of x as a tensor that shares x's
// memory, or x itself when the range covers it.
func imageRange(x *tensor.Dense, from, to int) *tensor.Dense {
	shape := x.Shape()
	if from == 0 && to == shape[0] {
		return x
	}
	size := product(shape[1:])
	data := x.Data().([]float32)[from*size : to*size]
	chunkShape := append([]int{to - from}, shape[1:]...)
	return tensor.New(tensor.WithShape(chunkShape...), tensor.WithBacking(data))
}

// graphFor returns the cached graph for the batch size and purpose,
// building it on first use.
func (m *Model) graphFor(batch int, p purpose) (*graph, error) {
	key := graphKey{batch: batch, purpose: p}
	if gr, ok := m.graphs[key]; ok {
		return gr, nil
	}
	gr, err := m.buildGraph(key)
	if err != nil {
		return nil, err
	}
	m.graphs[key] = gr
	return gr, nil
}

// checkInput checks x's dtype, shape and values.
func (m *Model) checkInput(x *tensor.Dense) error {
	if x == nil {
		return fmt.Errorf("input is nil, want N x %v", m.input)
	}
	if x.Dtype() != tensor.Float32 {
		return fmt.Errorf("input has dtype %v, want float32", x.Dtype())
	}

	if len(m.input) != 3 {
		return fmt.Errorf("model input shape is %v, want C x H x W; fix the NewModel call", m.input)
	}
	shape := x.Shape()
	if len(shape) != 4 || shape[0] <= 0 {
		return fmt.Errorf("input has shape %v, want N x %v with N >= 1", shape, m.input)
	}
	for i, d := range m.input {
		if shape[i+1] != d {
			return fmt.Errorf("input has shape %v, want N x %v", shape, m.input)
		}
	}
	return checkFinite(x)
}

// checkFinite rejects NaN and infinite pixels. Besides being invalid
// input, they would crash the process: gorgonia v0.9.18's max-pool
// gradient indexes its input at -1 for a window that holds no number
// above -MaxFloat32, and it runs on a goroutine that cannot be recovered.
func checkFinite(x *tensor.Dense) error {
	for i, v := range x.Data().([]float32) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("input value %d is %v, want a finite pixel", i, v)
		}
	}
	return nil
}

// buildGraph builds and compiles the graph for key. gorgonia panics on
// some invalid graphs (shape mismatches inside its ops); those panics
// happen on this goroutine and come back as errors.
func (m *Model) buildGraph(key graphKey) (gr *graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			gr, err = nil, fmt.Errorf("build graph for batch %d: gorgonia panicked: %v", key.batch, r)
		}
	}()

	shape := append([]int{key.batch}, m.input...)
	gr = &graph{
		g:            gorgonia.NewGraph(),
		xValue:       tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32)),
		targetsValue: tensor.New(tensor.WithShape(key.batch, m.classes), tensor.Of(tensor.Float32)),
	}
	gr.x = gorgonia.NewTensor(gr.g, tensor.Float32, 4, gorgonia.WithShape(shape...),
		gorgonia.WithName("input"), gorgonia.WithValue(gr.xValue))

	mode := Eval
	if key.purpose == purposeTrain {
		mode = Train
	}
	out, err := m.net.Forward(gr.x, mode)
	if err != nil {
		return nil, fmt.Errorf("build graph for batch %d: %w", key.batch, err)
	}
	if err := m.checkLogits(out.Logits, key.batch); err != nil {
		return nil, err
	}
	gr.logits = out.Logits
	gr.stateUpdates = takeStateUpdates(gr.g)

	if key.purpose != purposeLogits {
		gr.targets = gorgonia.NewTensor(gr.g, tensor.Float32, 2,
			gorgonia.WithShape(key.batch, m.classes), gorgonia.WithName("targets"),
			gorgonia.WithValue(gr.targetsValue))
	}
	switch key.purpose {
	case purposeInputGradient:
		err = m.addInputGradient(gr, out)
	case purposeTrain:
		err = m.addTrainGradient(gr, out)
	}
	if err != nil {
		return nil, fmt.Errorf("build graph for batch %d: %w", key.batch, err)
	}

	gr.machine = gorgonia.NewTapeMachine(gr.g.SubgraphRoots(gr.outputs()...))
	return gr, nil
}

// outputs returns the nodes a graph's purpose reads, and the tape machine
// runs only what they need. gorgonia.Grad adds a gradient node for every
// input of every op on the way back, such as the weight gradients of an
// input gradient graph or the image gradient of a training graph. A
// machine of the whole graph would compute them all. A training graph also
// keeps the Read nodes that copy BatchNorm's batch statistics.
func (gr *graph) outputs() gorgonia.Nodes {
	switch {
	case gr.inputGrad != nil:
		return gorgonia.Nodes{gr.losses, gr.inputGrad}
	case gr.loss != nil:
		roots := append(gorgonia.Nodes{gr.loss}, gr.paramGrads...)
		for _, update := range gr.stateUpdates {
			roots = append(roots, update.read)
		}
		return roots
	default:
		return gorgonia.Nodes{gr.logits}
	}
}

func (m *Model) checkLogits(logits *gorgonia.Node, batch int) error {
	if logits == nil {
		return fmt.Errorf("net returned no logits")
	}
	want := []int{batch, m.classes}
	if !logits.Shape().Eq(want) {
		return fmt.Errorf("net returned logits of shape %v, want %v", logits.Shape(), want)
	}
	return nil
}

func (m *Model) addInputGradient(gr *graph, out Outputs) error {
	var err error
	if losser, ok := m.net.(AttackLosser); ok {
		gr.losses, err = losser.AttackLoss(out, gr.targets)
	} else {
		gr.losses, err = CrossEntropy(out.Logits, gr.targets)
	}
	if err != nil {
		return fmt.Errorf("attack loss: %w", err)
	}
	if !gr.losses.Shape().Eq(tensor.Shape{gr.x.Shape()[0]}) {
		return fmt.Errorf("attack loss has shape %v, want [%d]", gr.losses.Shape(), gr.x.Shape()[0])
	}

	total, err := gorgonia.Sum(gr.losses)
	if err != nil {
		return fmt.Errorf("sum attack losses: %w", err)
	}
	grads, err := gorgonia.Grad(total, gr.x)
	if err != nil {
		return fmt.Errorf("input gradient: %w", err)
	}
	gr.inputGrad = grads[0]
	return nil
}

func (m *Model) addTrainGradient(gr *graph, out Outputs) error {
	var err error
	if losser, ok := m.net.(TrainLosser); ok {
		gr.loss, err = losser.TrainLoss(out, gr.targets)
	} else {
		gr.loss, err = meanCrossEntropy(out.Logits, gr.targets)
	}
	if err != nil {
		return fmt.Errorf("train loss: %w", err)
	}
	if !gr.loss.IsScalar() {
		return fmt.Errorf("train loss has shape %v, want a scalar", gr.loss.Shape())
	}

	gr.params = m.net.Params()
	nodes := make([]*gorgonia.Node, len(gr.params))
	for i, p := range gr.params {
		found := gr.g.ByName(p.Name)
		if len(found) == 0 {
			return fmt.Errorf("param %s is not used by the forward pass", p.Name)
		}
		nodes[i] = found[0]
	}
	gr.paramGrads, err = gorgonia.Grad(gr.loss, nodes...)
	if err != nil {
		return fmt.Errorf("param gradients: %w", err)
	}
	return nil
}

func meanCrossEntropy(logits, targets *gorgonia.Node) (*gorgonia.Node, error) {
	losses, err := CrossEntropy(logits, targets)
	if err != nil {
		return nil, err
	}
	return gorgonia.Mean(losses)
}

// run copies x and the one-hot labels (when the graph has targets) into
// the graph's inputs and runs it.
func (gr *graph) run(x *tensor.Dense, labels []int) error {
	copy(gr.xValue.Data().([]float32), x.Data().([]float32))
	if err := gorgonia.Let(gr.x, gr.xValue); err != nil {
		return err
	}

	if gr.targets != nil {
		if err := oneHot(gr.targetsValue, labels); err != nil {
			return err
		}
		if err := gorgonia.Let(gr.targets, gr.targetsValue); err != nil {
			return err
		}
	}

	gr.machine.Reset()
	return gr.machine.RunAll()
}

// oneHot writes labels into dst (N x classes) as one-hot rows.
func oneHot(dst *tensor.Dense, labels []int) error {
	shape := dst.Shape()
	if len(labels) != shape[0] {
		return fmt.Errorf("got %d labels for a batch of %d", len(labels), shape[0])
	}

	data := dst.Data().([]float32)
	clear(data)
	for i, label := range labels {
		if label < 0 || label >= shape[1] {
			return fmt.Errorf("label %d of image %d is outside [0, %d)", label, i, shape[1])
		}
		data[i*shape[1]+label] = 1
	}
	return nil
}
