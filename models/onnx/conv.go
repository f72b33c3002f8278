package onnx

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"

	"github.com/mmatransfer/mma/models/internal/ops"
)

// buildConv adds a 2-D convolution. Group 1 with equal strides, equal pads
// on all sides and no dilation runs on the fast Conv2D of
// models/internal/ops. Any other geometry runs as plain loops, grouped and
// depthwise convolutions included.
func buildConv(b *builder, op operation, in []*value) (*value, error) {
	x, weights := in[0], in[1]
	xs, ws := x.shape, weights.shape
	if len(xs) != 4 || len(ws) != 4 {
		return nil, fmt.Errorf("input %v and weights %v, expected 4-D (2-D conv)", xs, ws)
	}
	group, err := intAttribute(op.attrs, "group", 1)
	if err != nil {
		return nil, err
	}
	if group < 1 || xs[1] != ws[1]*group || ws[0]%group != 0 {
		return nil, fmt.Errorf("input %v, weights %v and group %d do not match", xs, ws, group)
	}
	kernel := []int{ws[2], ws[3]}
	declared, _ := intsAttribute(op.attrs, "kernel_shape", kernel)
	if len(declared) != 2 || declared[0] != kernel[0] || declared[1] != kernel[1] {
		return nil, fmt.Errorf("attribute kernel_shape=%v, weights have %v", declared, kernel)
	}
	w, err := readWindow(op, xs, kernel)
	if err != nil {
		return nil, err
	}
	var bias *value
	if len(in) > 2 && in[2] != nil {
		bias = in[2]
		if len(bias.shape) != 1 || bias.shape[0] != ws[0] {
			return nil, fmt.Errorf("bias %v, expected %d values", bias.shape, ws[0])
		}
	}

	if group == 1 && w.symmetric() && !x.isConstant() {
		return fastConv(b, x, weights, bias, w)
	}
	return b.apply(convKernel(xs, ws, group, w, bias != nil), withOptional(in[:2], bias)...)
}

func withOptional(values []*value, optional *value) []*value {
	if optional == nil {
		return values
	}
	return append(append([]*value{}, values...), optional)
}

func fastConv(b *builder, x, weights, bias *value, w window) (*value, error) {
	wn, err := b.nodeOf(weights)
	if err != nil {
		return nil, err
	}
	var bn *gorgonia.Node
	if bias != nil {
		if bn, err = b.nodeOf(bias); err != nil {
			return nil, err
		}
	}
	return wrap(ops.Conv2D(x.node, wn, bn, w.strides[0], w.begin[0]))
}

// convKernel is a grouped 2-D convolution as plain loops.
func convKernel(xs, ws []int, group int, w window, hasBias bool) *kernel {
	batch, channels, outChannels := xs[0], xs[1], ws[0]
	groupIn, groupOut := ws[1], outChannels/group
	plane, outPlane := w.in[0]*w.in[1], w.out[0]*w.out[1]
	taps := ws[2] * ws[3]
	out := []int{batch, outChannels, w.out[0], w.out[1]}

	// forEachProduct calls visit for every product of an input and a weight
	// element with the flat indices of the input, the weight and the output.
	forEachProduct := func(visit func(xi, wi, yi int)) {
		for n := 0; n < batch; n++ {
			for m := 0; m < outChannels; m++ {
				g := m / groupOut
				yBase := (n*outChannels + m) * outPlane
				for c := 0; c < groupIn; c++ {
					xBase := (n*channels + g*groupIn + c) * plane
					wBase := (m*groupIn + c) * taps
					w.forEachTap(func(oy, ox, ky, kx, iy, ix int) {
						visit(xBase+iy*w.in[1]+ix, wBase+ky*ws[3]+kx, yBase+oy*w.out[1]+ox)
					})
				}
			}
		}
	}

	k := &kernel{
		name:   fmt.Sprintf("Conv(group=%d)", group),
		inputs: [][]int{xs, ws},
		output: out,
		forward: func(y []float32, in [][]float32) {
			clear(y)
			x, weights := in[0], in[1]
			forEachProduct(func(xi, wi, yi int) { y[yi] += x[xi] * weights[wi] })
			if hasBias {
				addChannelBias(y, in[2], batch, outChannels, outPlane)
			}
		},
		backward: func(i int, dx []float32, in [][]float32, _, dy []float32) {
			x, weights := in[0], in[1]
			switch i {
			case 0:
				forEachProduct(func(xi, wi, yi int) { dx[xi] += dy[yi] * weights[wi] })
			case 1:
				forEachProduct(func(xi, wi, yi int) { dx[wi] += dy[yi] * x[xi] })
			case 2:
				for j, g := range dy {
					dx[(j/outPlane)%outChannels] += g
				}
			}
		},
	}
	if hasBias {
		k.inputs = append(k.inputs, []int{outChannels})
	}
	return k
}

func addChannelBias(y, bias []float32, batch, channels, plane int) {
	for n := 0; n < batch; n++ {
		for c := 0; c < channels; c++ {
			row := y[(n*channels+c)*plane : (n*channels+c+1)*plane]
			for i := range row {
				row[i] += bias[c]
			}
		}
	}
}

func buildMaxPool(b *builder, op operation, in []*value) (*value, error) {
	kernel, err := intsAttribute(op.attrs, "kernel_shape", nil)
	if err != nil {
		return nil, err
	}
	w, err := readWindow(op, in[0].shape, kernel)
	if err != nil {
		return nil, err
	}
	x := in[0]
	if w.symmetric() && w.begin == [2]int{} && w.kernel[0] == w.kernel[1] && !x.isConstant() &&
		w.out[0] == (w.in[0]-w.kernel[0])/w.strides[0]+1 &&
		w.out[1] == (w.in[1]-w.kernel[1])/w.strides[1]+1 {
		return wrap(ops.MaxPool2D(x.node, w.kernel[0], w.strides[0]))
	}
	return b.apply(poolKernel(x.shape, w, true, false), x)
}

func buildAveragePool(b *builder, op operation, in []*value) (*value, error) {
	kernel, err := intsAttribute(op.attrs, "kernel_shape", nil)
	if err != nil {
		return nil, err
	}
	w, err := readWindow(op, in[0].shape, kernel)
	if err != nil {
		return nil, err
	}
	includePad, err := intAttribute(op.attrs, "count_include_pad", 0)
	if err != nil {
		return nil, err
	}
	return b.apply(poolKernel(in[0].shape, w, false, includePad != 0), in[0])
}

// poolKernel is a max or average pooling as plain loops. Padded positions
// never win a max. An average divides by the taps inside the input, or
// with includePad by the taps inside the input and its explicit pads.
func poolKernel(xs []int, w window, isMax, includePad bool) *kernel {
	planes := xs[0] * xs[1]
	plane, outPlane := w.in[0]*w.in[1], w.out[0]*w.out[1]
	out := []int{xs[0], xs[1], w.out[0], w.out[1]}
	divisors := poolDivisors(w, includePad)

	name := "AveragePool"
	if isMax {
		name = "MaxPool"
	}
	return &kernel{
		name:   name,
		inputs: [][]int{xs},
		output: out,
		forward: func(y []float32, in [][]float32) {
			for p := 0; p < planes; p++ {
				x, yp := in[0][p*plane:(p+1)*plane], y[p*outPlane:(p+1)*outPlane]
				if isMax {
					for i := range yp {
						yp[i] = float32(math.Inf(-1))
					}
					w.forEachTap(func(oy, ox, _, _, iy, ix int) {
						yp[oy*w.out[1]+ox] = max(yp[oy*w.out[1]+ox], x[iy*w.in[1]+ix])
					})
					continue
				}
				clear(yp)
				w.forEachTap(func(oy, ox, _, _, iy, ix int) {
					yp[oy*w.out[1]+ox] += x[iy*w.in[1]+ix]
				})
				for i := range yp {
					yp[i] /= divisors[i]
				}
			}
		},
		backward: func(_ int, dx []float32, in [][]float32, y, dy []float32) {
			for p := 0; p < planes; p++ {
				x, yp := in[0][p*plane:(p+1)*plane], y[p*outPlane:(p+1)*outPlane]
				dxp, dyp := dx[p*plane:(p+1)*plane], dy[p*outPlane:(p+1)*outPlane]
				routed := make([]bool, outPlane)
				w.forEachTap(func(oy, ox, _, _, iy, ix int) {
					o := oy*w.out[1] + ox
					if !isMax {
						dxp[iy*w.in[1]+ix] += dyp[o] / divisors[o]
					} else if !routed[o] && x[iy*w.in[1]+ix] == yp[o] {
						// The gradient goes to the first maximum only.
						routed[o] = true
						dxp[iy*w.in[1]+ix] += dyp[o]
					}
				})
			}
		},
	}
}

// poolDivisors returns the number of taps each average-pooling window
// averages over.
func poolDivisors(w window, includePad bool) []float32 {
	divisors := make([]float32, w.out[0]*w.out[1])
	for oy := 0; oy < w.out[0]; oy++ {
		for ox := 0; ox < w.out[1]; ox++ {
			count := 1
			for axis, o := range []int{oy, ox} {
				low, high := 0, w.in[axis]
				if includePad {
					low, high = -w.begin[axis], w.in[axis]+w.end[axis]
				}
				taps := 0
				for k := 0; k < w.kernel[axis]; k++ {
					i := o*w.strides[axis] - w.begin[axis] + k*w.dilations[axis]
					if i >= low && i < high {
						taps++
					}
				}
				count *= taps
			}
			divisors[oy*w.out[1]+ox] = float32(max(count, 1))
		}
	}
	return divisors
}

// buildGlobalAveragePool averages each channel of an N x C x ... input
// over its other axes, keeping them with size 1.
func buildGlobalAveragePool(b *builder, op operation, in []*value) (*value, error) {
	shape := in[0].shape
	if len(shape) < 3 {
		return nil, fmt.Errorf("input %v, expected N x C x spatial axes", shape)
	}
	axes := make([]int, 0, len(shape)-2)
	for axis := 2; axis < len(shape); axis++ {
		axes = append(axes, axis)
	}
	return b.reduce("GlobalAveragePool", reduceMean, in[0], axes, true)
}

// buildGlobalMaxPool keeps the largest value of each channel.
func buildGlobalMaxPool(b *builder, op operation, in []*value) (*value, error) {
	shape := in[0].shape
	if len(shape) != 4 {
		return nil, fmt.Errorf("input %v, expected N x C x H x W", shape)
	}
	w := window{kernel: [2]int{shape[2], shape[3]}, strides: [2]int{1, 1},
		dilations: [2]int{1, 1}, in: [2]int{shape[2], shape[3]}, out: [2]int{1, 1}}
	return b.apply(poolKernel(shape, w, true, false), in[0])
}
