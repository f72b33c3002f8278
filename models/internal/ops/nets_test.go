package ops

import (
	"math/rand"
	"syscall"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// layerSet builds the layers of a benchmark network, either from gorgonia's
// own operations or from this package's, so both variants share one graph
// layout.
type layerSet struct {
	name   string
	conv   func(x, weight, bias *gorgonia.Node, stride, pad int) (*gorgonia.Node, error)
	linear func(x, weight, bias *gorgonia.Node) (*gorgonia.Node, error)
	pool   func(x *gorgonia.Node) (*gorgonia.Node, error)
	relu   func(x *gorgonia.Node) (*gorgonia.Node, error)
}

var gorgoniaLayers = layerSet{
	name:   "gorgonia",
	conv:   gorgoniaConv,
	linear: gorgoniaLinear,
	pool: func(x *gorgonia.Node) (*gorgonia.Node, error) {
		return gorgonia.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
	},
	relu: gorgonia.Rectify,
}

var fastLayers = layerSet{
	name:   "fast",
	conv:   Conv2D,
	linear: Linear,
	pool: func(x *gorgonia.Node) (*gorgonia.Node, error) {
		return MaxPool2D(x, 2, 2)
	},
	relu: ReLU,
}

func gorgoniaConv(x, weight, bias *gorgonia.Node, stride, pad int) (*gorgonia.Node, error) {
	ws := weight.Shape()
	y, err := gorgonia.Conv2d(x, weight, tensor.Shape{ws[2], ws[3]},
		[]int{pad, pad}, []int{stride, stride}, []int{1, 1})
	if err != nil {
		return nil, err
	}
	b4, err := gorgonia.Reshape(bias, tensor.Shape{1, ws[0], 1, 1})
	if err != nil {
		return nil, err
	}
	return gorgonia.BroadcastAdd(y, b4, nil, []byte{0, 2, 3})
}

func gorgoniaLinear(x, weight, bias *gorgonia.Node) (*gorgonia.Node, error) {
	transposed, err := gorgonia.Transpose(weight, 1, 0)
	if err != nil {
		return nil, err
	}
	y, err := gorgonia.Mul(x, transposed)
	if err != nil {
		return nil, err
	}
	b2, err := gorgonia.Reshape(bias, tensor.Shape{1, bias.Shape()[0]})
	if err != nil {
		return nil, err
	}
	return gorgonia.BroadcastAdd(y, b2, nil, []byte{0})
}

// benchNet is a compiled forward and backward pass of one network.
type benchNet struct {
	graph   *gorgonia.ExprGraph
	machine gorgonia.VM
	params  gorgonia.Nodes
	flops   float64 // forward multiply-adds times 2, times 3 for the backward pass
}

func randomTensor(rng *rand.Rand, scale float32, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	data := t.Data().([]float32)
	for i := range data {
		data[i] = scale * (2*rng.Float32() - 1)
	}
	return t
}

func newParam(g *gorgonia.ExprGraph, rng *rand.Rand, name string, shape ...int) *gorgonia.Node {
	fanIn := 1
	for _, s := range shape[1:] {
		fanIn *= s
	}
	if len(shape) == 1 {
		fanIn = 16
	}
	scale := float32(1) / float32(fanIn)
	return gorgonia.NewTensor(g, tensor.Float32, len(shape), gorgonia.WithShape(shape...),
		gorgonia.WithName(name), gorgonia.WithValue(randomTensor(rng, scale, shape...)))
}

func finishNet(tb testing.TB, g *gorgonia.ExprGraph, out *gorgonia.Node, params gorgonia.Nodes,
	flops float64) *benchNet {
	cost, err := gorgonia.Mean(out)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, params...); err != nil {
		tb.Fatal(err)
	}
	return &benchNet{graph: g, machine: gorgonia.NewTapeMachine(g), params: params, flops: flops}
}

// newConvNet builds the 3->64->64 network of 3x3 convolutions with padding 1
// and ReLU on 32x32 images.
func newConvNet(tb testing.TB, ls layerSet, batch int) *benchNet {
	must := mustFunc(tb)
	rng := rand.New(rand.NewSource(1))
	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(batch, 3, 32, 32),
		gorgonia.WithName("x"), gorgonia.WithValue(randomTensor(rng, 1, batch, 3, 32, 32)))
	w1 := newParam(g, rng, "w1", 64, 3, 3, 3)
	b1 := newParam(g, rng, "b1", 64)
	w2 := newParam(g, rng, "w2", 64, 64, 3, 3)
	b2 := newParam(g, rng, "b2", 64)

	h := must(ls.conv(x, w1, b1, 1, 1))
	h = must(ls.relu(h))
	h = must(ls.conv(h, w2, b2, 1, 1))
	h = must(ls.relu(h))

	macs := float64(batch) * 32 * 32 * 64 * 9 * (3 + 64)
	return finishNet(tb, g, h, gorgonia.Nodes{w1, b1, w2, b2}, 6*macs)
}

// newSmallCNN builds the MNIST-sized network: 1->32->64 convolutions (3x3,
// padding 1) each followed by ReLU and 2x2 max pooling, then fully connected
// layers 3136->128->10.
func newSmallCNN(tb testing.TB, ls layerSet, batch int) *benchNet {
	must := mustFunc(tb)
	rng := rand.New(rand.NewSource(2))
	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(batch, 1, 28, 28),
		gorgonia.WithName("x"), gorgonia.WithValue(randomTensor(rng, 1, batch, 1, 28, 28)))
	w1 := newParam(g, rng, "w1", 32, 1, 3, 3)
	b1 := newParam(g, rng, "b1", 32)
	w2 := newParam(g, rng, "w2", 64, 32, 3, 3)
	b2 := newParam(g, rng, "b2", 64)
	w3 := newParam(g, rng, "w3", 128, 3136)
	b3 := newParam(g, rng, "b3", 128)
	w4 := newParam(g, rng, "w4", 10, 128)
	b4 := newParam(g, rng, "b4", 10)

	h := must(ls.conv(x, w1, b1, 1, 1))
	h = must(ls.relu(h))
	h = must(ls.pool(h))
	h = must(ls.conv(h, w2, b2, 1, 1))
	h = must(ls.relu(h))
	h = must(ls.pool(h))
	h = must(gorgonia.Reshape(h, tensor.Shape{batch, 3136}))
	h = must(ls.linear(h, w3, b3))
	h = must(ls.relu(h))
	h = must(ls.linear(h, w4, b4))

	macs := float64(batch) * (28*28*32*9 + 14*14*64*32*9 + 3136*128 + 128*10)
	return finishNet(tb, g, h, gorgonia.Nodes{w1, b1, w2, b2, w3, b3, w4, b4}, 6*macs)
}

// mustFunc returns a helper that stops the test or benchmark on a graph
// construction error.
func mustFunc(tb testing.TB) func(*gorgonia.Node, error) *gorgonia.Node {
	return func(n *gorgonia.Node, err error) *gorgonia.Node {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return n
	}
}

func (n *benchNet) step(tb testing.TB) {
	if err := n.machine.RunAll(); err != nil {
		tb.Fatal(err)
	}
	n.machine.Reset()
}

func benchmarkNet(b *testing.B, build func(testing.TB, layerSet, int) *benchNet, batch int) {
	for _, ls := range []layerSet{gorgoniaLayers, fastLayers} {
		b.Run(ls.name, func(b *testing.B) {
			net := build(b, ls, batch)
			defer net.machine.Close()
			net.step(b)
			b.ResetTimer()
			start := processCPUTime(b)
			for i := 0; i < b.N; i++ {
				net.step(b)
			}
			cpu := processCPUTime(b) - start
			b.ReportMetric(net.flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}

// processCPUTime returns the user and system CPU time used by the process
// so far. On cores shared with other work it varies less than wall time.
func processCPUTime(tb testing.TB) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// BenchmarkConvNetStep times one forward and backward pass of the 3->64->64
// convolution network on a batch of 32 32x32 images.
func BenchmarkConvNetStep(b *testing.B) { benchmarkNet(b, newConvNet, 32) }

// BenchmarkSmallCNNStep times one forward and backward pass of the small CNN
// on a batch of 128 28x28 images.
func BenchmarkSmallCNNStep(b *testing.B) { benchmarkNet(b, newSmallCNN, 128) }
