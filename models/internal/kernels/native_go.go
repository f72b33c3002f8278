//go:build !dnnl || !cgo

package kernels

// nativeBackend returns "": the pure-Go build has no native kernels.
func nativeBackend() string { return "" }

// convPass is one of the three passes of a convolution.
type convPass int

const (
	passForward convPass = iota
	passBackwardData
	passBackwardWeights
)

// nativeLayer is the per-layer state of native convolutions: none here.
type nativeLayer struct{}

// runNativeConv reports false: the pure-Go build has no native kernels.
func runNativeConv(cache *ConvCache, pass convPass, s ConvShape, src, weights, bias,
	dst []float32) bool {
	return false
}

// runNativeGemm reports false: the pure-Go build has no native kernels.
func runNativeGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32,
	ldb int, beta float32, c []float32, ldc int) bool {
	return false
}
