package kernels

import "fmt"

// Blocking parameters of the matrix multiply. A packed block of A
// (gemmMC x gemmKC) stays in L2 and a packed strip of B (gemmKC x tile
// columns) in L1 while the micro-kernel computes one tile of C. gemmMC and
// gemmNC are multiples of every micro-kernel's tile rows and columns.
const (
	gemmKC = 256
	gemmMC = 96
	gemmNC = 1024
)

// minParallelFlops is the smallest product, in multiply-adds, that Gemm
// splits over several goroutines. Smaller products run faster on one.
const minParallelFlops = 1 << 16

// Each goroutine of Gemm packs all of op(A) or op(B) for its chunk of C, so
// chunks narrower than these would spend more time packing than computing.
const (
	minChunkCols = 64
	minChunkRows = 48
)

// Gemm computes C = op(A) * op(B) + beta * C, where op(A) is m x k and
// op(B) is k x n. op(A) is A, stored m x k with row stride lda, or, if
// transA, the transpose of A, stored k x m with row stride lda. B, transB
// and ldb work the same way. C is m x n with row stride ldc. All matrices are
// row-major. Beta 0 overwrites C without reading it, so C may hold NaNs.
// Gemm splits C over GOMAXPROCS goroutines.
//
// Gemm panics if a slice is too short for its dimensions and stride.
func Gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if runNativeGemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc) {
		return
	}

	g := gemmArgs{transA: transA, transB: transB, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	g.run(m, n, k, beta, true)
}

// run computes the product, split over GOMAXPROCS goroutines if parallel.
func (g *gemmArgs) run(m, n, k int, beta float32, parallel bool) {
	if !parallel || m*n*k < minParallelFlops || maxWorkers() < 2 {
		g.serial(0, m, 0, n, k, beta)
		return
	}

	// Split C along its longer side into a few chunks per goroutine so
	// that a core slowed by other work does not hold up the product.
	chunks := 4 * maxWorkers()
	if n >= m {
		step := max(minChunkCols, roundUp(ceilDiv(n, chunks), active.cols))
		parallelFor(ceilDiv(n, step), func(_, i int) {
			j0 := i * step
			g.serial(0, m, j0, min(j0+step, n), k, beta)
		})
		return
	}
	step := max(minChunkRows, roundUp(ceilDiv(m, chunks), active.rows))
	parallelFor(ceilDiv(m, step), func(_, i int) {
		i0 := i * step
		g.serial(i0, min(i0+step, m), 0, n, k, beta)
	})
}

// GemmSerial is Gemm on the calling goroutine only, for callers that
// already run one product per core.
func GemmSerial(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	g := gemmArgs{transA: transA, transB: transB, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	g.serial(0, m, 0, n, k, beta)
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int,
	c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: negative gemm size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", a, ar, ac, lda)
	checkMatrix("B", b, br, bc, ldb)
	checkMatrix("C", c, m, n, ldc)
}

func checkMatrix(name string, s []float32, rows, cols, stride int) {
	if rows == 0 || cols == 0 {
		return
	}
	if stride < cols {
		panic(fmt.Sprintf("kernels: %s row stride %d is less than %d columns", name, stride, cols))
	}
	if need := (rows-1)*stride + cols; len(s) < need {
		panic(fmt.Sprintf("kernels: %s has %d elements, need %d for %dx%d with stride %d",
			name, len(s), need, rows, cols, stride))
	}
}

// gemmArgs are the operands of one matrix product.
type gemmArgs struct {
	transA, transB bool
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int

	// packedLeft, if not nil, is all of op(A) packed by packLeft, which
	// the product then uses in place of a and lda.
	packedLeft *packedLeft

	// image, if not nil, is B: the im2col matrix of an image, which
	// packing then reads from the image in place of b, ldb and transB.
	image *imageOperand
}

// packedLeft is op(A) packed once for several products with the same left
// operand, as the per-image products of a convolution have.
type packedLeft struct {
	buf     *[]float32
	rows    int // rows of op(A) rounded up to the micro-kernel's tile rows
	kernel  string
	release func()
}

// packLeft packs all of op(A) (m x k) in the order serial reads it: blocks
// of gemmKC columns, each holding all rows in panels of tile rows. Call
// release when the products are done.
func packLeft(transA bool, m, k int, a []float32, lda int) *packedLeft {
	rows := roundUp(m, active.rows)
	buf := getBuffer(max(1, rows*k))
	g := gemmArgs{transA: transA, a: a, lda: lda}
	for pc := 0; pc < k; pc += gemmKC {
		kc := min(gemmKC, k-pc)
		g.packA((*buf)[pc*rows:], 0, m, pc, kc)
	}
	p := &packedLeft{buf: buf, rows: rows, kernel: active.name}
	p.release = func() { putBuffer(buf) }
	return p
}

// block returns the packed rows [ic, ic+mc) of the column block at pc,
// which is kc wide. ic is a multiple of the tile rows.
func (p *packedLeft) block(ic, mc, pc, kc int) []float32 {
	if p.kernel != active.name {
		panic("kernels: micro-kernel changed between packing and use")
	}
	start := pc*p.rows + ic*kc
	return (*p.buf)[start : start+roundUp(mc, active.rows)*kc]
}

// serial computes rows [i0, i1) and columns [j0, j1) of C on the calling
// goroutine, using pooled packing buffers.
func (g *gemmArgs) serial(i0, i1, j0, j1, k int, beta float32) {
	// With beta 0 the first block of the k loop overwrites C, so C is
	// scaled only for other betas or when there is no k loop.
	if k == 0 || (beta != 0 && beta != 1) {
		g.scaleC(i0, i1, j0, j1, beta)
	}
	if k == 0 {
		return
	}

	bufA := getBuffer(gemmMC * gemmKC)
	bufB := getBuffer(gemmKC * gemmNC)
	defer putBuffer(bufA)
	defer putBuffer(bufB)
	packedA, packedB := *bufA, *bufB

	var tile tileBuffer
	for jc := j0; jc < j1; jc += gemmNC {
		nc := min(gemmNC, j1-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			g.packB(packedB, pc, kc, jc, nc)
			for ic := i0; ic < i1; ic += gemmMC {
				mc := min(gemmMC, i1-ic)
				blockA := packedA
				if g.packedLeft != nil {
					blockA = g.packedLeft.block(ic, mc, pc, kc)
				} else {
					g.packA(packedA, ic, mc, pc, kc)
				}
				add := pc > 0 || beta != 0
				g.macroKernel(blockA, packedB, &tile, ic, mc, jc, nc, kc, add)
			}
		}
	}
}

// scaleC multiplies the block of C by beta, writing zeros when beta is 0.
func (g *gemmArgs) scaleC(i0, i1, j0, j1 int, beta float32) {
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := g.c[i*g.ldc+j0 : i*g.ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// macroKernel adds packedA * packedB to the mc x nc block of C at (ic, jc),
// or with add false overwrites the block with it.
func (g *gemmArgs) macroKernel(packedA, packedB []float32, tile *tileBuffer,
	ic, mc, jc, nc, kc int, add bool) {
	k := active
	for jr := 0; jr < nc; jr += k.cols {
		nr := min(k.cols, nc-jr)
		strip := packedB[jr*kc : (jr+k.cols)*kc]
		for ir := 0; ir < mc; ir += k.rows {
			mr := min(k.rows, mc-ir)
			panel := packedA[ir*kc : (ir+k.rows)*kc]
			c := g.c[(ic+ir)*g.ldc+jc+jr:]
			if mr == k.rows && nr == k.cols {
				k.runC(kc, panel, strip, c, g.ldc, add)
				continue
			}
			k.run(kc, panel, strip, tile)
			writeTile(tile, k.cols, c, g.ldc, mr, nr, add)
		}
	}
}

// packA copies op(A)[ic:ic+mc, pc:pc+kc] into panels of as many rows as a
// tile has, laid out column by column, padding the last panel with zeros.
func (g *gemmArgs) packA(dst []float32, ic, mc, pc, kc int) {
	rows := active.rows
	for ir := 0; ir < mc; ir += rows {
		mr := min(rows, mc-ir)
		panel := dst[ir*kc : (ir+rows)*kc]
		for r := 0; r < rows; r++ {
			if r >= mr {
				for p := 0; p < kc; p++ {
					panel[p*rows+r] = 0
				}
				continue
			}
			row := ic + ir + r
			if g.transA {
				for p := 0; p < kc; p++ {
					panel[p*rows+r] = g.a[(pc+p)*g.lda+row]
				}
				continue
			}
			src := g.a[row*g.lda+pc : row*g.lda+pc+kc]
			for p, v := range src {
				panel[p*rows+r] = v
			}
		}
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into strips of as many columns as
// a tile has, laid out row by row, padding the last strip with zeros.
func (g *gemmArgs) packB(dst []float32, pc, kc, jc, nc int) {
	cols := active.cols
	if g.image != nil {
		g.image.pack(dst, pc, kc, jc, nc, cols)
		return
	}
	for jr := 0; jr < nc; jr += cols {
		nr := min(cols, nc-jr)
		strip := dst[jr*kc : (jr+cols)*kc]
		if g.transB {
			for q := 0; q < cols; q++ {
				if q >= nr {
					for p := 0; p < kc; p++ {
						strip[p*cols+q] = 0
					}
					continue
				}
				src := g.b[(jc+jr+q)*g.ldb+pc : (jc+jr+q)*g.ldb+pc+kc]
				for p, v := range src {
					strip[p*cols+q] = v
				}
			}
			continue
		}
		for p := 0; p < kc; p++ {
			row := strip[p*cols : (p+1)*cols]
			src := g.b[(pc+p)*g.ldb+jc+jr : (pc+p)*g.ldb+jc+jr+nr]
			copy(row, src)
			clear(row[nr:])
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
