//go:build amd64 && !purego

package kernels

// availableKernels returns the micro-kernels this build and CPU support,
// slowest first.
func availableKernels() []microKernel {
	kernels := []microKernel{goKernel}
	if !hasAVX2FMA() {
		return kernels
	}
	kernels = append(kernels, microKernel{name: "avx2", rows: 6, cols: 16,
		run: runAVX2, runC: runAVX2C})
	if hasAVX512() {
		kernels = append(kernels, microKernel{name: "avx512", rows: 12, cols: 32,
			run: runAVX512, runC: runAVX512C})
	}
	return kernels
}

func runAVX2(kc int, panel, strip []float32, tile *tileBuffer) {
	if kc == 0 {
		clear(tile[:])
		return
	}
	_ = panel[kc*6-1]
	_ = strip[kc*16-1]
	microKernelAVX2(kc, &panel[0], &strip[0], &tile[0])
}

func runAVX512(kc int, panel, strip []float32, tile *tileBuffer) {
	if kc == 0 {
		clear(tile[:])
		return
	}
	_ = panel[kc*12-1]
	_ = strip[kc*32-1]
	microKernelAVX512(kc, &panel[0], &strip[0], &tile[0])
}

func runAVX2C(kc int, panel, strip, c []float32, ldc int, add bool) {
	_ = panel[kc*6-1]
	_ = strip[kc*16-1]
	_ = c[5*ldc+15]
	microKernelAVX2C(kc, &panel[0], &strip[0], &c[0], ldc, add)
}

func runAVX512C(kc int, panel, strip, c []float32, ldc int, add bool) {
	_ = panel[kc*12-1]
	_ = strip[kc*32-1]
	_ = c[11*ldc+31]
	microKernelAVX512C(kc, &panel[0], &strip[0], &c[0], ldc, add)
}

// microKernelAVX2C is microKernelAVX2 writing straight into C. The caller
// guarantees kc >= 1 and that c has 6 rows of 16 floats ldc apart.
//
//go:noescape
func microKernelAVX2C(kc int, panel, strip, c *float32, ldc int, add bool)

// microKernelAVX512C is microKernelAVX512 writing straight into C. The
// caller guarantees kc >= 1 and that c has 12 rows of 32 floats ldc
// apart.
//
//go:noescape
func microKernelAVX512C(kc int, panel, strip, c *float32, ldc int, add bool)

// microKernelAVX2 is the 6x16 micro-kernel with 12 AVX2 accumulators. The
// caller guarantees kc >= 1 and that panel and strip have kc*6 and kc*16
// floats.
//
//go:noescape
func microKernelAVX2(kc int, panel, strip, tile *float32)

// microKernelAVX512 is the 12x32 micro-kernel with 24 AVX-512
// accumulators. The caller guarantees kc >= 1 and that panel and strip have
// kc*12 and kc*32 floats.
//
//go:noescape
func microKernelAVX512(kc int, panel, strip, tile *float32)

//go:noescape
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax uint32)

// hasAVX2FMA reports whether the CPU and operating system support AVX2 and
// FMA.
func hasAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&fma == 0 || ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	// The OS must save the XMM and YMM register state on context switches.
	if xgetbv()&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

// hasAVX512 reports whether the CPU and operating system support AVX-512F.
// Callers check hasAVX2FMA first.
func hasAVX512() bool {
	// The OS must also save the opmask and ZMM register state.
	const zmmState = 0xe6
	if xgetbv()&zmmState != zmmState {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx512f = 1 << 16
	return ebx7&avx512f != 0
}
