package onnx

import (
	"fmt"
)

// window is the geometry of a 2-D convolution or pooling window on an
// N x C x H x W input. Index 0 is height and index 1 is width.
type window struct {
	kernel    [2]int
	strides   [2]int
	dilations [2]int
	begin     [2]int // padding before the first row and column
	end       [2]int // padding after the last row and column
	in, out   [2]int // input and output height and width
}

// readWindow reads the kernel_shape, strides, dilations, pads, auto_pad and
// ceil_mode attributes of a Conv or pooling node on an input of the given
// shape. Pads from auto_pad follow the ONNX rule: SAME_* pads so that the
// output has ceil(input/stride) elements, with the odd element at the end
// for SAME_UPPER and at the start for SAME_LOWER.
func readWindow(op operation, shape []int, kernel []int) (window, error) {
	var w window
	if len(shape) != 4 {
		return w, fmt.Errorf("input %v, expected N x C x H x W (2-D windows only)", shape)
	}
	strides, err1 := intsAttribute(op.attrs, "strides", []int{1, 1})
	dilations, err2 := intsAttribute(op.attrs, "dilations", []int{1, 1})
	pads, err3 := intsAttribute(op.attrs, "pads", []int{0, 0, 0, 0})
	autoPad, err4 := stringAttribute(op.attrs, "auto_pad", "NOTSET")
	ceilMode, err5 := intAttribute(op.attrs, "ceil_mode", 0)
	if err := firstError(err1, err2, err3, err4, err5); err != nil {
		return w, err
	}
	if len(kernel) != 2 || len(strides) != 2 || len(dilations) != 2 || len(pads) != 4 {
		return w, fmt.Errorf("kernel %v, strides %v, dilations %v and pads %v, expected 2-D",
			kernel, strides, dilations, pads)
	}

	for axis := 0; axis < 2; axis++ {
		w.kernel[axis], w.strides[axis], w.dilations[axis] =
			kernel[axis], strides[axis], dilations[axis]
		w.begin[axis], w.end[axis] = pads[axis], pads[axis+2]
		w.in[axis] = shape[2+axis]
		if w.kernel[axis] < 1 || w.strides[axis] < 1 || w.dilations[axis] < 1 {
			return w, fmt.Errorf("kernel %v, strides %v and dilations %v must be positive",
				kernel, strides, dilations)
		}
		if w.begin[axis] < 0 || w.end[axis] < 0 {
			return w, fmt.Errorf("negative pads %v", pads)
		}
		if err := w.setOutput(axis, autoPad, ceilMode != 0); err != nil {
			return w, err
		}
	}
	return w, nil
}

// setOutput sets the output size of one axis, and its pads for auto_pad.
func (w *window) setOutput(axis int, autoPad string, ceil bool) error {
	size, stride := w.in[axis], w.strides[axis]
	extent := (w.kernel[axis]-1)*w.dilations[axis] + 1
	switch autoPad {
	case "VALID":
		w.begin[axis], w.end[axis] = 0, 0
	case "SAME_UPPER", "SAME_LOWER":
		out := (size + stride - 1) / stride
		total := max(0, (out-1)*stride+extent-size)
		w.begin[axis], w.end[axis] = total/2, total-total/2
		if autoPad == "SAME_LOWER" {
			w.begin[axis], w.end[axis] = w.end[axis], w.begin[axis]
		}
	case "NOTSET":
	default:
		return fmt.Errorf("attribute auto_pad=%q, expected NOTSET, VALID, SAME_UPPER or SAME_LOWER",
			autoPad)
	}

	span := size + w.begin[axis] + w.end[axis] - extent
	if span < 0 {
		return fmt.Errorf("window of %d elements does not fit an axis of %d padded by %d and %d",
			extent, size, w.begin[axis], w.end[axis])
	}
	out := span/stride + 1
	if ceil && span%stride != 0 {
		out++
		// The last window must start inside the input or the begin pad.
		if (out-1)*stride >= size+w.begin[axis] {
			out--
		}
	}
	w.out[axis] = out
	return nil
}

// symmetric reports whether the window fits the square kernels of
// models/internal/ops: equal strides, equal pads on all sides and no
// dilation.
func (w window) symmetric() bool {
	return w.strides[0] == w.strides[1] && w.begin == w.end && w.begin[0] == w.begin[1] &&
		w.dilations == [2]int{1, 1}
}

// forEachTap calls visit for every output position (oy, ox) and every tap
// (ky, kx) of its window that falls inside the input at (iy, ix).
func (w window) forEachTap(visit func(oy, ox, ky, kx, iy, ix int)) {
	for oy := 0; oy < w.out[0]; oy++ {
		for ky := 0; ky < w.kernel[0]; ky++ {
			iy := oy*w.strides[0] - w.begin[0] + ky*w.dilations[0]
			if iy < 0 || iy >= w.in[0] {
				continue
			}
			for ox := 0; ox < w.out[1]; ox++ {
				for kx := 0; kx < w.kernel[1]; kx++ {
					ix := ox*w.strides[1] - w.begin[1] + kx*w.dilations[1]
					if ix >= 0 && ix < w.in[1] {
						visit(oy, ox, ky, kx, iy, ix)
					}
				}
			}
		}
	}
}
