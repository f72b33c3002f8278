// Package dnnl runs convolutions and matrix products through oneDNN, the
// CPU library behind PyTorch's convolutions, for the opt-in native build
// (go build -tags dnnl, with cgo and Debian's libdnnl-dev). In the default
// build the package is empty.
//
// Tensors are flat row-major float32 slices in the caller's layouts: images
// NCHW and convolution weights OIHW. Each distinct shape and pass gets one
// oneDNN primitive, made on first use and kept for the life of the process,
// with the reorders between those layouts and the blocked ones oneDNN's
// fastest kernels use.
package dnnl
