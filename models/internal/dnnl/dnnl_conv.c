//go:build dnnl && cgo

#include "dnnl_conv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

// Argument slots of a convolution pass, in the order of mma_conv_run.
enum { SLOT_SRC, SLOT_WEIGHTS, SLOT_BIAS, SLOT_DST, SLOTS };

// A tensor in the caller's plain layout (user) and in the layout the
// primitive wants (inner, NULL when the two agree), with the reorder
// between them.
typedef struct {
	int arg;        // DNNL_ARG_* of the primitive, 0 when the slot is unused
	int is_output;  // the primitive writes it, so the reorder runs after
	dnnl_memory_t user;
	dnnl_memory_t inner;
	dnnl_primitive_t reorder;
} tensor;

struct mma_conv {
	dnnl_stream_t stream;
	dnnl_primitive_t primitive;
	dnnl_memory_t scratch;
	tensor slots[SLOTS];
};

// engine is the one CPU engine of the process, made on first use.
static dnnl_engine_t engine;
static dnnl_status_t engine_status;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void create_engine(void) {
	engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0);
}

static dnnl_status_t ensure_engine(void) {
	pthread_once(&engine_once, create_engine);
	return engine_status;
}

static dnnl_status_t describe(dnnl_memory_desc_t *md, int64_t n, int64_t c, int64_t h,
                              int64_t w, dnnl_format_tag_t tag) {
	dnnl_dims_t dims = {n, c, h, w};
	return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, tag);
}

// user_scratch returns attributes that hand scratch memory to the caller,
// so that handles never share the library's global scratch space.
static dnnl_primitive_attr_t user_scratch(void) {
	dnnl_primitive_attr_t attr = NULL;
	if (dnnl_primitive_attr_create(&attr) != dnnl_success) {
		return NULL;
	}
	dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
	return attr;
}

static dnnl_status_t bind(tensor *t, int arg, int is_output, const dnnl_memory_desc_t *user_md,
                          const dnnl_memory_desc_t *inner_md) {
	t->arg = arg;
	t->is_output = is_output;
	dnnl_status_t status = dnnl_memory_create(&t->user, user_md, engine, DNNL_MEMORY_NONE);
	if (status != dnnl_success || dnnl_memory_desc_equal(user_md, inner_md)) {
		return status;
	}
	status = dnnl_memory_create(&t->inner, inner_md, engine, DNNL_MEMORY_ALLOCATE);
	if (status != dnnl_success) {
		return status;
	}

	const dnnl_memory_desc_t *from = is_output ? inner_md : user_md;
	const dnnl_memory_desc_t *to = is_output ? user_md : inner_md;
	dnnl_primitive_attr_t attr = user_scratch();
	dnnl_primitive_desc_t pd = NULL;
	status = dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, attr);
	dnnl_primitive_attr_destroy(attr);
	if (status != dnnl_success) {
		return status;
	}
	// Reorders run without scratch memory; one that needs some is not
	// used, and the Go kernels take the shape instead.
	const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd,
	                                                                 dnnl_query_scratchpad_md, 0);
	if (scratch != NULL && dnnl_memory_desc_get_size(scratch) > 0) {
		dnnl_primitive_desc_destroy(pd);
		return dnnl_unimplemented;
	}
	status = dnnl_primitive_create(&t->reorder, pd);
	dnnl_primitive_desc_destroy(pd);
	return status;
}

typedef struct {
	dnnl_convolution_desc_t desc;
	dnnl_memory_desc_t src, weights, bias, dst;
} conv_descs;

static dnnl_status_t init_descs(conv_descs *d, int pass, const mma_conv_shape *s,
                                int has_bias, dnnl_format_tag_t tag) {
	int64_t out_h = (s->height + 2 * s->pad - s->kernel_h) / s->stride + 1;
	int64_t out_w = (s->width + 2 * s->pad - s->kernel_w) / s->stride + 1;
	dnnl_dims_t strides = {s->stride, s->stride}, pads = {s->pad, s->pad};

	dnnl_dims_t bias_dims = {s->out_channels};
	dnnl_status_t status = describe(&d->src, s->batch, s->in_channels, s->height, s->width,
	                                tag);
	if (status == dnnl_success) {
		status = describe(&d->weights, s->out_channels, s->in_channels, s->kernel_h,
		                  s->kernel_w, tag);
	}
	if (status == dnnl_success) {
		status = describe(&d->dst, s->batch, s->out_channels, out_h, out_w, tag);
	}
	if (status == dnnl_success) {
		status = dnnl_memory_desc_init_by_tag(&d->bias, 1, bias_dims, dnnl_f32, dnnl_x);
	}
	if (status != dnnl_success) {
		return status;
	}
	const dnnl_memory_desc_t *bias = has_bias ? &d->bias : NULL;

	switch (pass) {
	case MMA_CONV_FORWARD:
		return dnnl_convolution_forward_desc_init(&d->desc, dnnl_forward_training,
		    dnnl_convolution_direct, &d->src, &d->weights, bias, &d->dst, strides, pads, pads);
	case MMA_CONV_BACKWARD_DATA:
		return dnnl_convolution_backward_data_desc_init(&d->desc, dnnl_convolution_direct,
		    &d->src, &d->weights, &d->dst, strides, pads, pads);
	default:
		return dnnl_convolution_backward_weights_desc_init(&d->desc, dnnl_convolution_direct,
		    &d->src, &d->weights, bias, &d->dst, strides, pads, pads);
	}
}

// primitive_desc creates the pass's primitive descriptor, letting oneDNN
// choose the layouts. Backward passes need the forward one as a hint.
static dnnl_status_t primitive_desc(dnnl_primitive_desc_t *pd, int pass,
                                    const mma_conv_shape *s, int has_bias) {
	conv_descs forward, own;
	dnnl_status_t status = init_descs(&forward, MMA_CONV_FORWARD, s, has_bias,
	                                  dnnl_format_tag_any);
	if (status != dnnl_success) {
		return status;
	}
	dnnl_primitive_desc_t hint = NULL;
	dnnl_primitive_attr_t attr = user_scratch();
	status = dnnl_primitive_desc_create(&hint, &forward.desc, attr, engine, NULL);
	if (status != dnnl_success || pass == MMA_CONV_FORWARD) {
		dnnl_primitive_attr_destroy(attr);
		*pd = hint;
		return status;
	}

	status = init_descs(&own, pass, s, has_bias, dnnl_format_tag_any);
	if (status == dnnl_success) {
		status = dnnl_primitive_desc_create(pd, &own.desc, attr, engine, hint);
	}
	dnnl_primitive_attr_destroy(attr);
	dnnl_primitive_desc_destroy(hint);
	return status;
}

static dnnl_status_t bind_all(mma_conv *conv, dnnl_primitive_desc_t pd, int pass,
                              const mma_conv_shape *s, int has_bias) {
	conv_descs user;
	dnnl_status_t status = init_descs(&user, pass, s, has_bias, dnnl_nchw);
	if (status != dnnl_success) {
		return status;
	}

	int backward_data = pass == MMA_CONV_BACKWARD_DATA;
	int backward_weights = pass == MMA_CONV_BACKWARD_WEIGHTS;
	int forward = pass == MMA_CONV_FORWARD;
	struct {
		int slot, arg, is_output;
		dnnl_query_t query;
		const dnnl_memory_desc_t *user;
	} wanted[SLOTS] = {
	    {SLOT_SRC, backward_data ? DNNL_ARG_DIFF_SRC : DNNL_ARG_SRC, backward_data,
	     backward_data ? dnnl_query_diff_src_md : dnnl_query_src_md, &user.src},
	    {SLOT_WEIGHTS, backward_weights ? DNNL_ARG_DIFF_WEIGHTS : DNNL_ARG_WEIGHTS,
	     backward_weights,
	     backward_weights ? dnnl_query_diff_weights_md : dnnl_query_weights_md,
	     &user.weights},
	    {SLOT_BIAS, backward_weights ? DNNL_ARG_DIFF_BIAS : DNNL_ARG_BIAS, backward_weights,
	     backward_weights ? dnnl_query_diff_weights_md : dnnl_query_weights_md, &user.bias},
	    {SLOT_DST, forward ? DNNL_ARG_DST : DNNL_ARG_DIFF_DST, forward,
	     forward ? dnnl_query_dst_md : dnnl_query_diff_dst_md, &user.dst},
	};
	for (int i = 0; i < SLOTS; i++) {
		if (i == SLOT_BIAS && (!has_bias || backward_data)) {
			continue;
		}
		int index = i == SLOT_BIAS ? 1 : 0;
		const dnnl_memory_desc_t *inner = dnnl_primitive_desc_query_md(pd, wanted[i].query,
		                                                               index);
		status = bind(&conv->slots[i], wanted[i].arg, wanted[i].is_output, wanted[i].user,
		              inner);
		if (status != dnnl_success) {
			return status;
		}
	}

	const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd,
	                                                                 dnnl_query_scratchpad_md, 0);
	if (scratch != NULL && dnnl_memory_desc_get_size(scratch) > 0) {
		status = dnnl_memory_create(&conv->scratch, scratch, engine, DNNL_MEMORY_ALLOCATE);
	}
	return status;
}

static void destroy(mma_conv *conv) {
	for (int i = 0; i < SLOTS; i++) {
		tensor *t = &conv->slots[i];
		if (t->reorder != NULL) dnnl_primitive_destroy(t->reorder);
		if (t->inner != NULL) dnnl_memory_destroy(t->inner);
		if (t->user != NULL) dnnl_memory_destroy(t->user);
	}
	if (conv->scratch != NULL) dnnl_memory_destroy(conv->scratch);
	if (conv->primitive != NULL) dnnl_primitive_destroy(conv->primitive);
	if (conv->stream != NULL) dnnl_stream_destroy(conv->stream);
	free(conv);
}

mma_conv *mma_conv_new(int pass, const mma_conv_shape *shape, int has_bias, int *status_out,
                       char *err, int err_len) {
	mma_conv *conv = calloc(1, sizeof(mma_conv));
	if (conv == NULL) {
		*status_out = dnnl_out_of_memory;
		snprintf(err, err_len, "out of memory for a handle");
		return NULL;
	}
	dnnl_primitive_desc_t pd = NULL;
	const char *step = "engine";
	dnnl_status_t status = ensure_engine();
	if (status == dnnl_success) {
		step = "stream";
		status = dnnl_stream_create(&conv->stream, engine, dnnl_stream_default_flags);
	}
	if (status == dnnl_success) {
		step = "primitive descriptor";
		status = primitive_desc(&pd, pass, shape, has_bias);
	}
	if (status == dnnl_success) {
		step = "memory";
		status = bind_all(conv, pd, pass, shape, has_bias);
	}
	if (status == dnnl_success) {
		step = "primitive";
		status = dnnl_primitive_create(&conv->primitive, pd);
	}
	if (pd != NULL) {
		dnnl_primitive_desc_destroy(pd);
	}
	*status_out = (int)status;
	if (status != dnnl_success) {
		snprintf(err, err_len, "oneDNN %s: status %d", step, (int)status);
		destroy(conv);
		return NULL;
	}
	return conv;
}

// run_reorder copies between the caller's tensor and inner, the memory in
// the primitive's layout.
static dnnl_status_t run_reorder(mma_conv *conv, tensor *t, dnnl_memory_t inner) {
	dnnl_memory_t from = t->is_output ? inner : t->user;
	dnnl_memory_t to = t->is_output ? t->user : inner;
	dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
	return dnnl_primitive_execute(t->reorder, conv->stream, 2, args);
}

int mma_conv_run(mma_conv *conv, int threads, float *src, float *weights, float *bias,
                 float *dst) {
	void *cache[SLOTS] = {NULL, NULL, NULL, NULL};
	int cached[SLOTS] = {0, 0, 0, 0};
	return mma_conv_run_cached(conv, threads, src, weights, bias, dst, cache, cached);
}

int mma_conv_run_cached(mma_conv *conv, int threads, float *src, float *weights,
                        float *bias, float *dst, void *cache[4], const int cached[4]) {
	// The thread count is a setting of the calling thread, and Go may call
	// from any of its threads.
	omp_set_num_threads(threads);
	float *data[SLOTS] = {src, weights, bias, dst};
	dnnl_memory_t inner[SLOTS];
	dnnl_exec_arg_t args[SLOTS + 1];
	int count = 0;
	dnnl_status_t status = dnnl_success;

	for (int i = 0; i < SLOTS && status == dnnl_success; i++) {
		tensor *t = &conv->slots[i];
		if (t->arg == 0) {
			continue;
		}
		inner[i] = t->inner;
		if (t->inner != NULL && cache[i] != NULL) {
			inner[i] = (dnnl_memory_t)cache[i];
		}
		status = dnnl_memory_set_data_handle(t->user, data[i]);
		args[count].arg = t->arg;
		args[count].memory = inner[i] != NULL ? inner[i] : t->user;
		count++;
		if (status == dnnl_success && t->reorder != NULL && !t->is_output && !cached[i]) {
			status = run_reorder(conv, t, inner[i]);
		}
	}
	if (conv->scratch != NULL) {
		args[count].arg = DNNL_ARG_SCRATCHPAD;
		args[count].memory = conv->scratch;
		count++;
	}
	if (status == dnnl_success) {
		status = dnnl_primitive_execute(conv->primitive, conv->stream, count, args);
	}
	for (int i = 0; i < SLOTS && status == dnnl_success; i++) {
		tensor *t = &conv->slots[i];
		if (t->arg != 0 && t->reorder != NULL && t->is_output) {
			status = run_reorder(conv, t, inner[i]);
		}
	}
	if (status == dnnl_success) {
		status = dnnl_stream_wait(conv->stream);
	}

	// The caller's memory belongs to Go, which may move or free it after
	// the call, so no handle keeps a pointer to it.
	for (int i = 0; i < SLOTS; i++) {
		if (conv->slots[i].arg != 0) {
			dnnl_memory_set_data_handle(conv->slots[i].user, NULL);
		}
	}
	return (int)status;
}

static const dnnl_memory_desc_t *inner_desc(mma_conv *conv, int slot) {
	if (slot < 0 || slot >= SLOTS || conv->slots[slot].inner == NULL) {
		return NULL;
	}
	const dnnl_memory_desc_t *md = NULL;
	if (dnnl_memory_get_memory_desc(conv->slots[slot].inner, &md) != dnnl_success) {
		return NULL;
	}
	return md;
}

size_t mma_conv_inner_size(mma_conv *conv, int slot) {
	const dnnl_memory_desc_t *md = inner_desc(conv, slot);
	return md == NULL ? 0 : dnnl_memory_desc_get_size(md);
}

int mma_conv_same_inner(mma_conv *a, int slot_a, mma_conv *b, int slot_b) {
	const dnnl_memory_desc_t *first = inner_desc(a, slot_a);
	const dnnl_memory_desc_t *second = inner_desc(b, slot_b);
	return first != NULL && second != NULL && dnnl_memory_desc_equal(first, second);
}

void *mma_conv_cache_new(mma_conv *conv, int slot) {
	const dnnl_memory_desc_t *md = inner_desc(conv, slot);
	dnnl_memory_t memory = NULL;
	if (md == NULL || dnnl_memory_create(&memory, md, engine, DNNL_MEMORY_ALLOCATE) !=
	                      dnnl_success) {
		return NULL;
	}
	return memory;
}

void mma_conv_cache_free(void *memory) {
	if (memory != NULL) {
		dnnl_memory_destroy((dnnl_memory_t)memory);
	}
}

int mma_sgemm(int threads, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
              int64_t ldc) {
	omp_set_num_threads(threads);
	return (int)dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a, lda,
	                       b, ldb, beta, c, ldc);
}
