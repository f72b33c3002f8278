package models

import (
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// weightedSumGraph builds s's forward pass of x in mode, followed by the
// loss sum(out * r) with a fixed random r, and the gradients of that loss
// with respect to x and every parameter of s.
type weightedSumGraph struct {
	x         *gorgonia.Node
	out, loss *gorgonia.Node
	grads     gorgonia.Nodes // input first, then s.Params()
	machine   gorgonia.VM
}

func newWeightedSumGraph(t *testing.T, s *Sequential, x *tensor.Dense, mode Mode,
	rng *rand.Rand) *weightedSumGraph {
	t.Helper()
	g := gorgonia.NewGraph()
	w := &weightedSumGraph{}
	w.x = gorgonia.NewTensor(g, tensor.Float32, x.Dims(), gorgonia.WithShape(x.Shape().Clone()...),
		gorgonia.WithName("input"), gorgonia.WithValue(x))
	out, err := s.Forward(w.x, mode)
	if err != nil {
		t.Fatalf("Forward: %v", err)
	}
	w.out = out

	weights := randomImages(rng, out.Shape()...)
	weighted := gorgonia.Must(gorgonia.HadamardProd(out, g.Constant(weights)))
	w.loss = gorgonia.Must(gorgonia.Sum(weighted))

	wrt := gorgonia.Nodes{w.x}
	for _, p := range s.Params() {
		wrt = append(wrt, g.ByName(p.Name)[0])
	}
	if w.grads, err = gorgonia.Grad(w.loss, wrt...); err != nil {
		t.Fatalf("Grad: %v", err)
	}
	w.machine = gorgonia.NewTapeMachine(g)
	t.Cleanup(func() { w.machine.Close() })
	return w
}

func (w *weightedSumGraph) run(t *testing.T) float64 {
	t.Helper()
	w.machine.Reset()
	if err := w.machine.RunAll(); err != nil {
		t.Fatalf("RunAll: %v", err)
	}
	loss, err := scalarValue(w.loss.Value())
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

// checkSequentialGradients compares the gradients of sum(out * r) with
// respect to x and to each parameter of s against central differences at
// a few random coordinates.
func checkSequentialGradients(t *testing.T, s *Sequential, x *tensor.Dense, mode Mode,
	seed int64) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	w := newWeightedSumGraph(t, s, x, mode, rng)
	w.run(t)

	tensors := [][]float32{x.Data().([]float32)}
	names := []string{"input"}
	for _, p := range s.Params() {
		tensors = append(tensors, p.Value.Data().([]float32))
		names = append(names, p.Name)
	}
	analytic := make([][]float32, len(w.grads))
	for i, grad := range w.grads {
		analytic[i] = append([]float32(nil), grad.Value().Data().([]float32)...)
	}

	checked, tried := 0, 0
	for i, values := range tensors {
		for range 3 {
			j := rng.Intn(len(values))
			saved := values[j]
			center := w.run(t)
			values[j] = saved + fdStep
			plus := w.run(t)
			values[j] = saved - fdStep
			minus := w.run(t)
			values[j] = saved

			tried++
			if crossesKink(plus, center, minus) {
				continue
			}
			checked++
			numeric := (plus - minus) / (2 * fdStep)
			if !closeEnough(float64(analytic[i][j]), numeric, fdAbsTol, fdRelTol) {
				t.Errorf("%s[%d]: gradient %g, finite difference %g", names[i], j,
					analytic[i][j], numeric)
			}
		}
	}
	if checked < tried/2 {
		t.Fatalf("only %d of %d coordinates were away from kinks", checked, tried)
	}
}

func mustSequential(t *testing.T, input []int, layers []Layer, seed int64) *Sequential {
	t.Helper()
	s, err := NewSequential("seq", input, layers, rand.New(rand.NewSource(seed)))
	if err != nil {
		t.Fatalf("NewSequential: %v", err)
	}
	return s
}

// randomizeBatchNorm gives the BatchNorm parameters and buffers of s
// values away from their initial 1 and 0, so that tests see their effect.
func randomizeBatchNorm(s *Sequential, rng *rand.Rand) {
	for _, p := range append(s.Params(), s.Buffers()...) {
		if p.Value.Dims() != 1 {
			continue
		}
		for i := range p.Value.Data().([]float32) {
			p.Value.Data().([]float32)[i] = 0.5 + rng.Float32()
		}
	}
}

func TestBatchNormTrainFiniteDifference(t *testing.T) {
	cases := []struct {
		name   string
		input  []int
		batch  int
		layers []Layer
	}{
		{"channels", []int{3, 3, 3}, 4, []Layer{{Kind: BatchNorm}}},
		{"features", []int{5}, 6, []Layer{{Kind: BatchNorm}}},
		{"channels then relu", []int{3, 3, 3}, 4, []Layer{{Kind: BatchNorm}, {Kind: ReLU}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			s := mustSequential(t, c.input, c.layers, 1)
			randomizeBatchNorm(s, rng)
			x := randomImages(rng, append([]int{c.batch}, c.input...)...)
			checkSequentialGradients(t, s, x, Train, 2)
		})
	}
}

// channelStats returns the mean and the biased and unbiased variances of
// each channel of x (N x C x H x W).
func channelStats(x *tensor.Dense) (mean, biased, unbiased []float64) {
	shape := x.Shape()
	n, c, pixels := shape[0], shape[1], shape[2]*shape[3]
	data := x.Data().([]float32)
	mean = make([]float64, c)
	biased = make([]float64, c)
	unbiased = make([]float64, c)
	count := float64(n * pixels)
	for ch := range c {
		var sum, squares float64
		for i := range n {
			for _, v := range data[(i*c+ch)*pixels : (i*c+ch+1)*pixels] {
				sum += float64(v)
				squares += float64(v) * float64(v)
			}
		}
		mean[ch] = sum / count
		biased[ch] = squares/count - mean[ch]*mean[ch]
		unbiased[ch] = biased[ch] * count / (count - 1)
	}
	return mean, biased, unbiased
}

func TestBatchNormTrainOutput(t *testing.T) {
	for _, relu := range []bool{false, true} {
		rng := rand.New(rand.NewSource(3))
		layers := []Layer{{Kind: BatchNorm}}
		if relu {
			layers = append(layers, Layer{Kind: ReLU})
		}
		s := mustSequential(t, []int{2, 3, 3}, layers, 1)
		randomizeBatchNorm(s, rng)
		bias := s.Params()[1].Value.Data().([]float32)
		bias[0] = -0.5 // so that the ReLU zeroes some outputs
		x := randomImages(rng, 4, 2, 3, 3)

		w := newWeightedSumGraph(t, s, x, Train, rng)
		w.run(t)
		got := w.out.Value().Data().([]float32)

		mean, biased, _ := channelStats(x)
		weight := s.Params()[0].Value.Data().([]float32)
		for i, v := range x.Data().([]float32) {
			ch := (i / 9) % 2
			want := (float64(v)-mean[ch])/math.Sqrt(biased[ch]+BatchNormEps)*
				float64(weight[ch]) + float64(bias[ch])
			if relu {
				want = max(want, 0)
			}
			if !closeEnough(float64(got[i]), want, 1e-5, 1e-4) {
				t.Fatalf("relu %v: output %d is %g, want %g", relu, i, got[i], want)
			}
		}
	}
}

func TestBatchNormEvalUsesRunningStats(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	s := mustSequential(t, []int{2, 3, 3}, []Layer{{Kind: BatchNorm}}, 1)
	randomizeBatchNorm(s, rng)
	x := randomImages(rng, 3, 2, 3, 3)

	got := runSequential(t, s, x)

	weight := s.Params()[0].Value.Data().([]float32)
	bias := s.Params()[1].Value.Data().([]float32)
	mean := s.Buffers()[0].Value.Data().([]float32)
	variance := s.Buffers()[1].Value.Data().([]float32)
	for i, v := range x.Data().([]float32) {
		ch := (i / 9) % 2
		want := float64(v-mean[ch])/math.Sqrt(float64(variance[ch])+BatchNormEps)*
			float64(weight[ch]) + float64(bias[ch])
		if !closeEnough(float64(got[i]), want, 1e-5, 1e-4) {
			t.Fatalf("output %d is %g, want %g", i, got[i], want)
		}
	}

	single := runSequential(t, s, imageSlice(x, 1, 2))
	for i, v := range single {
		if v != got[18+i] {
			t.Fatalf("image 1 alone gives output %d = %g, in the batch %g", i, v, got[18+i])
		}
	}
}

// batchNormSpec is a tiny backbone whose stem normalises the raw pixels,
// so that the batch statistics are those of the input.
func batchNormSpec() Spec {
	return Spec{
		Name:    "bnnet",
		Input:   []int{2, 4, 4},
		Classes: 4,
		Stem:    []Layer{{Kind: BatchNorm}},
		Stages: []Stage{{Layers: []Layer{
			{Kind: Conv, Out: 3, Kernel: 3, Pad: 1, NoBias: true},
			{Kind: BatchNorm},
			{Kind: ReLU},
		}}},
		Head: []Layer{{Kind: Flatten}, {Kind: BatchNorm}, {Kind: Linear, Out: 4}},
	}
}

func TestTrainUpdatesRunningStats(t *testing.T) {
	m := mustModel(t, batchNormSpec(), 5)
	data := separableDataset(8, []int{2, 4, 4}, 6)
	x, _, err := loadBatch(data, []int{0, 1, 2, 3, 4, 5, 6, 7})
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := TrainModel(m, data, TrainConfig{BatchSize: 8}); err != nil {
		t.Fatalf("TrainModel: %v", err)
	}

	mean, _, unbiased := channelStats(x)
	buffers := m.Net().(Buffered).Buffers()
	runningMean := buffers[0].Value.Data().([]float32)
	runningVar := buffers[1].Value.Data().([]float32)
	for ch := range mean {
		wantMean := BatchNormMomentum * mean[ch]
		wantVar := 1 - BatchNormMomentum + BatchNormMomentum*unbiased[ch]
		if !closeEnough(float64(runningMean[ch]), wantMean, 1e-6, 1e-4) {
			t.Errorf("running mean %d is %g, want %g", ch, runningMean[ch], wantMean)
		}
		if !closeEnough(float64(runningVar[ch]), wantVar, 1e-6, 1e-4) {
			t.Errorf("running variance %d is %g, want %g", ch, runningVar[ch], wantVar)
		}
	}

	after, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	if after.Data().([]float32)[0] == before.Data().([]float32)[0] {
		t.Errorf("Eval logits did not change after training")
	}
}

func TestStateListsBuffersAfterParams(t *testing.T) {
	b, err := NewBackbone(batchNormSpec(), 1)
	if err != nil {
		t.Fatal(err)
	}
	state := State(b)
	params, buffers := b.Params(), b.Buffers()
	if len(buffers) != 6 {
		t.Fatalf("got %d buffers, want 6 (mean and variance of three BatchNorms)", len(buffers))
	}
	if len(state) != len(params)+len(buffers) {
		t.Fatalf("State has %d tensors, want %d", len(state), len(params)+len(buffers))
	}
	if state[len(params)] != buffers[0] {
		t.Errorf("State[%d] is %s, want the first buffer %s", len(params),
			state[len(params)].Name, buffers[0].Name)
	}
	if buffers[0].Name != "stem.0.running_mean" || buffers[1].Name != "stem.0.running_var" {
		t.Errorf("buffer names are %q and %q, want stem.0.running_mean and stem.0.running_var",
			buffers[0].Name, buffers[1].Name)
	}
}

func TestCheckpointRoundTripsRunningStats(t *testing.T) {
	m := mustModel(t, batchNormSpec(), 7)
	data := separableDataset(8, []int{2, 4, 4}, 8)
	if _, err := TrainModel(m, data, TrainConfig{BatchSize: 4}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bn.ckpt")
	if err := SaveCheckpoint(path, checkpointTestMeta(), m.State()); err != nil {
		t.Fatalf("SaveCheckpoint: %v", err)
	}

	fresh := mustModel(t, batchNormSpec(), 9)
	checkpoint, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatalf("LoadCheckpoint: %v", err)
	}
	if err := checkpoint.Apply(fresh.State()); err != nil {
		t.Fatalf("Apply: %v", err)
	}

	want := m.Net().(Buffered).Buffers()
	for i, buffer := range fresh.Net().(Buffered).Buffers() {
		got := buffer.Value.Data().([]float32)
		for j, v := range want[i].Value.Data().([]float32) {
			if got[j] != v {
				t.Fatalf("%s[%d] is %g after loading, want %g", buffer.Name, j, got[j], v)
			}
		}
	}
	if want[1].Value.Data().([]float32)[0] == 1 {
		t.Errorf("running variance is still 1 after training, so the test checks nothing")
	}
}
