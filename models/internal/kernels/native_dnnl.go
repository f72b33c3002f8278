//go:build dnnl && cgo

package kernels

import (
	"errors"

	"github.com/mmatransfer/mma/models/internal/dnnl"
)

// nativeLayer is the per-layer state of native convolutions.
type nativeLayer = dnnl.Layer

// nativeBackend names oneDNN and its version.
func nativeBackend() string { return "oneDNN " + dnnl.Version() }

// convPass is one of the three passes of a convolution.
type convPass = dnnl.Pass

const (
	passForward         = dnnl.Forward
	passBackwardData    = dnnl.BackwardData
	passBackwardWeights = dnnl.BackwardWeights
)

// runNativeConv runs one pass through oneDNN and reports whether it did.
// The Go kernels run for shapes oneDNN cannot take. The slices are the
// input (or its gradient), the weights (or their gradient), the bias (or
// its gradient, or nil) and the output (or its gradient), already checked
// against s. With a cache, the layer's reordered tensors are reused
// between passes.
func runNativeConv(cache *ConvCache, pass convPass, s ConvShape, src, weights, bias,
	dst []float32) bool {
	shape := dnnl.Shape{Batch: s.Batch, InChannels: s.InChannels, Height: s.Height,
		Width: s.Width, OutChannels: s.OutChannels, KernelH: s.KernelH, KernelW: s.KernelW,
		Stride: s.Stride, Pad: s.Pad}
	var err error
	if cache != nil {
		err = cache.layer.Conv(pass, shape, src, weights, bias, dst)
	} else {
		err = dnnl.Conv(pass, shape, src, weights, bias, dst)
	}
	if errors.Is(err, dnnl.ErrUnsupported) {
		return false
	}
	if err != nil {
		panic("kernels: " + err.Error())
	}
	return true
}

// runNativeGemm computes C = op(A) * op(B) + beta * C with oneDNN and
// reports whether it did. The arguments are already checked. Products with
// k = 0 run in Go, where beta 0 clears C as Gemm promises.
func runNativeGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32,
	ldb int, beta float32, c []float32, ldc int) bool {
	if k == 0 {
		return false
	}
	err := dnnl.Gemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc)
	if err != nil {
		panic("kernels: " + err.Error())
	}
	return true
}
