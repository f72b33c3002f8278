package onnx

import "fmt"

// buildPad pads or crops each axis. pads lists the begin counts of all
// axes, then the end counts; negative counts remove elements. Mode
// "constant" fills with the constant value, "reflect" mirrors the input
// without repeating the edge and "edge" repeats the edge element.
func buildPad(b *builder, op operation, in []*value) (*value, error) {
	from := in[0].shape
	mode, err := stringAttribute(op.attrs, "mode", "constant")
	if err != nil {
		return nil, err
	}
	pads, fill, err := padParameters(op, in, b.opset)
	if err != nil {
		return nil, err
	}
	if len(pads) != 2*len(from) {
		return nil, fmt.Errorf("pads %v, expected %d values for input %v", pads, 2*len(from), from)
	}

	rank := len(from)
	shape := make([]int, rank)
	for axis, d := range from {
		shape[axis] = d + int(pads[axis]) + int(pads[axis+rank])
		if shape[axis] < 0 {
			return nil, fmt.Errorf("pads %v remove more elements than input %v has", pads, from)
		}
		if mode == "reflect" && d < 2 && shape[axis] != d {
			return nil, fmt.Errorf("reflect pads %v on an axis of size %d", pads, d)
		}
		if mode == "edge" && d == 0 && shape[axis] != 0 {
			return nil, fmt.Errorf("edge pads %v on an empty axis", pads)
		}
	}

	inStrides := strides(from)
	src := make([]int, size(shape))
	forEachIndex(shape, func(index []int, flat int) {
		s := 0
		for axis, d := range from {
			i, ok := padSource(index[axis]-int(pads[axis]), d, mode)
			if !ok {
				s = -1
				break
			}
			s += i * inStrides[axis]
		}
		src[flat] = s
	})
	return b.move("Pad", shape, src, fill, in[0])
}

// padSource maps position i of an axis of size d, which may lie outside
// [0, d), to the input element that fills it, or reports false where the
// constant fills it.
func padSource(i, d int, mode string) (int, bool) {
	if i >= 0 && i < d {
		return i, true
	}
	switch mode {
	case "edge":
		return min(max(i, 0), d-1), true
	case "reflect":
		period := 2 * (d - 1)
		i = ((i % period) + period) % period
		if i >= d {
			i = period - i
		}
		return i, true
	}
	return 0, false
}

// padParameters reads the pads and the constant value: attributes before
// opset 11, inputs from then on.
func padParameters(op operation, in []*value, opset int64) ([]int64, float32, error) {
	if opset < 11 {
		pads, err := intsAttribute(op.attrs, "pads", nil)
		if err != nil {
			return nil, 0, err
		}
		fill, err := floatAttribute(op.attrs, "value", 0)
		return toInt64(pads), fill, err
	}

	pads, err := constantInts(in[1], "pads")
	if err != nil {
		return nil, 0, err
	}
	if len(in) > 3 && in[3] != nil {
		// TODO: the axes input of opset 18 is not read.
		return nil, 0, fmt.Errorf("input axes is not supported")
	}
	if len(in) < 3 || in[2] == nil {
		return pads, 0, nil
	}
	switch {
	case in[2].floats != nil && len(in[2].floats) == 1:
		return pads, in[2].floats[0], nil
	case in[2].ints != nil && len(in[2].ints) == 1:
		return pads, float32(in[2].ints[0]), nil
	}
	return nil, 0, fmt.Errorf("input constant_value must be a constant scalar")
}
