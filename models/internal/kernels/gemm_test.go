package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func randomSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*rng.Float32() - 1
	}
	return s
}

// referenceGemm is the textbook triple loop in float64.
func referenceGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32,
	ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum float64
			for p := 0; p < k; p++ {
				av := a[i*lda+p]
				if transA {
					av = a[p*lda+i]
				}
				bv := b[p*ldb+j]
				if transB {
					bv = b[j*ldb+p]
				}
				sum += float64(av) * float64(bv)
			}
			c[i*ldc+j] = float32(sum + float64(beta)*float64(c[i*ldc+j]))
		}
	}
}

// assertClose fails if any element differs by more than tol relative to
// the larger of 1 and the magnitude of the expected element.
func assertClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		scale := math.Max(1, math.Abs(float64(want[i])))
		if d := math.Abs(float64(got[i] - want[i])); !(d <= tol*scale) {
			t.Fatalf("%s: element %d is %g, want %g", what, i, got[i], want[i])
		}
	}
}

func TestGemmMatchesReference(t *testing.T) {
	defer func(k microKernel) { active = k }(active)
	for _, k := range availableKernels() {
		active = k
		testGemmMatchesReference(t, k.name)
	}
}

func testGemmMatchesReference(t *testing.T, kernel string) {
	rng := rand.New(rand.NewSource(1))
	sizes := [][3]int{{1, 1, 1}, {5, 7, 3}, {6, 16, 1}, {13, 37, 300}, {100, 33, 17},
		{97, 1030, 260}, {200, 5, 513}, {0, 4, 3}, {3, 4, 0}}
	for _, sz := range sizes {
		for _, trans := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, beta := range []float32{0, 1, 0.5} {
				m, n, k := sz[0], sz[1], sz[2]
				name := fmt.Sprintf("%s/%dx%dx%d/tA=%v/tB=%v/beta=%g", kernel, m, n, k,
					trans[0], trans[1], beta)
				lda, ldb, ldc := k+2, n+1, n+3
				if trans[0] {
					lda = m + 1
				}
				if trans[1] {
					ldb = k + 5
				}
				a := randomSlice(rng, max(m, k)*lda)
				b := randomSlice(rng, max(n, k)*ldb)
				c := randomSlice(rng, m*ldc)
				want := append([]float32(nil), c...)
				referenceGemm(trans[0], trans[1], m, n, k, a, lda, b, ldb, beta, want, ldc)
				Gemm(trans[0], trans[1], m, n, k, a, lda, b, ldb, beta, c, ldc)
				assertClose(t, name, c, want, 1e-4)
			}
		}
	}
}

func TestGemmSerialMatchesGemm(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	m, n, k := 70, 90, 50
	a := randomSlice(rng, m*k)
	b := randomSlice(rng, k*n)
	want := make([]float32, m*n)
	got := make([]float32, m*n)
	Gemm(false, false, m, n, k, a, k, b, n, 0, want, n)
	GemmSerial(false, false, m, n, k, a, k, b, n, 0, got, n)
	assertClose(t, "serial", got, want, 1e-5)
}

func TestMicroKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, k := range availableKernels() {
		for _, kc := range []int{1, 37} {
			panel := randomSlice(rng, kc*k.rows)
			strip := randomSlice(rng, kc*k.cols)
			want := make([]float32, k.rows*k.cols)
			for r := 0; r < k.rows; r++ {
				for q := 0; q < k.cols; q++ {
					for p := 0; p < kc; p++ {
						want[r*k.cols+q] += panel[p*k.rows+r] * strip[p*k.cols+q]
					}
				}
			}
			var got tileBuffer
			for i := range got {
				got[i] = float32(i)
			}
			k.run(kc, panel, strip, &got)
			assertClose(t, fmt.Sprintf("%s kc=%d", k.name, kc), got[:k.rows*k.cols], want, 1e-5)
		}
	}
}

func TestGemmBetaZeroIgnoresNaN(t *testing.T) {
	a := []float32{1, 2}
	b := []float32{3, 4}
	c := []float32{float32(math.NaN())}
	Gemm(false, false, 1, 1, 2, a, 2, b, 1, 0, c, 1)
	if c[0] != 11 {
		t.Fatalf("c = %g, want 11", c[0])
	}
}

// BenchmarkGemm times each available micro-kernel on the shapes of the
// benchmark networks: the second convolution of the 3->64->64 network per
// image, the 3136->128 linear layer at batch 128, and a square product.
func BenchmarkGemm(b *testing.B) {
	defer func(k microKernel) { active = k }(active)
	for _, sz := range [][3]int{{64, 1024, 576}, {128, 128, 3136}, {512, 512, 512}} {
		m, n, k := sz[0], sz[1], sz[2]
		rng := rand.New(rand.NewSource(1))
		x := randomSlice(rng, m*k)
		y := randomSlice(rng, k*n)
		z := make([]float32, m*n)
		kernels := availableKernels()
		if nativeBackend() != "" {
			// The native build's Gemm ignores the micro-kernel.
			kernels = []microKernel{{name: "native"}}
		}
		for _, kernel := range kernels {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, kernel.name), func(b *testing.B) {
				if kernel.run != nil {
					active = kernel
				}
				for i := 0; i < b.N; i++ {
					Gemm(false, false, m, n, k, x, k, y, n, 0, z, n)
				}
				reportGFLOPS(b, 2*float64(m*n*k))
			})
		}
	}
}

// reportGFLOPS reports the rate of flopsPerOp floating-point operations per
// benchmark iteration.
func reportGFLOPS(b *testing.B, flopsPerOp float64) {
	b.ReportMetric(flopsPerOp*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func TestPackedLeftMatchesReference(t *testing.T) {
	defer func(k microKernel) { active = k }(active)
	rng := rand.New(rand.NewSource(10))
	m, n, k := 101, 300, 600
	for _, kernel := range availableKernels() {
		active = kernel
		for _, transA := range []bool{false, true} {
			for _, parallel := range []bool{false, true} {
				lda := k + 3
				if transA {
					lda = m + 2
				}
				a := randomSlice(rng, max(m, k)*lda)
				b := randomSlice(rng, k*n)
				want := make([]float32, m*n)
				referenceGemm(transA, false, m, n, k, a, lda, b, n, 0, want, n)

				left := packLeft(transA, m, k, a, lda)
				got := randomSlice(rng, m*n)
				g := product(left, false, b, n, got, n)
				g.run(m, n, k, 0, parallel)
				left.release()
				name := fmt.Sprintf("%s/transA=%v/parallel=%v", kernel.name, transA, parallel)
				assertClose(t, name, got, want, 1e-4)
			}
		}
	}
}
