package kernels

import (
	"fmt"
	"math"
)

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
			s.maxPool2x2(in, y)
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
		if s.Kernel == 2 && s.Stride == 2 {
			s.maxPool2x2Backward(in, g, d)
			return
		}
		clear(d)
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

// maxPool2x2 is MaxPool2DForward on one plane for 2x2 windows with stride
// 2, the common case. It takes maxima without branches, which the
// processor cannot predict on random data.
func (s PoolShape) maxPool2x2(plane, out []float32) {
	oh, ow := s.OutH(), s.OutW()
	for i := 0; i < oh; i++ {
		top := plane[2*i*s.Width : (2*i+1)*s.Width]
		bottom := plane[(2*i+1)*s.Width : (2*i+2)*s.Width]
		row := out[i*ow : (i+1)*ow]
		for j := range row {
			row[j] = max(max(top[2*j], top[2*j+1]), max(bottom[2*j], bottom[2*j+1]))
		}
	}
}

// maxPool2x2Backward is MaxPool2DBackward on one plane for 2x2 windows with
// stride 2. The windows do not overlap, so it writes every element of dx
// once instead of clearing it and adding.
func (s PoolShape) maxPool2x2Backward(plane, dy, dx []float32) {
	oh, ow := s.OutH(), s.OutW()
	clear(dx[2*oh*s.Width:])
	for i := 0; i < oh; i++ {
		top := plane[2*i*s.Width : (2*i+1)*s.Width]
		bottom := plane[(2*i+1)*s.Width : (2*i+2)*s.Width]
		dTop := dx[2*i*s.Width : (2*i+1)*s.Width]
		dBottom := dx[(2*i+1)*s.Width : (2*i+2)*s.Width]
		clear(dTop[2*ow:])
		clear(dBottom[2*ow:])
		for j, g := range dy[i*ow : (i+1)*ow] {
			a, b, c, d := top[2*j], top[2*j+1], bottom[2*j], bottom[2*j+1]
			m := max(max(a, b), max(c, d))
			// Route g to the first maximum in row-major order, as argmax
			// does, through bit masks instead of branches.
			bits := math.Float32bits(g)
			maskA := mask(a == m)
			maskB := mask(b == m) &^ maskA
			maskC := mask(c == m) &^ (maskA | maskB)
			maskD := ^(maskA | maskB | maskC)
			dTop[2*j] = math.Float32frombits(bits & maskA)
			dTop[2*j+1] = math.Float32frombits(bits & maskB)
			dBottom[2*j] = math.Float32frombits(bits & maskC)
			dBottom[2*j+1] = math.Float32frombits(bits & maskD)
		}
	}
}

// mask returns all ones if set is true and zero otherwise.
func mask(set bool) uint32 {
	var m uint32
	if set {
		m = ^uint32(0)
	}
	return m
}

// forEachPlane calls body with every H x W plane of x and its index
// n*C + c, spreading the planes over the cores in chunks.
func (s PoolShape) forEachPlane(x []float32, body func(plane []float32, index int)) {
	planes := s.Batch * s.Channels
	size := s.Height * s.Width
	chunk := max(1, planes/(8*maxWorkers()))
	parallelFor(ceilDiv(planes, chunk), func(_, k int) {
		for p := k * chunk; p < min(planes, (k+1)*chunk); p++ {
			body(x[p*size:(p+1)*size], p)
		}
	})
}
