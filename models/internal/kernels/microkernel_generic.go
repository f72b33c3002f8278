//go:build !amd64 || purego

package kernels

// availableKernels returns the micro-kernels this build and CPU support,
// slowest first.
func availableKernels() []microKernel { return []microKernel{goKernel} }
