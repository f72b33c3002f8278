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

func microKernelGo(kc int, panel, strip []float32, tile *tileBuffer) {
	const rows, cols = 6, 16
	*tile = tileBuffer{}
	panel = panel[:kc*rows]
	strip = strip[:kc*cols]
	for p := 0; p < kc; p++ {
		a := panel[p*rows : p*rows+rows]
		b := (*[cols]float32)(strip[p*cols : p*cols+cols])
		for r, ar := range a {
			row := (*[cols]float32)(tile[r*cols : r*cols+cols])
			for q := range row {
				row[q] += ar * b[q]
			}
		}
	}
}
