//go:build dnnl && cgo

package dnnl

// #cgo LDFLAGS: -ldnnl -lgomp
// #include <stdlib.h>
// #include "dnnl_conv.h"
// #include <oneapi/dnnl/dnnl.h>
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Pass is one of the three passes of a convolution.
type Pass int

// The passes of a convolution.
const (
	Forward         Pass = C.MMA_CONV_FORWARD
	BackwardData    Pass = C.MMA_CONV_BACKWARD_DATA
	BackwardWeights Pass = C.MMA_CONV_BACKWARD_WEIGHTS
)

// Shape describes a 2D convolution of an N x C x H x W input with
// O x C x kH x kW weights, the same stride along both axes and the same
// zero padding on all sides.
type Shape struct {
	Batch, InChannels, Height, Width int
	OutChannels, KernelH, KernelW    int
	Stride, Pad                      int
}

// key identifies one primitive.
type key struct {
	shape   Shape
	pass    Pass
	hasBias bool
}

// handle is one oneDNN primitive with its reorders and scratch memory. It
// keeps its own copies of reordered tensors, so one call at a time may use
// it.
type handle struct {
	mu   sync.Mutex
	conv *C.mma_conv
	err  error
}

// handles holds every handle made so far, by key.
//
// TODO: handles are never freed. A process that runs many batch sizes
// keeps each one's primitives and buffers until it exits.
var handles sync.Map

// ErrUnsupported is wrapped by the errors of Conv for shapes oneDNN has no
// primitive for.
var ErrUnsupported = errors.New("not supported by oneDNN")

// Conv runs one pass of the convolution s on GOMAXPROCS threads. It takes
// four slices, whose lengths the caller checks against s:
//   - the input, or its gradient for BackwardData;
//   - the weights, or their gradient for BackwardWeights;
//   - the bias, or its gradient for BackwardWeights, or nil for none
//     (BackwardData ignores it);
//   - the output, or its gradient for the backward passes.
//
// Conv returns an error wrapping ErrUnsupported if oneDNN has no primitive
// for s, and another error if making one failed, for example for lack of
// memory. The error is kept, so later calls for s fail at once.
func Conv(pass Pass, s Shape, src, weights, bias, dst []float32) error {
	h := load(key{shape: s, pass: pass, hasBias: bias != nil && pass != BackwardData})
	if h.err != nil {
		return h.err
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	threads := C.int(runtime.GOMAXPROCS(0))
	status := C.mma_conv_run(h.conv, threads, pointer(src), pointer(weights), pointer(bias),
		pointer(dst))
	if status != 0 {
		return fmt.Errorf("oneDNN convolution %+v, pass %d: status %d", s, pass, status)
	}
	return nil
}

// handlesMu serialises the making of handles, so that two callers of a
// new shape do not both make one.
var handlesMu sync.Mutex

func load(k key) *handle {
	if h, ok := handles.Load(k); ok {
		return h.(*handle)
	}

	handlesMu.Lock()
	defer handlesMu.Unlock()
	if h, ok := handles.Load(k); ok {
		return h.(*handle)
	}
	h := newHandle(k)
	handles.Store(k, h)
	return h
}

func newHandle(k key) *handle {
	s := k.shape
	shape := C.mma_conv_shape{
		batch: C.int64_t(s.Batch), in_channels: C.int64_t(s.InChannels),
		height: C.int64_t(s.Height), width: C.int64_t(s.Width),
		out_channels: C.int64_t(s.OutChannels), kernel_h: C.int64_t(s.KernelH),
		kernel_w: C.int64_t(s.KernelW), stride: C.int64_t(s.Stride), pad: C.int64_t(s.Pad),
	}

	const reasonLen = 200
	reason := (*C.char)(C.calloc(reasonLen, 1))
	defer C.free(unsafe.Pointer(reason))
	var status C.int
	conv := C.mma_conv_new(C.int(k.pass), &shape, cBool(k.hasBias), &status, reason,
		reasonLen)
	switch {
	case conv != nil:
		return &handle{conv: conv}
	case status == C.dnnl_unimplemented:
		return &handle{err: fmt.Errorf("convolution %+v, pass %d: %s: %w", s, k.pass,
			C.GoString(reason), ErrUnsupported)}
	default:
		return &handle{err: fmt.Errorf("convolution %+v, pass %d: %s", s, k.pass,
			C.GoString(reason))}
	}
}

// Gemm computes C = op(A) * op(B) + beta * C with oneDNN's sgemm on
// GOMAXPROCS threads. The arguments mean what they mean for kernels.Gemm,
// and the caller checks them. With k = 0, C is left as it is, whatever
// beta.
func Gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) error {
	threads := C.int(runtime.GOMAXPROCS(0))
	status := C.mma_sgemm(threads, cBool(transA), cBool(transB), C.int64_t(m), C.int64_t(n),
		C.int64_t(k), pointer(a), C.int64_t(lda), pointer(b), C.int64_t(ldb),
		C.float(beta), pointer(c), C.int64_t(ldc))
	if status != 0 {
		return fmt.Errorf("oneDNN sgemm %dx%dx%d: status %d", m, n, k, status)
	}
	return nil
}

func pointer(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func cBool(v bool) C.int {
	if v {
		return 1
	}
	return 0
}

// Version returns the version of the oneDNN library loaded, such as
// "2.6.3".
func Version() string {
	v := C.dnnl_version()
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
}

// Slots of the tensors of a pass, in the order Conv takes them.
const (
	slotSrc = 0
	slotDst = 3
)

// Layer is one convolution layer's memory between its passes: the input
// and the output gradient in oneDNN's layout, kept so that the weight
// gradient need not reorder them again. The zero value is ready to use. A
// Layer may be used from several goroutines, though its passes run one at
// a time, and reuse assumes the order of passes of one graph run.
//
// Reuse rests on two facts of a graph run, which Layer checks as far as it
// can: the forward pass runs before the backward passes, and the input and
// the output gradient do not change in between. A reordered tensor is used
// only if it came from the same slice since the last forward pass.
//
// A layer keeps a tensor only once the pass that would read it has run:
// graphs that never compute the weight gradient, such as an attack's,
// keep nothing and use the per-shape memory, which stays warmer in the
// processor's caches.
type Layer struct {
	mu                  sync.Mutex
	forwards            uint64 // forward passes run so far
	src, dy             cachedTensor
	ranData, ranWeights bool // whether each backward pass has run
}

// cachedTensor is a tensor reordered into a layout some pass wants.
type cachedTensor struct {
	memory  *cacheMemory // nil until a pass needs it
	owner   *handle      // the pass whose layout memory has
	data    *float32     // the caller's tensor it holds, or nil
	forward uint64       // the forward pass count when it was written
}

// cacheMemory owns memory from mma_conv_cache_new, which is freed once
// the cacheMemory is unreachable.
type cacheMemory struct {
	pointer unsafe.Pointer
}

func newCacheMemory(h *handle, slot int) *cacheMemory {
	memory := &cacheMemory{pointer: C.mma_conv_cache_new(h.conv, C.int(slot))}
	runtime.AddCleanup(memory, func(pointer unsafe.Pointer) {
		C.mma_conv_cache_free(pointer)
	}, memory.pointer)
	return memory
}

// Conv is the package's Conv for one layer, reusing the reordered input
// of the forward pass and the reordered output gradient of one backward
// pass in the other.
func (l *Layer) Conv(pass Pass, s Shape, src, weights, bias, dst []float32) error {
	h := load(key{shape: s, pass: pass, hasBias: bias != nil && pass != BackwardData})
	if h.err != nil {
		return h.err
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	var cache [4]unsafe.Pointer
	var cached [4]C.int
	switch pass {
	case Forward:
		l.forwards++
		if l.ranWeights {
			cache[slotSrc] = l.src.claim(h, slotSrc, &src[0], l.forwards)
		}
	case BackwardData:
		l.ranData = true
		cache[slotDst], cached[slotDst] = l.dy.reuse(h, slotDst, &dst[0], l.forwards,
			l.ranWeights)
	case BackwardWeights:
		l.ranWeights = true
		cache[slotSrc], cached[slotSrc] = l.src.reuse(h, slotSrc, &src[0], l.forwards, false)
		cache[slotDst], cached[slotDst] = l.dy.reuse(h, slotDst, &dst[0], l.forwards,
			l.ranData)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	threads := C.int(runtime.GOMAXPROCS(0))
	status := C.mma_conv_run_cached(h.conv, threads, pointer(src), pointer(weights),
		pointer(bias), pointer(dst), &cache[0], &cached[0])
	if status != 0 {
		l.src.data, l.dy.data = nil, nil
		return fmt.Errorf("oneDNN convolution %+v, pass %d: status %d", s, pass, status)
	}
	return nil
}

// reuse returns the cached memory for slot of h and whether it already
// holds data, reordered since forward pass number forward. Otherwise, if
// keep is true, it claims the memory for the reorder that h is about to
// run, and if not, it returns nil.
func (c *cachedTensor) reuse(h *handle, slot int, data *float32, forward uint64,
	keep bool) (unsafe.Pointer, C.int) {
	if c.memory != nil && c.data == data && c.forward == forward &&
		C.mma_conv_same_inner(c.owner.conv, C.int(slot), h.conv, C.int(slot)) != 0 {
		return c.memory.pointer, 1
	}
	if !keep {
		return nil, 0
	}
	return c.claim(h, slot, data, forward), 0
}

// claim returns the cached memory for the reorder that slot of h is about
// to run, allocating it on first use, and records that it will hold data.
// It returns nil, leaving the cache as it is, where h takes the caller's
// layout as it is or wants another layout than the memory has: that pass
// then reorders into its own memory.
func (c *cachedTensor) claim(h *handle, slot int, data *float32,
	forward uint64) unsafe.Pointer {
	if C.mma_conv_inner_size(h.conv, C.int(slot)) == 0 {
		return nil
	}
	if c.memory == nil {
		c.memory = newCacheMemory(h, slot)
		c.owner = h
	} else if C.mma_conv_same_inner(c.owner.conv, C.int(slot), h.conv, C.int(slot)) == 0 {
		return nil
	}
	if c.memory.pointer == nil {
		return nil
	}
	c.data, c.forward = data, forward
	return c.memory.pointer
}
