//go:build dnnl && cgo

// Convolutions through oneDNN for the dnnl build of package kernels. Each
// handle owns one primitive for one shape and pass, the reorders between
// the caller's NCHW and OIHW layouts and the blocked layouts the primitive
// prefers, and its own scratch memory. A handle is not safe for concurrent
// use; the Go side locks it.

#ifndef MMA_DNNL_CONV_H
#define MMA_DNNL_CONV_H

#include <stddef.h>
#include <stdint.h>

enum { MMA_CONV_FORWARD, MMA_CONV_BACKWARD_DATA, MMA_CONV_BACKWARD_WEIGHTS };

// mma_conv_shape mirrors kernels.ConvShape.
typedef struct {
	int64_t batch, in_channels, height, width;
	int64_t out_channels, kernel_h, kernel_w, stride, pad;
} mma_conv_shape;

typedef struct mma_conv mma_conv;

// mma_conv_new returns a handle for one pass of shape, with a bias (or its
// gradient) when has_bias is not 0. It sets *status to oneDNN's status,
// and on failure returns NULL after writing a reason to err.
mma_conv *mma_conv_new(int pass, const mma_conv_shape *shape, int has_bias, int *status,
                       char *err, int err_len);

// mma_conv_run runs the pass on threads threads. The four pointers are, in
// order, the input (or its gradient), the weights (or their gradient), the
// bias (or its gradient, or NULL) and the output (or its gradient), all in
// plain layouts. It returns 0 or a oneDNN status.
int mma_conv_run(mma_conv *conv, int threads, float *src, float *weights, float *bias,
                 float *dst);

// mma_conv_inner_size returns the size in bytes of the layout the pass
// wants for slot (0 input, 1 weights, 2 bias, 3 output, as for
// mma_conv_run), or 0 when it takes the plain layout and needs no reorder.
size_t mma_conv_inner_size(mma_conv *conv, int slot);

// mma_conv_same_inner reports whether slot of a and slot of b want the
// same layout.
int mma_conv_same_inner(mma_conv *a, int slot_a, mma_conv *b, int slot_b);

// mma_conv_cache_new returns memory in the layout that slot of conv wants,
// for mma_conv_run_cached, or NULL. mma_conv_cache_free releases it.
void *mma_conv_cache_new(mma_conv *conv, int slot);
void mma_conv_cache_free(void *memory);

// mma_conv_run_cached is mma_conv_run with memory from mma_conv_cache_new
// in place of the handle's own for some slots: the input slot (0) of any
// pass and the output-gradient slot (3) of a backward pass. cache[i] is
// that memory or NULL. When cached[i] is not 0, that memory already
// contains the reordered tensor, so the reorder is skipped.
int mma_conv_run_cached(mma_conv *conv, int threads, float *src, float *weights,
                        float *bias, float *dst, void *cache[4], const int cached[4]);

// mma_sgemm computes C = op(A) * op(B) + beta * C for row-major matrices on
// threads threads.
int mma_sgemm(int threads, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
              int64_t ldc);

#endif
