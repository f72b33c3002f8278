package onnx

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maxBroadcastRank is the highest rank gorgonia's Broadcast handles.
const maxBroadcastRank = 4

// elementwise is a gorgonia element-wise binary operation, in its plain
// form for equal shapes and its broadcasting form.
type elementwise struct {
	plain     func(x, y *gorgonia.Node) (*gorgonia.Node, error)
	broadcast func(x, y *gorgonia.Node, xAxes, yAxes []byte) (*gorgonia.Node, error)
}

// The element-wise operations of Add, Sub, Mul and Div.
var (
	addition       = elementwise{gorgonia.Add, gorgonia.BroadcastAdd}
	subtraction    = elementwise{gorgonia.Sub, gorgonia.BroadcastSub}
	multiplication = elementwise{gorgonia.HadamardProd, gorgonia.BroadcastHadamardProd}
	division       = elementwise{gorgonia.HadamardDiv, gorgonia.BroadcastHadamardDiv}
)

// binaryBuilder returns the build function of an element-wise ONNX
// operator such as Add.
func binaryBuilder(kind elementwise) func(*builder, operation, []*gorgonia.Node) (*gorgonia.Node, error) {
	return func(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error) {
		return broadcast(kind, inputs[0], inputs[1])
	}
}

// broadcastAdd adds x and y with numpy's broadcasting rules.
func broadcastAdd(x, y *gorgonia.Node) (*gorgonia.Node, error) {
	return broadcast(addition, x, y)
}

// broadcast applies kind to x and y with numpy's broadcasting rules: the
// shapes are aligned on their last axes and an axis of size 1 is repeated.
func broadcast(kind elementwise, x, y *gorgonia.Node) (*gorgonia.Node, error) {
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
		return kind.plain(x, y)
	}
	return kind.broadcast(x, y, xAxes, yAxes)
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
