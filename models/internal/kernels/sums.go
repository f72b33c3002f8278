package kernels

// sumRun is the number of values summed in float32 before a partial sum
// is added to a float64 total. Runs this short keep the float32 rounding
// error near 1e-6 of the run's magnitude, and the eight independent float32
// accumulators let the loop issue several additions per cycle.
const sumRun = 256

// SumSquares returns the sum of values and the sum of their squares.
func SumSquares(values []float32) (sum, squares float64) {
	for len(values) > 0 {
		run := values[:min(sumRun, len(values))]
		values = values[len(run):]
		s, q := sumSquaresRun(run)
		sum += float64(s)
		squares += float64(q)
	}
	return sum, squares
}

func sumSquaresRun(values []float32) (sum, squares float32) {
	var s0, s1, s2, s3, q0, q1, q2, q3 float32
	i := 0
	for ; i+4 <= len(values); i += 4 {
		v := values[i : i+4 : i+4]
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
		q0 += v[0] * v[0]
		q1 += v[1] * v[1]
		q2 += v[2] * v[2]
		q3 += v[3] * v[3]
	}
	for _, v := range values[i:] {
		s0 += v
		q0 += v * v
	}
	return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
}

// SumProducts returns the sum of a and the sum of a[i] * b[i]. b must be at
// least as long as a.
func SumProducts(a, b []float32) (sumA, sumAB float64) {
	b = b[:len(a)]
	for len(a) > 0 {
		n := min(sumRun, len(a))
		s, p := sumProductsRun(a[:n], b[:n])
		a, b = a[n:], b[n:]
		sumA += float64(s)
		sumAB += float64(p)
	}
	return sumA, sumAB
}

func sumProductsRun(a, b []float32) (sumA, sumAB float32) {
	var s0, s1, s2, s3, p0, p1, p2, p3 float32
	b = b[:len(a)]
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		s0 += x[0]
		s1 += x[1]
		s2 += x[2]
		s3 += x[3]
		p0 += x[0] * y[0]
		p1 += x[1] * y[1]
		p2 += x[2] * y[2]
		p3 += x[3] * y[3]
	}
	for j := i; j < len(a); j++ {
		s0 += a[j]
		p0 += a[j] * b[j]
	}
	return (s0 + s1) + (s2 + s3), (p0 + p1) + (p2 + p3)
}
