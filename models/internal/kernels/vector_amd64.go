//go:build amd64 && !purego

package kernels

// vectorAVX2 reports whether the element-wise AVX2 kernels run.
var vectorAVX2 = hasAVX2FMA()

//go:noescape
func affineAVX2(x, y *float32, n int, scale, shift float32, relu bool)

//go:noescape
func addReLUAVX2(a, b, y *float32, n int)

//go:noescape
func maskAVX2(keep, grad, out *float32, n int)

//go:noescape
func sumProductsAVX2(keep, a, b *float32, n int) (sumA, sumAB float32)

//go:noescape
func axpbyAVX2(keep, x, y, out *float32, n int, a, b, c float32)
