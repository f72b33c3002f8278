package kernels

import "fmt"

// ConvShape describes a 2D convolution of an NCHW input with OIHW weights,
// the same stride along both axes and the same zero padding on all sides.
type ConvShape struct {
	Batch, InChannels, Height, Width int // input N, C, H, W
	OutChannels, KernelH, KernelW    int // weight O, kH, kW (weight I is InChannels)
	Stride                           int // step between windows, >= 1
	Pad                              int // zero rows and columns added on each side, >= 0
}

// Validate returns an error if a size is not positive, the padding is
// negative or the kernel does not fit in the padded input.
func (s ConvShape) Validate() error {
	if s.Batch < 1 || s.InChannels < 1 || s.Height < 1 || s.Width < 1 {
		return fmt.Errorf("invalid input shape %dx%dx%dx%d: sizes must be positive",
			s.Batch, s.InChannels, s.Height, s.Width)
	}
	if s.OutChannels < 1 || s.KernelH < 1 || s.KernelW < 1 {
		return fmt.Errorf("invalid weight shape %dx%dx%dx%d: sizes must be positive",
			s.OutChannels, s.InChannels, s.KernelH, s.KernelW)
	}
	if s.Stride < 1 {
		return fmt.Errorf("invalid stride %d: must be at least 1", s.Stride)
	}
	if s.Pad < 0 {
		return fmt.Errorf("invalid padding %d: must be at least 0", s.Pad)
	}
	if s.Height+2*s.Pad < s.KernelH || s.Width+2*s.Pad < s.KernelW {
		return fmt.Errorf("invalid convolution: %dx%d kernel is larger than the %dx%d input "+
			"padded by %d", s.KernelH, s.KernelW, s.Height, s.Width, s.Pad)
	}
	return nil
}

// OutH returns the output height.
func (s ConvShape) OutH() int { return (s.Height+2*s.Pad-s.KernelH)/s.Stride + 1 }

// OutW returns the output width.
func (s ConvShape) OutW() int { return (s.Width+2*s.Pad-s.KernelW)/s.Stride + 1 }

// InputSize returns the number of input elements, N*C*H*W.
func (s ConvShape) InputSize() int { return s.Batch * s.InChannels * s.Height * s.Width }

// WeightSize returns the number of weight elements, O*C*kH*kW.
func (s ConvShape) WeightSize() int { return s.OutChannels * s.patchSize() }

// OutputSize returns the number of output elements, N*O*outH*outW.
func (s ConvShape) OutputSize() int { return s.Batch * s.OutChannels * s.outPixels() }

// patchSize is the length of one unrolled window, C*kH*kW: the rows of the
// im2col matrix.
func (s ConvShape) patchSize() int { return s.InChannels * s.KernelH * s.KernelW }

// outPixels is outH*outW: the columns of the im2col matrix.
func (s ConvShape) outPixels() int { return s.OutH() * s.OutW() }

func (s ConvShape) check(name string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("kernels: %s has %d elements, want %d for %+v", name, got, want, s))
	}
}

// Im2Col unrolls one C x H x W image into col, a (C*kH*kW) x (outH*outW)
// matrix whose column p contains the window of output pixel p, with zeros
// where the window covers padding. Batch is ignored.
func Im2Col(s ConvShape, image, col []float32) {
	s.check("image", len(image), s.InChannels*s.Height*s.Width)
	s.check("col", len(col), s.patchSize()*s.outPixels())
	oh, ow := s.OutH(), s.OutW()
	for c := 0; c < s.InChannels; c++ {
		plane := image[c*s.Height*s.Width : (c+1)*s.Height*s.Width]
		for kh := 0; kh < s.KernelH; kh++ {
			for kw := 0; kw < s.KernelW; kw++ {
				row := ((c*s.KernelH+kh)*s.KernelW + kw) * oh * ow
				lo, hi := s.validRange(kw, ow)
				for y := 0; y < oh; y++ {
					dst := col[row+y*ow : row+(y+1)*ow]
					iy := y*s.Stride - s.Pad + kh
					if iy < 0 || iy >= s.Height {
						clear(dst)
						continue
					}
					s.gatherRow(dst, plane[iy*s.Width:(iy+1)*s.Width], kw, lo, hi)
				}
			}
		}
	}
}

// ConvCache is the state one convolution layer keeps between its forward
// and backward passes. The native build keeps the input and the output
// gradient there in the layout its convolutions use, so that the weight
// gradient reads them without converting them again. The pure-Go build
// keeps nothing. The zero value is ready to use, and a nil *ConvCache
// keeps nothing.
//
// A layer's passes must see the same data a graph run gives them: the
// forward pass first, and the input and output gradient unchanged until
// the backward passes have run.
type ConvCache struct {
	layer nativeLayer
}

// imageOperand is the im2col matrix of one C x H x W image, as Im2Col
// would write it, read from the image on demand. A matrix product packs
// its B operand from it directly, which saves writing and reading the
// whole matrix once.
type imageOperand struct {
	shape ConvShape
	image []float32
}

// pack writes rows [pc, pc+kc) and columns [jc, jc+nc) of the im2col
// matrix into dst as packB lays out B: strips of cols columns, each row by
// row, the last strip padded with zeros.
func (o *imageOperand) pack(dst []float32, pc, kc, jc, nc, cols int) {
	s := o.shape
	ow := s.OutW()
	if last := nc % cols; last != 0 {
		strip := dst[(nc-last)*kc : (nc-last+cols)*kc]
		for p := 0; p < kc; p++ {
			clear(strip[p*cols+last : (p+1)*cols])
		}
	}

	for p := 0; p < kc; p++ {
		kw := (pc + p) % s.KernelW
		kh := (pc + p) / s.KernelW % s.KernelH
		channel := (pc + p) / (s.KernelW * s.KernelH)
		plane := o.image[channel*s.Height*s.Width : (channel+1)*s.Height*s.Width]
		lo, hi := s.validRange(kw, ow)

		// Walk the columns in pieces that stay within one output row and
		// one strip, keeping the row, column, strip and offset in step.
		y, x := jc/ow, jc%ow
		strip, offset := 0, 0
		for done := 0; done < nc; {
			n := min(ow-x, cols-offset, nc-done)
			start := strip*cols*kc + p*cols + offset
			segment := dst[start : start+n]
			iy := y - s.Pad + kh
			if s.Stride == 1 && n == 32 && x >= lo && x+n <= hi && iy >= 0 && iy < s.Height {
				// The common case of a 32-pixel row inside the image: a
				// fixed-size copy, which the compiler inlines.
				from := iy*s.Width + x - s.Pad + kw
				*(*[32]float32)(segment) = *(*[32]float32)(plane[from : from+32])
			} else {
				s.gatherSegment(segment, plane, y, x, kh, kw, lo, hi)
			}
			done += n
			if x += n; x == ow {
				x, y = 0, y+1
			}
			if offset += n; offset == cols {
				offset, strip = 0, strip+1
			}
		}
	}
}

// gatherSegment sets dst to the im2col values of output row y, columns
// [x, x+len(dst)), for kernel offset (kh, kw) in one input plane. lo and
// hi are validRange(kw, outW).
func (s ConvShape) gatherSegment(dst, plane []float32, y, x, kh, kw, lo, hi int) {
	iy := y*s.Stride - s.Pad + kh
	if iy < 0 || iy >= s.Height {
		clear(dst)
		return
	}
	first := min(max(lo-x, 0), len(dst))
	last := max(min(hi-x, len(dst)), first)
	if first > 0 {
		clear(dst[:first])
	}
	if last < len(dst) {
		clear(dst[last:])
	}
	row := plane[iy*s.Width : (iy+1)*s.Width]
	start := (x+first)*s.Stride - s.Pad + kw
	if s.Stride == 1 {
		copy(dst[first:last], row[start:])
		return
	}
	for i := first; i < last; i++ {
		dst[i] = row[start+(i-first)*s.Stride]
	}
}

// validRange returns the output columns [lo, hi) whose input column
// x*Stride - Pad + kw lies inside the image.
func (s ConvShape) validRange(kw, ow int) (lo, hi int) {
	lo = max(0, ceilDiv(s.Pad-kw, s.Stride))
	hi = min(ow, ceilDiv(s.Width+s.Pad-kw, s.Stride))
	return lo, max(lo, hi)
}

// gatherRow fills dst[x] with src[x*Stride - Pad + kw] for x in [lo, hi),
// the range validRange returns, and with zeros elsewhere.
func (s ConvShape) gatherRow(dst, src []float32, kw, lo, hi int) {
	clear(dst[:lo])
	clear(dst[hi:])
	start := lo*s.Stride - s.Pad + kw
	if s.Stride == 1 {
		copy(dst[lo:hi], src[start:])
		return
	}
	for x := lo; x < hi; x++ {
		dst[x] = src[start+(x-lo)*s.Stride]
	}
}

// Col2Im adds each column of col, laid out as Im2Col produces it, back into
// the pixels of the C x H x W image it was read from. Values that fall on
// padding are dropped. Batch is ignored.
func Col2Im(s ConvShape, col, image []float32) {
	s.check("image", len(image), s.InChannels*s.Height*s.Width)
	s.check("col", len(col), s.patchSize()*s.outPixels())
	oh, ow := s.OutH(), s.OutW()
	for c := 0; c < s.InChannels; c++ {
		plane := image[c*s.Height*s.Width : (c+1)*s.Height*s.Width]
		for kh := 0; kh < s.KernelH; kh++ {
			for kw := 0; kw < s.KernelW; kw++ {
				row := ((c*s.KernelH+kh)*s.KernelW + kw) * oh * ow
				lo, hi := s.validRange(kw, ow)
				for y := 0; y < oh; y++ {
					iy := y*s.Stride - s.Pad + kh
					if iy < 0 || iy >= s.Height {
						continue
					}
					src := col[row+y*ow+lo : row+y*ow+hi]
					dst := plane[iy*s.Width : (iy+1)*s.Width]
					start := lo*s.Stride - s.Pad + kw
					if s.Stride == 1 {
						addTo(dst[start:start+len(src)], src)
						continue
					}
					for i, v := range src {
						dst[start+i*s.Stride] += v
					}
				}
			}
		}
	}
}

// addTo adds src to dst element by element. The slices have equal length.
func addTo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}
