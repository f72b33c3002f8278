//go:build amd64 && !purego

package kernels

// hasAVX2FMA reports whether the CPU and operating system support the AVX2
// and FMA instructions that microKernelAVX2 uses.
var hasAVX2FMA = detectAVX2FMA()

func microKernel(kc int, panel, strip []float32, tile *[gemmMR * gemmNR]float32) {
	if !hasAVX2FMA || kc == 0 {
		microKernelGo(kc, panel, strip, tile)
		return
	}
	_ = panel[kc*gemmMR-1]
	_ = strip[kc*gemmNR-1]
	microKernelAVX2(kc, &panel[0], &strip[0], &tile[0])
}

// microKernelAVX2 is microKernelGo with 12 AVX2 accumulators. The caller
// guarantees kc >= 1 and that panel and strip hold kc*6 and kc*16 floats.
//
//go:noescape
func microKernelAVX2(kc int, panel, strip, tile *float32)

//go:noescape
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax uint32)

func detectAVX2FMA() bool {
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
