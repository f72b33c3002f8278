package kernels

import "sync"

// forEachImage calls body for every image n of a batch. With at least as
// many images as cores the images run in parallel and body should run
// serial products. Otherwise they run in turn and body should run parallel
// ones. Worker numbers are below workers(batch).
//
// Each worker takes a fixed, contiguous range of images, in order. The
// weight gradient sums each worker's images apart and then adds the
// workers' sums in order, so a fixed assignment makes it bit-identical
// from run to run. Work stealing would group the images differently each
// time and change the float32 rounding.
func forEachImage(batch int, body func(worker, n int, parallel bool)) {
	w := workers(batch)
	if w < maxWorkers() {
		for n := 0; n < batch; n++ {
			body(0, n, true)
		}
		return
	}

	var wg sync.WaitGroup
	wg.Add(w)
	for worker := 0; worker < w; worker++ {
		go func() {
			defer wg.Done()
			for n := worker * batch / w; n < (worker+1)*batch/w; n++ {
				body(worker, n, false)
			}
		}()
	}
	wg.Wait()
}

// product returns the arguments of left * op(b) into c for a packed left
// operand.
func product(left *packedLeft, transB bool, b []float32, ldb int, c []float32,
	ldc int) gemmArgs {
	return gemmArgs{transB: transB, b: b, ldb: ldb, c: c, ldc: ldc, packedLeft: left}
}

// Conv2DForward sets out (N x O x outH x outW) to the convolution of x
// (N x C x H x W) with weight (O x C x kH x kW) plus bias (length O, or nil
// for none). It panics if a slice length does not match s.
func Conv2DForward(s ConvShape, x, weight, bias, out []float32) {
	conv2DForward(nil, s, x, weight, bias, out)
}

// Forward is Conv2DForward for the layer that c belongs to.
func (c *ConvCache) Forward(s ConvShape, x, weight, bias, out []float32) {
	conv2DForward(c, s, x, weight, bias, out)
}

func conv2DForward(cache *ConvCache, s ConvShape, x, weight, bias, out []float32) {
	s.check("x", len(x), s.InputSize())
	s.check("weight", len(weight), s.WeightSize())
	s.check("out", len(out), s.OutputSize())
	if bias != nil {
		s.check("bias", len(bias), s.OutChannels)
	}
	if runNativeConv(cache, passForward, s, x, weight, bias, out) {
		return
	}

	inSize := s.InChannels * s.Height * s.Width
	outSize := s.OutChannels * s.outPixels()
	patch, pixels := s.patchSize(), s.outPixels()
	left := packLeft(false, s.OutChannels, patch, weight, patch)
	defer left.release()

	// Packing straight from the image copies a piece of an output row at a
	// time, so narrow outputs go through an im2col matrix instead.
	var cols scratch
	direct := s.OutW() >= minDirectWidth
	if !direct {
		cols = newScratch(workers(s.Batch), patch*pixels)
		defer cols.release()
	}

	forEachImage(s.Batch, func(worker, n int, parallel bool) {
		y := out[n*outSize : (n+1)*outSize]
		image := x[n*inSize : (n+1)*inSize]
		g := gemmArgs{packedLeft: left, c: y, ldc: pixels}
		if direct {
			g.image = &imageOperand{shape: s, image: image}
		} else {
			g.b, g.ldb = cols.slice(worker), pixels
			Im2Col(s, image, g.b)
		}
		g.run(s.OutChannels, pixels, patch, 0, parallel)
		if bias != nil {
			addChannelBias(y, bias, pixels)
		}
	})
}

// minDirectWidth is the narrowest output, in pixels, for which
// Conv2DForward packs its matrix product straight from the image. On
// ResNet-20's layers at batch 128 that was 1.1x faster at width 32 and
// 1.3x slower at width 8 than building the im2col matrix first.
const minDirectWidth = 16

func addChannelBias(y, bias []float32, pixels int) {
	for o, b := range bias {
		plane := y[o*pixels : (o+1)*pixels]
		for i := range plane {
			plane[i] += b
		}
	}
}

// Conv2DBackwardInput sets dx (N x C x H x W) to the gradient of a loss
// with respect to the convolution input, given weight (O x C x kH x kW) and
// the output gradient dy (N x O x outH x outW).
func Conv2DBackwardInput(s ConvShape, weight, dy, dx []float32) {
	conv2DBackwardInput(nil, s, weight, dy, dx)
}

// BackwardInput is Conv2DBackwardInput for the layer that c belongs to.
func (c *ConvCache) BackwardInput(s ConvShape, weight, dy, dx []float32) {
	conv2DBackwardInput(c, s, weight, dy, dx)
}

func conv2DBackwardInput(cache *ConvCache, s ConvShape, weight, dy, dx []float32) {
	s.check("weight", len(weight), s.WeightSize())
	s.check("dy", len(dy), s.OutputSize())
	s.check("dx", len(dx), s.InputSize())
	if runNativeConv(cache, passBackwardData, s, dx, weight, nil, dy) {
		return
	}

	inSize := s.InChannels * s.Height * s.Width
	outSize := s.OutChannels * s.outPixels()
	patch, pixels := s.patchSize(), s.outPixels()
	cols := newScratch(workers(s.Batch), patch*pixels)
	defer cols.release()
	left := packLeft(true, patch, s.OutChannels, weight, patch)
	defer left.release()

	forEachImage(s.Batch, func(worker, n int, parallel bool) {
		col := cols.slice(worker)
		g := product(left, false, dy[n*outSize:(n+1)*outSize], pixels, col, pixels)
		g.run(patch, pixels, s.OutChannels, 0, parallel)
		image := dx[n*inSize : (n+1)*inSize]
		clear(image)
		Col2Im(s, col, image)
	})
}

// Conv2DBackwardWeight sets dWeight (O x C x kH x kW) and, unless it is
// nil, dBias (length O) to the gradients of a loss with respect to the
// convolution weight and bias, given the input x (N x C x H x W) and the
// output gradient dy (N x O x outH x outW). Both are summed over the batch.
func Conv2DBackwardWeight(s ConvShape, x, dy, dWeight, dBias []float32) {
	conv2DBackwardWeight(nil, s, x, dy, dWeight, dBias)
}

// BackwardWeight is Conv2DBackwardWeight for the layer that c belongs to.
func (c *ConvCache) BackwardWeight(s ConvShape, x, dy, dWeight, dBias []float32) {
	conv2DBackwardWeight(c, s, x, dy, dWeight, dBias)
}

func conv2DBackwardWeight(cache *ConvCache, s ConvShape, x, dy, dWeight, dBias []float32) {
	s.check("x", len(x), s.InputSize())
	s.check("dy", len(dy), s.OutputSize())
	s.check("dWeight", len(dWeight), s.WeightSize())
	if dBias != nil {
		s.check("dBias", len(dBias), s.OutChannels)
	}
	if runNativeConv(cache, passBackwardWeights, s, x, dWeight, dBias, dy) {
		return
	}

	inSize := s.InChannels * s.Height * s.Width
	outSize := s.OutChannels * s.outPixels()
	patch, pixels := s.patchSize(), s.outPixels()
	w := workers(s.Batch)
	cols := newScratch(w, patch*pixels)
	defer cols.release()

	// Each worker sums its images into its own gradient, and the worker
	// gradients are added at the end, so no two goroutines write one slice.
	// The sums are transposed, (C*kH*kW) x O, so that the product reads the
	// large im2col matrix row by row and transposes only the small dy.
	sums := newScratch(w, len(dWeight))
	defer sums.release()
	clear(sums.all())

	forEachImage(s.Batch, func(worker, n int, parallel bool) {
		col := cols.slice(worker)
		Im2Col(s, x[n*inSize:(n+1)*inSize], col)
		g := gemmArgs{transB: true, a: col, lda: pixels, b: dy[n*outSize : (n+1)*outSize],
			ldb: pixels, c: sums.slice(worker), ldc: s.OutChannels}
		g.run(patch, s.OutChannels, pixels, 1, parallel)
	})

	for k := 1; k < w; k++ {
		total := sums.slice(0)
		for i, v := range sums.slice(k) {
			total[i] += v
		}
	}
	transpose(sums.slice(0), patch, s.OutChannels, dWeight)
	if dBias != nil {
		SumChannels(dy, s.Batch, s.OutChannels, pixels, dBias)
	}
}

// transpose sets dst (cols x rows) to the transpose of src (rows x cols).
func transpose(src []float32, rows, cols int, dst []float32) {
	for r := 0; r < rows; r++ {
		for c, v := range src[r*cols : (r+1)*cols] {
			dst[c*rows+r] = v
		}
	}
}

// SumChannels sets sums[c] to the sum of channel c of x over the batch and
// the pixels, where x is batch x channels x pixels. It is the bias gradient
// of a convolution or, with pixels 1, of a linear layer.
func SumChannels(x []float32, batch, channels, pixels int, sums []float32) {
	if len(x) != batch*channels*pixels || len(sums) != channels {
		panic("kernels: SumChannels slice lengths do not match the shape")
	}
	clear(sums)
	for n := 0; n < batch; n++ {
		image := x[n*channels*pixels : (n+1)*channels*pixels]
		if pixels == 1 {
			for c, v := range image {
				sums[c] += v
			}
			continue
		}
		for c := range sums {
			var total float32
			for _, v := range image[c*pixels : (c+1)*pixels] {
				total += v
			}
			sums[c] += total
		}
	}
}

// scratch is one pooled buffer split into equal per-worker slices.
type scratch struct {
	buf  *[]float32
	size int
}

func newScratch(count, size int) scratch {
	return scratch{buf: getBuffer(count * size), size: size}
}

func (s scratch) slice(worker int) []float32 {
	return (*s.buf)[worker*s.size : (worker+1)*s.size]
}

func (s scratch) all() []float32 { return *s.buf }

func (s scratch) release() { putBuffer(s.buf) }
