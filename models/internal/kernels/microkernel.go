package kernels

// Bounds on the tile size of every micro-kernel.
const (
	maxTileRows = 12
	maxTileCols = 32
)

// tileBuffer is one tile of C, row-major with rows microKernel.cols long.
type tileBuffer [maxTileRows * maxTileCols]float32

// microKernel computes one tile of C from a packed panel of A, holding
// kc columns of rows elements each, and a packed strip of B, holding kc rows
// of cols elements each. Panels and strips are padded with zeros to full
// size. run overwrites the first rows*cols elements of a tile buffer, for
// tiles at the edge of C. runC adds the tile into C, whose rows are ldc
// apart, or with add false overwrites that part of C.
type microKernel struct {
	name       string
	rows, cols int
	run        func(kc int, panel, strip []float32, tile *tileBuffer)
	runC       func(kc int, panel, strip, c []float32, ldc int, add bool)
}

// goKernel is the portable micro-kernel.
var goKernel = microKernel{name: "go", rows: 6, cols: 16, run: microKernelGo,
	runC: func(kc int, panel, strip, c []float32, ldc int, add bool) {
		var tile tileBuffer
		microKernelGo(kc, panel, strip, &tile)
		writeTile(&tile, 16, c, ldc, 6, 16, add)
	}}

// writeTile adds the top-left mr x nr corner of tile, whose rows are cols
// long, to c with rows ldc apart, or with add false copies it there.
func writeTile(tile *tileBuffer, cols int, c []float32, ldc, mr, nr int, add bool) {
	for r := 0; r < mr; r++ {
		dst := c[r*ldc : r*ldc+nr]
		src := tile[r*cols : r*cols+nr]
		if !add {
			copy(dst, src)
			continue
		}
		for q, v := range src {
			dst[q] += v
		}
	}
}

// active is the micro-kernel in use: the fastest one the CPU supports.
var active = fastestKernel()

// fastestKernel returns the last of availableKernels, the fastest.
func fastestKernel() microKernel {
	k := availableKernels()
	return k[len(k)-1]
}

// microKernelGo computes a 6x16 tile in 2x4 blocks whose 8 sums stay in
// registers, since the compiler does not vectorize and a tile of sums in
// memory would cost a load and a store per multiply-add.
func microKernelGo(kc int, panel, strip []float32, tile *tileBuffer) {
	const rows, cols = 6, 16
	panel = panel[:kc*rows]
	strip = strip[:kc*cols]
	for r := 0; r < rows; r += 2 {
		for q := 0; q < cols; q += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			for p := 0; p < kc; p++ {
				a := panel[p*rows+r : p*rows+r+2 : p*rows+r+2]
				b := strip[p*cols+q : p*cols+q+4 : p*cols+q+4]
				a0, a1 := a[0], a[1]
				b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
			}
			top := tile[r*cols+q : r*cols+q+4 : r*cols+q+4]
			top[0], top[1], top[2], top[3] = c00, c01, c02, c03
			bottom := tile[(r+1)*cols+q : (r+1)*cols+q+4 : (r+1)*cols+q+4]
			bottom[0], bottom[1], bottom[2], bottom[3] = c10, c11, c12, c13
		}
	}
}
