package ops

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gradCase builds one op on fresh input nodes and returns its output and
// the nodes to differentiate with respect to.
type gradCase struct {
	name  string
	eps   float32
	build func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes, error)
}

func inputNode(g *gorgonia.ExprGraph, rng *rand.Rand, name string, shape ...int) *gorgonia.Node {
	return gorgonia.NewTensor(g, tensor.Float32, len(shape), gorgonia.WithShape(shape...),
		gorgonia.WithName(name), gorgonia.WithValue(randomTensor(rng, 1, shape...)))
}

func convCase(batch, c, h, w, o, k, stride, pad int, bias bool) gradCase {
	return gradCase{
		name: fmt.Sprintf("Conv2D/%dx%dx%dx%d/o=%d/k=%d/s=%d/p=%d/bias=%v",
			batch, c, h, w, o, k, stride, pad, bias),
		eps: 1e-2,
		build: func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes, error) {
			x := inputNode(g, rng, "x", batch, c, h, w)
			weight := inputNode(g, rng, "w", o, c, k, k)
			wrt := gorgonia.Nodes{x, weight}
			var b *gorgonia.Node
			if bias {
				b = inputNode(g, rng, "b", o)
				wrt = append(wrt, b)
			}
			y, err := Conv2D(x, weight, b, stride, pad)
			return y, wrt, err
		},
	}
}

var gradCases = []gradCase{
	convCase(1, 3, 5, 7, 4, 3, 1, 1, true),
	convCase(3, 2, 7, 6, 5, 3, 2, 0, false),
	convCase(2, 5, 6, 6, 7, 3, 2, 2, true),
	{
		name: "Linear/5x7x3",
		eps:  1e-2,
		build: func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes, error) {
			x := inputNode(g, rng, "x", 5, 7)
			w := inputNode(g, rng, "w", 3, 7)
			b := inputNode(g, rng, "b", 3)
			y, err := Linear(x, w, b)
			return y, gorgonia.Nodes{x, w, b}, err
		},
	},
	{
		name: "Linear/no bias",
		eps:  1e-2,
		build: func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes, error) {
			x := inputNode(g, rng, "x", 3, 4)
			w := inputNode(g, rng, "w", 6, 4)
			y, err := Linear(x, w, nil)
			return y, gorgonia.Nodes{x, w}, err
		},
	},
	{
		name: "MaxPool2D/3x2x5x7",
		eps:  1e-3,
		build: func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes, error) {
			x := inputNode(g, rng, "x", 3, 2, 5, 7)
			y, err := MaxPool2D(x, 2, 2)
			return y, gorgonia.Nodes{x}, err
		},
	},
	{
		name: "ReLU/4x9",
		eps:  1e-3,
		build: func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes, error) {
			x := inputNode(g, rng, "x", 4, 9)
			// Keep inputs away from the kink at 0, where the finite
			// difference is not the derivative.
			for i, v := range x.Value().Data().([]float32) {
				if math.Abs(float64(v)) < 0.05 {
					x.Value().Data().([]float32)[i] = 0.5
				}
			}
			y, err := ReLU(x)
			return y, gorgonia.Nodes{x}, err
		},
	},
}

// TestGradientsMatchFiniteDifferences differentiates sum(op(inputs) * r)
// for a fixed random r through gorgonia.Grad and compares each input
// gradient with central finite differences.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, tc := range gradCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(11))
			g := gorgonia.NewGraph()
			y, wrt, err := tc.build(g, rng)
			if err != nil {
				t.Fatal(err)
			}
			weights := inputNode(g, rng, "r", y.Shape()...)
			cost := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, weights))))
			grads, err := gorgonia.Grad(cost, wrt...)
			if err != nil {
				t.Fatal(err)
			}
			m := gorgonia.NewTapeMachine(g)
			defer m.Close()
			run := func() float64 {
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				defer m.Reset()
				return float64(cost.Value().Data().(float32))
			}
			run()
			analytic := make([][]float32, len(grads))
			for i, gr := range grads {
				analytic[i] = append([]float32(nil), gr.Value().Data().([]float32)...)
			}

			for i, n := range wrt {
				data := n.Value().Data().([]float32)
				for _, k := range sampleIndices(rng, len(data), 25) {
					orig := data[k]
					data[k] = orig + tc.eps
					up := run()
					data[k] = orig - tc.eps
					down := run()
					data[k] = orig
					numeric := (up - down) / (2 * float64(tc.eps))
					got := float64(analytic[i][k])
					if math.Abs(got-numeric) > 2e-2*math.Max(1, math.Abs(numeric)) {
						t.Errorf("d cost/d %s[%d] = %g, finite difference %g", n.Name(), k, got, numeric)
					}
				}
			}
		})
	}
}

// sampleIndices returns up to count distinct indices below n.
func sampleIndices(rng *rand.Rand, n, count int) []int {
	if n <= count {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all
	}
	return rng.Perm(n)[:count]
}

// TestSmallCNNMatchesGorgonia builds the small CNN from gorgonia's ops and
// from this package's with the same parameters and compares the parameter
// gradients after one forward and backward pass.
func TestSmallCNNMatchesGorgonia(t *testing.T) {
	want := newSmallCNN(t, gorgoniaLayers, 3)
	defer want.machine.Close()
	got := newSmallCNN(t, fastLayers, 3)
	defer got.machine.Close()
	if err := want.machine.RunAll(); err != nil {
		t.Fatal(err)
	}
	if err := got.machine.RunAll(); err != nil {
		t.Fatal(err)
	}

	for i, p := range want.params {
		wantGrad, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		gotGrad, err := got.params[i].Grad()
		if err != nil {
			t.Fatal(err)
		}
		w := wantGrad.Data().([]float32)
		for k, v := range gotGrad.Data().([]float32) {
			if math.Abs(float64(v-w[k])) > 1e-4*math.Max(1e-2, math.Abs(float64(w[k]))) {
				t.Fatalf("gradient of %s[%d] = %g, gorgonia gives %g", p.Name(), k, v, w[k])
			}
		}
	}
}

func TestConv2DRejectsBadShapes(t *testing.T) {
	g := gorgonia.NewGraph()
	rng := rand.New(rand.NewSource(1))
	x := inputNode(g, rng, "x", 2, 3, 8, 8)
	w := inputNode(g, rng, "w", 4, 5, 3, 3)
	if _, err := Conv2D(x, w, nil, 1, 1); err == nil {
		t.Error("channel mismatch accepted")
	}
	w2 := inputNode(g, rng, "w2", 4, 3, 3, 3)
	if _, err := Conv2D(x, w2, nil, 0, 1); err == nil {
		t.Error("stride 0 accepted")
	}
	b := inputNode(g, rng, "b", 5)
	if _, err := Conv2D(x, w2, b, 1, 1); err == nil {
		t.Error("bias of the wrong length accepted")
	}
}

// TestOpsNeverShareHash checks that two ops of one kind and shape hash
// differently, so gorgonia never merges their nodes on a hash collision.
func TestOpsNeverShareHash(t *testing.T) {
	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(1, 2, 5, 5),
		gorgonia.WithName("x"), gorgonia.WithInit(gorgonia.RangedFrom(0)))
	first, err := ReLU(x)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ReLU(x)
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatal("two ReLU ops on one input became one node")
	}
	if first.Op().Hashcode() == second.Op().Hashcode() {
		t.Errorf("two ReLU ops hash alike (%d), so colliding nodes could merge",
			first.Op().Hashcode())
	}
}
