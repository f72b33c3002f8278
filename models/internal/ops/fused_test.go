package ops

import (
	"math/rand"
	"testing"

	"gorgonia.org/gorgonia"
)

// The fused ops join the finite-difference checks of
// TestGradientsMatchFiniteDifferences.
func init() {
	gradCases = append(gradCases,
		gradCase{
			name: "AddReLU/2x3x2x2",
			eps:  1e-3,
			build: func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes,
				error) {
				a := inputNode(g, rng, "a", 2, 3, 2, 2)
				b := inputNode(g, rng, "b", 2, 3, 2, 2)
				y, err := AddReLU(a, b)
				return y, gorgonia.Nodes{a, b}, err
			},
		},
		gradCase{
			name: "ScaleRows/4x3x2x2",
			eps:  1e-2,
			build: func(g *gorgonia.ExprGraph, rng *rand.Rand) (*gorgonia.Node, gorgonia.Nodes,
				error) {
				w := inputNode(g, rng, "w", 4, 3, 2, 2)
				scale := inputNode(g, rng, "scale", 4)
				y, err := ScaleRows(w, scale)
				return y, gorgonia.Nodes{w, scale}, err
			},
		})
}

func TestAddReLUAndScaleRowsValues(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	g := gorgonia.NewGraph()
	a := inputNode(g, rng, "a", 3, 4)
	b := inputNode(g, rng, "b", 3, 4)
	scale := inputNode(g, rng, "scale", 3)
	sum, err := AddReLU(a, b)
	if err != nil {
		t.Fatal(err)
	}
	scaled, err := ScaleRows(a, scale)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}

	as := a.Value().Data().([]float32)
	bs := b.Value().Data().([]float32)
	ss := scale.Value().Data().([]float32)
	gotSum := sum.Value().Data().([]float32)
	gotScaled := scaled.Value().Data().([]float32)
	for i := range as {
		if want := max(as[i]+bs[i], 0); gotSum[i] != want {
			t.Errorf("AddReLU element %d is %g, want %g", i, gotSum[i], want)
		}
		if want := as[i] * ss[i/4]; gotScaled[i] != want {
			t.Errorf("ScaleRows element %d is %g, want %g", i, gotScaled[i], want)
		}
	}
}

func TestAddReLURejectsShapeMismatch(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	g := gorgonia.NewGraph()
	a := inputNode(g, rng, "a", 2, 3)
	b := inputNode(g, rng, "b", 3, 2)
	if _, err := AddReLU(a, b); err == nil {
		t.Error("AddReLU accepted shapes 2x3 and 3x2")
	}
	scale := inputNode(g, rng, "scale", 3)
	if _, err := ScaleRows(a, scale); err == nil {
		t.Error("ScaleRows accepted 3 scales for 2 rows")
	}
}
