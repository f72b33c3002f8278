package attacks

import (
	"math"
	"testing"
)

// sign returns 1 for positive v, -1 for negative v and 0 otherwise.
func sign(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	default:
		return 0
	}
}

func TestSignedStepMatchesSign(t *testing.T) {
	negativeZero := float32(math.Copysign(0, -1))
	smallest := math.Float32frombits(1)
	values := []float32{
		1, -1, 0, negativeZero, smallest, -smallest, 0.3, -2.5e-20,
		math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)),
	}
	for _, alpha := range []float32{0, 0.01, 16.0 / 255, 1} {
		for _, d := range values {
			want := alpha * sign(d)
			if got := signedStep(d, alpha); got != want {
				t.Errorf("signedStep(%v, %v) = %v, want %v", d, alpha, got, want)
			}
		}
	}
}

func TestProjectKeepsBudgetAndRange(t *testing.T) {
	cases := []struct {
		v, clean, eps, want float32
	}{
		{0.5, 0.5, 0.1, 0.5},
		{0.9, 0.5, 0.1, 0.6},
		{0.1, 0.5, 0.1, 0.4},
		{1.3, 0.95, 0.3, 1},
		{-0.2, 0.05, 0.3, 0},
		{0.7, 1, 0.2, 0.8},
		{0.3, 0, 0.2, 0.2},
		{-1, 0, 1, 0},
		{2, 1, 1, 1},
	}
	for _, c := range cases {
		if got := project(c.v, c.clean, c.eps); got != c.want {
			t.Errorf("project(%v, %v, %v) = %v, want %v", c.v, c.clean, c.eps, got, c.want)
		}
	}
}
