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
