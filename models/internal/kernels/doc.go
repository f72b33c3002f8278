// Package kernels provides pure-Go float32 kernels for training convolutional
// networks on the CPU: a cache-blocked parallel matrix multiply, im2col and
// col2im, 2D convolution forward and backward, max pooling and ReLU.
//
// All tensors are flat row-major float32 slices. Images are NCHW and
// convolution weights are OIHW. Functions that take an output slice write or
// accumulate into it and allocate only pooled scratch space, so callers can
// reuse buffers across training steps. On amd64 with AVX2 and FMA the matrix
// multiply uses an assembly micro-kernel unless built with the purego tag.
package kernels
