package onnx

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func buildConv(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x, weights := inputs[0], inputs[1]
	if x.Shape().Dims() != 4 || weights.Shape().Dims() != 4 {
		return nil, unsupported(op.node, b.opset, "input %v and weights %v, expected 4-D (2-D conv)",
			x.Shape(), weights.Shape())
	}
	if x.Shape()[1] != weights.Shape()[1] {
		return nil, fmt.Errorf("input %v has %d channels, weights %v expect %d",
			x.Shape(), x.Shape()[1], weights.Shape(), weights.Shape()[1])
	}

	kernel := []int{weights.Shape()[2], weights.Shape()[3]}
	declared, _ := intsAttribute(op.attrs, "kernel_shape", kernel)
	if declared[0] != kernel[0] || declared[1] != kernel[1] {
		return nil, fmt.Errorf("attribute kernel_shape=%v, weights have %v", declared, kernel)
	}
	w, err := readWindow(b, op, x.Shape(), kernel)
	if err != nil {
		return nil, err
	}

	y, err := gorgonia.Conv2d(x, weights, tensor.Shape(kernel), w.pads, w.strides, []int{1, 1})
	if err != nil {
		return nil, err
	}
	if len(inputs) < 3 {
		return y, nil
	}

	bias := inputs[2]
	if bias.Shape().TotalSize() != weights.Shape()[0] {
		return nil, fmt.Errorf("bias %v, expected %d values", bias.Shape(), weights.Shape()[0])
	}
	bias, err = gorgonia.Reshape(bias, tensor.Shape{1, weights.Shape()[0], 1, 1})
	if err != nil {
		return nil, err
	}
	return broadcastAdd(y, bias)
}

func buildMaxPool(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x := inputs[0]
	if x.Shape().Dims() != 4 {
		return nil, unsupported(op.node, b.opset, "input %v, expected 4-D (2-D pooling)", x.Shape())
	}
	kernel, _ := intsAttribute(op.attrs, "kernel_shape", nil)
	w, err := readWindow(b, op, x.Shape(), kernel)
	if err != nil {
		return nil, err
	}
	return gorgonia.MaxPool2D(x, tensor.Shape(kernel), w.pads, w.strides)
}

// window is the geometry of a 2-D convolution or pooling window.
type window struct {
	strides []int // along height and width
	pads    []int // on each side of height and width
}

// readWindow reads strides and pads of a Conv or MaxPool node on an input
// of shape N x C x H x W. Pads from auto_pad follow the ONNX rule: SAME_*
// pads so that the output has ceil(input/stride) elements, with the odd
// element at the end for SAME_UPPER and at the start for SAME_LOWER.
func readWindow(b *builder, op operation, shape tensor.Shape, kernel []int) (window, error) {
	strides, _ := intsAttribute(op.attrs, "strides", []int{1, 1})
	pads, _ := intsAttribute(op.attrs, "pads", []int{0, 0, 0, 0})
	autoPad, _ := stringAttribute(op.attrs, "auto_pad", "NOTSET")
	for i, s := range strides {
		if s < 1 || kernel[i] < 1 {
			return window{}, fmt.Errorf("strides %v and kernel %v must be positive", strides, kernel)
		}
	}

	begin, end := []int{pads[0], pads[1]}, []int{pads[2], pads[3]}
	for axis := 0; axis < 2; axis++ {
		size := shape[2+axis]
		switch autoPad {
		case "VALID":
			begin[axis], end[axis] = 0, 0
		case "SAME_UPPER", "SAME_LOWER":
			out := (size + strides[axis] - 1) / strides[axis]
			total := max(0, (out-1)*strides[axis]+kernel[axis]-size)
			begin[axis], end[axis] = total/2, total-total/2
			if autoPad == "SAME_LOWER" {
				begin[axis], end[axis] = end[axis], begin[axis]
			}
		}
	}

	for axis := 0; axis < 2; axis++ {
		if begin[axis] != end[axis] {
			// TODO: gorgonia's Conv2d pads both sides alike; asymmetric pads
			// need an explicit Pad before the window.
			return window{}, unsupported(op.node, b.opset,
				"asymmetric pads (begin %v, end %v) on input %v", begin, end, shape)
		}
		if begin[axis] < 0 {
			return window{}, fmt.Errorf("negative pads %v", pads)
		}
	}
	return window{strides: strides, pads: begin}, nil
}
