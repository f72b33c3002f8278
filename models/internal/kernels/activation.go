package kernels

import "math"

// minParallelElements is the smallest slice that element-wise kernels
// split over several goroutines.
const minParallelElements = 1 << 15

// forEachChunk calls body on consecutive chunks covering [0, n), in
// parallel when n is large.
func forEachChunk(n int, body func(lo, hi int)) {
	if n < minParallelElements {
		body(0, n)
		return
	}
	chunk := ceilDiv(n, 4*maxWorkers())
	parallelFor(ceilDiv(n, chunk), func(_, k int) {
		body(k*chunk, min(n, (k+1)*chunk))
	})
}

// ReLUForward sets y[i] to max(x[i], 0), keeping NaN as NaN. x and y may
// be the same slice.
func ReLUForward(x, y []float32) {
	if len(x) != len(y) {
		panic("kernels: ReLUForward slices differ in length")
	}
	forEachChunk(len(x), func(lo, hi int) {
		out := y[lo:hi]
		for i, v := range x[lo:hi] {
			// A mask, as in ReLUBackward. Go's max of two floats also
			// checks for NaN and signed zeros, and ran 1.2x slower here.
			out[i] = math.Float32frombits(math.Float32bits(v) & mask(!(v <= 0)))
		}
	})
}

// AddReLUForward sets y[i] to max(a[i] + b[i], 0), keeping NaN as NaN.
// y may be a or b.
func AddReLUForward(a, b, y []float32) {
	if len(a) != len(y) || len(b) != len(y) {
		panic("kernels: AddReLUForward slices differ in length")
	}
	forEachChunk(len(y), func(lo, hi int) {
		out, right := y[lo:hi], b[lo:hi]
		for i, v := range a[lo:hi] {
			sum := v + right[i]
			out[i] = math.Float32frombits(math.Float32bits(sum) & mask(!(sum <= 0)))
		}
	})
}

// ReLUBackward sets dx[i] to dy[i] where the ReLU output y[i] is positive
// and to 0 elsewhere.
func ReLUBackward(y, dy, dx []float32) {
	if len(y) != len(dy) || len(y) != len(dx) {
		panic("kernels: ReLUBackward slices differ in length")
	}
	forEachChunk(len(y), func(lo, hi int) {
		g, d := dy[lo:hi], dx[lo:hi]
		for i, v := range y[lo:hi] {
			// A mask instead of a branch, which the processor cannot
			// predict when about half of the outputs are zero.
			d[i] = math.Float32frombits(math.Float32bits(g[i]) & mask(v > 0))
		}
	})
}

// AddRowBias adds bias (length cols) to every row of the rows x cols
// matrix y.
func AddRowBias(y, bias []float32, rows, cols int) {
	if len(y) != rows*cols || len(bias) != cols {
		panic("kernels: AddRowBias slice lengths do not match the shape")
	}
	for r := 0; r < rows; r++ {
		row := y[r*cols : (r+1)*cols]
		for j, b := range bias {
			row[j] += b
		}
	}
}
