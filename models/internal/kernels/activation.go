package kernels

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
		Affine(x[lo:hi], 1, 0, true, y[lo:hi])
	})
}

// AddReLUForward sets y[i] to max(a[i] + b[i], 0), keeping NaN as NaN.
// y may be a or b.
func AddReLUForward(a, b, y []float32) {
	if len(a) != len(y) || len(b) != len(y) {
		panic("kernels: AddReLUForward slices differ in length")
	}
	forEachChunk(len(y), func(lo, hi int) {
		out, left, right := y[lo:hi], a[lo:hi], b[lo:hi]
		n := vectorLength(len(out))
		if n > 0 {
			addReLUAVX2(&left[0], &right[0], &out[0], n)
		}
		for i := n; i < len(out); i++ {
			out[i] = reluValue(left[i] + right[i])
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
		keep, g, d := y[lo:hi], dy[lo:hi], dx[lo:hi]
		n := vectorLength(len(d))
		if n > 0 {
			maskAVX2(&keep[0], &g[0], &d[0], n)
		}
		// A mask instead of a branch, which the processor cannot predict
		// when about half of the outputs are zero.
		for i := n; i < len(d); i++ {
			d[i] = maskValue(keep[i], g[i])
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
