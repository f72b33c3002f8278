package models

import "github.com/mmatransfer/mma/models/internal/kernels"

// KernelBackend names the kernels that run this build's convolutions and
// matrix products: "oneDNN" and its version in the native build (go build
// -tags dnnl), or the pure-Go kernels and the micro-kernel this CPU runs,
// such as "pure Go, avx512 micro-kernel".
func KernelBackend() string { return kernels.Backend() }
