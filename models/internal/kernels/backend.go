package kernels

// Backend names the kernels this build and CPU run convolutions and matrix
// products with, such as "oneDNN 2.6.3" in the native build or "pure Go,
// avx512 micro-kernel".
func Backend() string {
	if native := nativeBackend(); native != "" {
		return native
	}
	return "pure Go, " + active.name + " micro-kernel"
}
