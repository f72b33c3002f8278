package onnx

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maxBroadcastRank is the highest rank gorgonia's Broadcast handles.
const maxBroadcastRank = 4

func buildRelu(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.Rectify(inputs[0])
}

func buildAdd(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	return broadcastAdd(inputs[0], inputs[1])
}

// broadcastAdd adds x and y with numpy's broadcasting rules: the shapes
// are aligned on their last axes and an axis of size 1 is repeated.
func broadcastAdd(x, y *gorgonia.Node) (*gorgonia.Node, error) {
	xShape, yShape := x.Shape(), y.Shape()
	rank := max(xShape.Dims(), yShape.Dims())
	if rank > maxBroadcastRank {
		return nil, fmt.Errorf("broadcasting shapes %v and %v: rank above %d",
			xShape, yShape, maxBroadcastRank)
	}

	x, err := padRank(x, rank)
	if err != nil {
		return nil, err
	}
	y, err = padRank(y, rank)
	if err != nil {
		return nil, err
	}

	var xAxes, yAxes []byte
	for axis := 0; axis < rank; axis++ {
		xSize, ySize := x.Shape()[axis], y.Shape()[axis]
		switch {
		case xSize == ySize:
		case xSize == 1:
			xAxes = append(xAxes, byte(axis))
		case ySize == 1:
			yAxes = append(yAxes, byte(axis))
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", xShape, yShape)
		}
	}
	if xAxes == nil && yAxes == nil {
		return gorgonia.Add(x, y)
	}
	return gorgonia.BroadcastAdd(x, y, xAxes, yAxes)
}

// padRank reshapes n to rank dimensions by prepending axes of size 1.
func padRank(n *gorgonia.Node, rank int) (*gorgonia.Node, error) {
	shape := n.Shape()
	if shape.Dims() == rank {
		return n, nil
	}
	padded := make(tensor.Shape, rank)
	offset := rank - shape.Dims()
	for i := range padded {
		padded[i] = 1
		if i >= offset {
			padded[i] = shape[i-offset]
		}
	}
	return gorgonia.Reshape(n, padded)
}

func buildMatMul(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x, y := inputs[0], inputs[1]
	if x.Shape().Dims() != 2 || y.Shape().Dims() != 2 {
		// TODO: batched and vector MatMul (ranks other than 2) need
		// gorgonia's BatchedMatMul and numpy's rank promotion.
		return nil, unsupported(op.node, b.opset, "shapes %v and %v, expected two matrices",
			x.Shape(), y.Shape())
	}
	if x.Shape()[1] != y.Shape()[0] {
		return nil, fmt.Errorf("shapes %v and %v do not multiply", x.Shape(), y.Shape())
	}
	return gorgonia.Mul(x, y)
}

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

func buildReshape(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
	x := inputs[0]
	requested, err := b.intConstant(op.node.inputs[1])
	if err != nil {
		return nil, err
	}
	shape, err := reshapeTarget(x.Shape(), requested)
	if err != nil {
		return nil, err
	}
	return gorgonia.Reshape(x, shape)
}

// reshapeTarget resolves an ONNX Reshape shape on an input of shape from:
// 0 copies the input's size on that axis and one -1 takes what is left.
func reshapeTarget(from tensor.Shape, requested []int64) (tensor.Shape, error) {
	to := make(tensor.Shape, len(requested))
	inferred := -1
	known := 1
	for i, size := range requested {
		switch {
		case size == 0 && i < from.Dims():
			to[i] = from[i]
		case size == -1 && inferred < 0:
			inferred = i
			continue
		case size > 0:
			to[i] = int(size)
		default:
			return nil, fmt.Errorf("invalid shape %v for input %v", requested, from)
		}
		known *= to[i]
	}

	total := from.TotalSize()
	if inferred >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("shape %v does not fit input %v", requested, from)
		}
		to[inferred] = total / known
	}
	if to.TotalSize() != total {
		return nil, fmt.Errorf("shape %v does not fit input %v", requested, from)
	}
	return to, nil
}
