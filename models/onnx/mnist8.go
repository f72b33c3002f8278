package onnx

import _ "embed"

// mnist8 is the ONNX Model Zoo's MNIST network, version 8; see
// mnist-8.SOURCE for its origin, licence and checksum.
//
//go:embed mnist-8.onnx
var mnist8 []byte

// MNIST8Scale is the pixel scale mnist-8 expects: it was trained on raw
// 0..255 pixel values, so pixels in [0, 1] are multiplied by 255.
const MNIST8Scale = 255

// MNIST8 returns the ONNX Model Zoo's MNIST CNN (mnist-8.onnx, CNTK 2.5.1,
// MIT licence), embedded in the package, with inputs scaled by
// MNIST8Scale. It takes 1 x 28 x 28 pixels in [0, 1] and gives 10 logits.
func MNIST8() (*Model, error) {
	return Options{Scale: MNIST8Scale}.Decode("mnist-8.onnx", mnist8)
}
