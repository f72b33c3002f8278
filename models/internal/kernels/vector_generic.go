//go:build !amd64 || purego

package kernels

// vectorAVX2 reports whether the element-wise AVX2 kernels run: never in
// this build, so the functions below are not called.
const vectorAVX2 = false

func affineAVX2(x, y *float32, n int, scale, shift float32, relu bool) {
	panic("kernels: no AVX2 in this build")
}

func addReLUAVX2(a, b, y *float32, n int) { panic("kernels: no AVX2 in this build") }

func maskAVX2(keep, grad, out *float32, n int) { panic("kernels: no AVX2 in this build") }

func sumProductsAVX2(keep, a, b *float32, n int) (sumA, sumAB float32) {
	panic("kernels: no AVX2 in this build")
}

func axpbyAVX2(keep, x, y, out *float32, n int, a, b, c float32) {
	panic("kernels: no AVX2 in this build")
}
