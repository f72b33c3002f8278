//go:build dnnl && !cgo

package kernels

// The native build calls oneDNN through cgo. Built with -tags dnnl but
// without cgo, it would quietly be the pure-Go build, so it fails to
// compile instead, naming what is missing.
var _ = dnnlBuildNeedsCgo_SetCGO_ENABLED1_AndInstallGcc
