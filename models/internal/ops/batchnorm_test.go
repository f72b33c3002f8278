package ops

import (
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/gorgonia"
)

// The BatchNorm and ChannelAffine cases join the finite-difference checks
// of TestGradientsMatchFiniteDifferences.
func init() {
	gradCases = append(gradCases,
		batchNormCase("BatchNorm/3x2x3x4", false, 3, 2, 3, 4),
		batchNormCase("BatchNorm/6x5", false, 6, 5),
		batchNormCase("BatchNormReLU/3x2x3x4", true, 3, 2, 3, 4),
		gradCase{
			name: "ChannelAffine/2x3x2x2",
			eps:  1e-2,
			build: func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes,
				error) {
				x := inputNode(g, rng, "x", 2, 3, 2, 2)
				scale := inputNode(g, rng, "scale", 3)
				shift := inputNode(g, rng, "shift", 3)
				y, err := ChannelAffine(x, scale, shift)
				return y, gorgonia.Nodes{x, scale, shift}, err
			},
		})
}

// batchNormCase checks BatchNorm, or with relu BatchNormReLU with a bias
// around zero so that the ReLU zeroes some outputs.
func batchNormCase(name string, relu bool, shape ...int) gradCase {
	normalise, eps := BatchNorm, float32(1e-2)
	if relu {
		normalise, eps = BatchNormReLU, 1e-3
	}
	return gradCase{
		name: name,
		eps:  eps,
		build: func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes, error) {
			x := inputNode(g, rng, "x", shape...)
			weight := inputNode(g, rng, "weight", shape[1])
			bias := inputNode(g, rng, "bias", shape[1])
			if relu {
				for i := range bias.Value().Data().([]float32) {
					bias.Value().Data().([]float32)[i] -= 0.5
				}
			}
			y, _, err := normalise(x, weight, bias, 1e-5)
			return y, gorgonia.Nodes{x, weight, bias}, err
		},
	}
}

func TestBatchNormMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	g := gorgonia.NewGraph()
	x := inputNode(g, rng, "x", 3, 2, 2, 2)
	weight := inputNode(g, rng, "weight", 2)
	bias := inputNode(g, rng, "bias", 2)
	y, stats, err := BatchNorm(x, weight, bias, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}

	xs := x.Value().Data().([]float32)
	ws := weight.Value().Data().([]float32)
	bs := bias.Value().Data().([]float32)
	got := y.Value().Data().([]float32)
	gotStats := stats.Value().Data().([]float32)
	for c := range 2 {
		var values []float64
		for n := range 3 {
			for p := range 4 {
				values = append(values, float64(xs[(n*2+c)*4+p]))
			}
		}
		var mean, variance float64
		for _, v := range values {
			mean += v / float64(len(values))
		}
		for _, v := range values {
			variance += (v - mean) * (v - mean) / float64(len(values))
		}
		if math.Abs(float64(gotStats[c])-mean) > 1e-6 {
			t.Errorf("channel %d mean %g, want %g", c, gotStats[c], mean)
		}
		if math.Abs(float64(gotStats[2+c])-variance) > 1e-6 {
			t.Errorf("channel %d variance %g, want %g", c, gotStats[2+c], variance)
		}
		for n := range 3 {
			for p := range 4 {
				i := (n*2+c)*4 + p
				want := (float64(xs[i])-mean)/math.Sqrt(variance+1e-5)*float64(ws[c]) +
					float64(bs[c])
				if math.Abs(float64(got[i])-want) > 1e-5 {
					t.Errorf("output %d is %g, want %g", i, got[i], want)
				}
			}
		}
	}
}

func TestBatchNormRejectsBadShapes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	g := gorgonia.NewGraph()
	x := inputNode(g, rng, "x", 2, 3, 4)
	weight := inputNode(g, rng, "weight", 3)
	if _, _, err := BatchNorm(x, weight, weight, 1e-5); err == nil {
		t.Errorf("BatchNorm accepted a rank-3 input")
	}
	x4 := inputNode(g, rng, "x4", 2, 3, 2, 2)
	short := inputNode(g, rng, "short", 2)
	if _, _, err := BatchNorm(x4, short, weight, 1e-5); err == nil {
		t.Errorf("BatchNorm accepted a weight of length 2 for 3 channels")
	}
	if _, err := ChannelAffine(x4, weight, short); err == nil {
		t.Errorf("ChannelAffine accepted a shift of length 2 for 3 channels")
	}
}
