package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// maxWorkers returns how many goroutines a parallel kernel uses at most:
// GOMAXPROCS.
func maxWorkers() int { return runtime.GOMAXPROCS(0) }

// workers returns how many goroutines a parallel kernel should use for
// tasks independent units of work.
func workers(tasks int) int { return min(tasks, maxWorkers()) }

// parallelFor calls body(worker, i) for every i in [0, n), spreading the
// calls over up to GOMAXPROCS goroutines that take indices in turn, so a
// slow core does not hold up the rest. Worker numbers are in
// [0, workers(n)) and let body use per-worker scratch space.
func parallelFor(n int, body func(worker, i int)) {
	w := workers(n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			body(0, i)
		}
		return
	}

	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(w)
	for k := 0; k < w; k++ {
		go func(worker int) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				body(worker, i)
			}
		}(k)
	}
	wg.Wait()
}

// bufferPool contains float32 scratch slices so that kernels allocate only
// when a larger buffer than any returned before is needed.
var bufferPool sync.Pool

// getBuffer returns a pooled scratch slice of length n with undefined
// contents. Return it with putBuffer.
func getBuffer(n int) *[]float32 {
	if p, ok := bufferPool.Get().(*[]float32); ok {
		if cap(*p) >= n {
			*p = (*p)[:n]
			return p
		}
		bufferPool.Put(p)
	}
	s := make([]float32, n)
	return &s
}

func putBuffer(p *[]float32) { bufferPool.Put(p) }

// ForEach calls body(i) for every i in [0, n), spread over up to
// GOMAXPROCS goroutines. Calls for different i must not write to the same
// memory. Each call runs on one goroutine, so a body that sums in a fixed
// order gives the same result on every run.
func ForEach(n int, body func(i int)) {
	parallelFor(n, func(_, i int) { body(i) })
}
