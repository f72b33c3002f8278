package kernels

import (
	"math"
	"math/rand"
	"testing"
)

func TestSumSquaresAndProductsMatchFloat64(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, n := range []int{0, 1, 3, 4, 7, 255, 256, 257, 1024, 5000} {
		a := make([]float32, n)
		b := make([]float32, n+2)
		var sum, squares, products float64
		for i := range a {
			a[i] = float32(rng.NormFloat64()*3 + 10)
			b[i] = float32(rng.NormFloat64())
			sum += float64(a[i])
			squares += float64(a[i]) * float64(a[i])
			products += float64(a[i]) * float64(b[i])
		}

		gotSum, gotSquares := SumSquares(a)
		sumA, sumAB := SumProducts(a, b)
		check := func(name string, got, want float64) {
			if math.Abs(got-want) > 1e-6*(math.Abs(want)+float64(n)) {
				t.Errorf("n=%d: %s = %.9g, want %.9g", n, name, got, want)
			}
		}
		check("SumSquares sum", gotSum, sum)
		check("SumSquares squares", gotSquares, squares)
		check("SumProducts sum", sumA, sum)
		check("SumProducts products", sumAB, products)
	}
}

func BenchmarkSumSquares(b *testing.B) {
	values := make([]float32, 1<<20)
	for i := range values {
		values[i] = float32(i%97) / 97
	}
	b.SetBytes(int64(4 * len(values)))
	for b.Loop() {
		SumSquares(values)
	}
}

// elementCases returns slices of lengths around the AVX2 width, starting
// at odd offsets, with negative values, zeros and a NaN.
func elementCases(rng *rand.Rand) [][]float32 {
	var cases [][]float32
	for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 64, 100} {
		backing := make([]float32, n+1)
		for i := range backing {
			backing[i] = float32(rng.NormFloat64())
		}
		values := backing[1:]
		if n > 3 {
			values[2] = 0
			values[3] = float32(math.NaN())
		}
		cases = append(cases, values)
	}
	return cases
}

// sameFloat reports whether a and b are both NaN or differ by at most
// 1e-6 relative: the AVX2 kernels round a fused multiply-add once.
func sameFloat(a, b float32) bool {
	if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) {
		return math.IsNaN(float64(a)) && math.IsNaN(float64(b))
	}
	return math.Abs(float64(a-b)) <= 1e-6*math.Max(1, math.Abs(float64(b)))
}

func TestElementKernelsMatchScalar(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	for _, x := range elementCases(rng) {
		other := randomSlice(rng, len(x))
		scale, shift := float32(1.5), float32(-0.25)
		for _, relu := range []bool{false, true} {
			got := make([]float32, len(x))
			Affine(x, scale, shift, relu, got)
			for i, v := range x {
				want := v*scale + shift
				if relu && !(want > 0) && !math.IsNaN(float64(want)) {
					want = 0
				}
				if !sameFloat(got[i], want) {
					t.Errorf("Affine relu=%v n=%d: y[%d] = %g, want %g", relu, len(x), i, got[i],
						want)
				}
			}
		}

		sum := make([]float32, len(x))
		AddReLUForward(x, other, sum)
		masked := make([]float32, len(x))
		ReLUBackward(x, other, masked)
		out := make([]float32, len(x))
		AxpbyPlusC(x, other, other, 2, 3, 0.5, out)
		for i, v := range x {
			wantSum := v + other[i]
			if !(wantSum > 0) && !math.IsNaN(float64(wantSum)) {
				wantSum = 0
			}
			if !sameFloat(sum[i], wantSum) {
				t.Errorf("AddReLUForward n=%d: y[%d] = %g, want %g", len(x), i, sum[i], wantSum)
			}
			var wantMasked float32
			if v > 0 {
				wantMasked = other[i]
			}
			if masked[i] != wantMasked {
				t.Errorf("ReLUBackward n=%d: dx[%d] = %g, want %g", len(x), i, masked[i],
					wantMasked)
			}
			if want := 2*wantMasked + 3*other[i] + 0.5; math.Abs(float64(out[i]-want)) > 1e-6 {
				t.Errorf("AxpbyPlusC n=%d: out[%d] = %g, want %g", len(x), i, out[i], want)
			}
		}
	}
}

func TestMaskedSumProductsMatchesScalar(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, keep := range elementCases(rng) {
		a := randomSlice(rng, len(keep))
		b := randomSlice(rng, len(keep))
		var wantSum, wantProducts float64
		for i, k := range keep {
			if k > 0 {
				wantSum += float64(a[i])
				wantProducts += float64(a[i]) * float64(b[i])
			}
		}
		gotSum, gotProducts := MaskedSumProducts(keep, a, b)
		if math.Abs(gotSum-wantSum) > 1e-5 || math.Abs(gotProducts-wantProducts) > 1e-5 {
			t.Errorf("n=%d: sums %g and %g, want %g and %g", len(keep), gotSum, gotProducts,
				wantSum, wantProducts)
		}

		allSum, allProducts := MaskedSumProducts(nil, a, b)
		plainSum, plainProducts := SumProducts(a, b)
		if allSum != plainSum || allProducts != plainProducts {
			t.Errorf("n=%d: nil keep gives %g and %g, SumProducts %g and %g", len(keep),
				allSum, allProducts, plainSum, plainProducts)
		}
	}
}

func TestVectorKernelsRejectShortSlices(t *testing.T) {
	long := make([]float32, 16)
	short := make([]float32, 8)
	calls := map[string]func(){
		"AxpbyPlusC keep":        func() { AxpbyPlusC(short, long, long, 1, 1, 0, long) },
		"AxpbyPlusC x":           func() { AxpbyPlusC(nil, short, long, 1, 1, 0, long) },
		"MaskedSumProducts keep": func() { MaskedSumProducts(short, long, long) },
		"SumProducts b":          func() { SumProducts(long, short) },
		"Affine y":               func() { Affine(long, 1, 0, false, short) },
	}
	for name, call := range calls {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: a slice shorter than the output did not panic", name)
				}
			}()
			call()
		}()
	}
}
