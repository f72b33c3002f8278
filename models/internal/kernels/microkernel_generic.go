//go:build !amd64 || purego

package kernels

func microKernel(kc int, panel, strip []float32, tile *[gemmMR * gemmNR]float32) {
	microKernelGo(kc, panel, strip, tile)
}
