package kernels

import "fmt"

// PoolShape describes a 2D max pooling of an NCHW input with a square
// window, the same stride along both axes and no padding. Windows that
// would run past the bottom or right edge are dropped.
type PoolShape struct {
	Batch, Channels, Height, Width int // input N, C, H, W
	Kernel                         int // window side, >= 1
	Stride                         int // step between windows, >= 1
}

// Validate returns an error if a size is not positive or the window does
// not fit in the input.
func (s PoolShape) Validate() error {
	if s.Batch < 1 || s.Channels < 1 || s.Height < 1 || s.Width < 1 {
		return fmt.Errorf("invalid input shape %dx%dx%dx%d: sizes must be positive",
			s.Batch, s.Channels, s.Height, s.Width)
	}
	if s.Kernel < 1 || s.Stride < 1 {
		return fmt.Errorf("invalid pooling window %d stride %d: both must be at least 1",
			s.Kernel, s.Stride)
	}
	if s.Kernel > s.Height || s.Kernel > s.Width {
		return fmt.Errorf("invalid pooling window %d: larger than the %dx%d input",
			s.Kernel, s.Height, s.Width)
	}
	return nil
}

// OutH returns the output height.
func (s PoolShape) OutH() int { return (s.Height-s.Kernel)/s.Stride + 1 }

// OutW returns the output width.
func (s PoolShape) OutW() int { return (s.Width-s.Kernel)/s.Stride + 1 }

// InputSize returns the number of input elements, N*C*H*W.
func (s PoolShape) InputSize() int { return s.Batch * s.Channels * s.Height * s.Width }

// OutputSize returns the number of output elements, N*C*outH*outW.
func (s PoolShape) OutputSize() int { return s.Batch * s.Channels * s.OutH() * s.OutW() }

func (s PoolShape) check(name string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("kernels: %s has %d elements, want %d for %+v", name, got, want, s))
	}
}

// MaxPool2DForward sets out (N x C x outH x outW) to the maximum of each
// window of x (N x C x H x W).
func MaxPool2DForward(s PoolShape, x, out []float32) {
	s.check("x", len(x), s.InputSize())
	s.check("out", len(out), s.OutputSize())
	s.forEachPlane(x, func(in []float32, o int) {
		oh, ow := s.OutH(), s.OutW()
		y := out[o*oh*ow : (o+1)*oh*ow]
		if s.Kernel == 2 && s.Stride == 2 {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					y[i*ow+j] = in[s.argmax2x2(in, i, j)]
				}
			}
			return
		}
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				y[i*ow+j] = in[s.argmax(in, i, j)]
			}
		}
	})
}

// MaxPool2DBackward sets dx (N x C x H x W) to the gradient of a loss with
// respect to the pooling input x, given the output gradient dy
// (N x C x outH x outW). Each window passes its gradient to its first
// maximum, the element that MaxPool2DForward returned.
func MaxPool2DBackward(s PoolShape, x, dy, dx []float32) {
	s.check("x", len(x), s.InputSize())
	s.check("dy", len(dy), s.OutputSize())
	s.check("dx", len(dx), s.InputSize())
	s.forEachPlane(x, func(in []float32, o int) {
		oh, ow := s.OutH(), s.OutW()
		g := dy[o*oh*ow : (o+1)*oh*ow]
		d := dx[o*s.Height*s.Width : (o+1)*s.Height*s.Width]
		clear(d)
		if s.Kernel == 2 && s.Stride == 2 {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					d[s.argmax2x2(in, i, j)] += g[i*ow+j]
				}
			}
			return
		}
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				d[s.argmax(in, i, j)] += g[i*ow+j]
			}
		}
	})
}

// argmax returns the index in the H x W plane of the first maximum of the
// window of output pixel (i, j).
func (s PoolShape) argmax(plane []float32, i, j int) int {
	top, left := i*s.Stride, j*s.Stride
	best := top*s.Width + left
	for y := top; y < top+s.Kernel; y++ {
		row := y * s.Width
		for x := left; x < left+s.Kernel; x++ {
			if plane[row+x] > plane[best] {
				best = row + x
			}
		}
	}
	return best
}

// argmax2x2 is argmax for a 2x2 window with stride 2, the common case,
// comparing in the same order.
func (s PoolShape) argmax2x2(plane []float32, i, j int) int {
	top := 2*i*s.Width + 2*j
	bottom := top + s.Width
	best := top
	if plane[top+1] > plane[best] {
		best = top + 1
	}
	if plane[bottom] > plane[best] {
		best = bottom
	}
	if plane[bottom+1] > plane[best] {
		best = bottom + 1
	}
	return best
}

// forEachPlane calls body with every H x W plane of x and its index
// n*C + c, spreading the planes over the cores in chunks.
func (s PoolShape) forEachPlane(x []float32, body func(plane []float32, index int)) {
	planes := s.Batch * s.Channels
	size := s.Height * s.Width
	chunk := max(1, planes/(8*workers(1<<30)))
	parallelFor(ceilDiv(planes, chunk), func(_, k int) {
		for p := k * chunk; p < min(planes, (k+1)*chunk); p++ {
			body(x[p*size:(p+1)*size], p)
		}
	})
}
