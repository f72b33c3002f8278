package kernels

import "math"

// sumRun is the number of values summed in float32 before a partial sum
// is added to a float64 total. Runs this short keep the float32 rounding
// error near 1e-6 of the run's magnitude. It is a multiple of the 8 lanes
// of the AVX2 kernels.
const sumRun = 256

// vectorLength returns how many leading elements of a slice of length n
// the AVX2 kernels take: a multiple of 8, or 0 without AVX2.
func vectorLength(n int) int {
	if !vectorAVX2 {
		return 0
	}
	return n &^ 7
}

// SumSquares returns the sum of values and the sum of their squares.
func SumSquares(values []float32) (sum, squares float64) {
	return sumProducts(nil, values, values)
}

// SumProducts returns the sum of a and the sum of a[i] * b[i]. b must be at
// least as long as a.
func SumProducts(a, b []float32) (sumA, sumAB float64) {
	return sumProducts(nil, a, b)
}

// MaskedSumProducts is SumProducts(g, b) where g[i] is a[i] if keep[i] is
// positive and 0 otherwise: the sums of a ReLU's input gradient, given its
// output keep and output gradient a. A nil keep keeps every value. keep
// and b must be at least as long as a.
func MaskedSumProducts(keep, a, b []float32) (sumG, sumGB float64) {
	if keep != nil {
		keep = keep[:len(a)]
	}
	return sumProducts(keep, a, b)
}

// sumProducts adds up runs of sumRun values in float32 and the runs' sums
// in float64. keep is nil or masks a as in MaskedSumProducts.
func sumProducts(keep, a, b []float32) (sumA, sumAB float64) {
	b = b[:len(a)]
	for start := 0; start < len(a); start += sumRun {
		end := min(start+sumRun, len(a))
		var runKeep []float32
		if keep != nil {
			runKeep = keep[start:end]
		}
		s, p := sumProductsRun(runKeep, a[start:end], b[start:end])
		sumA += float64(s)
		sumAB += float64(p)
	}
	return sumA, sumAB
}

func sumProductsRun(keep, a, b []float32) (sumA, sumAB float32) {
	n := vectorLength(len(a))
	if n > 0 {
		var keepStart *float32
		if keep != nil {
			keepStart = &keep[0]
		}
		sumA, sumAB = sumProductsAVX2(keepStart, &a[0], &b[0], n)
	}
	for i := n; i < len(a); i++ {
		g := a[i]
		if keep != nil {
			g = maskValue(keep[i], g)
		}
		sumA += g
		sumAB += g * b[i]
	}
	return sumA, sumAB
}

// maskValue returns g if keep is positive and 0 otherwise, without a
// branch.
func maskValue(keep, g float32) float32 {
	return math.Float32frombits(math.Float32bits(g) & mask(keep > 0))
}

// reluValue returns z if z is positive or NaN and 0 otherwise, without a
// branch.
func reluValue(z float32) float32 {
	return math.Float32frombits(math.Float32bits(z) & mask(!(z <= 0)))
}

// Affine sets y[i] to x[i]*scale + shift, or with relu to the larger of
// that and 0 (NaN stays NaN). y may be x.
func Affine(x []float32, scale, shift float32, relu bool, y []float32) {
	y = y[:len(x)]
	n := vectorLength(len(x))
	if n > 0 {
		affineAVX2(&x[0], &y[0], n, scale, shift, relu)
	}
	for i := n; i < len(x); i++ {
		z := x[i]*scale + shift
		if relu {
			z = reluValue(z)
		}
		y[i] = z
	}
}

// AxpbyPlusC sets out[i] to a*x[i] + b*y[i] + c. With keep non-nil, x[i]
// counts as 0 where keep[i] is not positive. out may be x or y; x, y and
// keep must be at least as long as out.
func AxpbyPlusC(keep, x, y []float32, a, b, c float32, out []float32) {
	x, y = x[:len(out)], y[:len(out)]
	if keep != nil {
		keep = keep[:len(out)]
	}
	n := vectorLength(len(out))
	if n > 0 {
		var keepStart *float32
		if keep != nil {
			keepStart = &keep[0]
		}
		axpbyAVX2(keepStart, &x[0], &y[0], &out[0], n, a, b, c)
	}
	for i := n; i < len(out); i++ {
		g := x[i]
		if keep != nil {
			g = maskValue(keep[i], g)
		}
		out[i] = a*g + b*y[i] + c
	}
}
