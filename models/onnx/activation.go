package onnx

import (
	"fmt"
	"math"
)

// buildHardSigmoid computes max(0, min(1, alpha * x + beta)), by default
// with alpha 0.2 and beta 0.5.
func buildHardSigmoid(b *builder, op operation, in []*value) (*value, error) {
	alpha, err1 := floatAttribute(op.attrs, "alpha", 0.2)
	beta, err2 := floatAttribute(op.attrs, "beta", 0.5)
	if err := firstError(err1, err2); err != nil {
		return nil, err
	}
	return b.unary(unaryFunc{"HardSigmoid",
		func(x float32) float32 { return min(max(alpha*x+beta, 0), 1) },
		func(x, y float32) float32 {
			if z := alpha*x + beta; z > 0 && z < 1 {
				return alpha
			}
			return 0
		}}, in[0])
}

// hardSwish is x * max(0, min(1, x/6 + 1/2)), as in MobileNetV3.
var hardSwish = unaryFunc{"HardSwish",
	func(x float32) float32 { return x * min(max(x/6+0.5, 0), 1) },
	func(x, y float32) float32 {
		switch {
		case x <= -3:
			return 0
		case x >= 3:
			return 1
		}
		return x/3 + 0.5
	}}

// softplus is log(1 + exp(x)), computed without overflow.
var softplus = unaryFunc{"Softplus",
	func(x float32) float32 {
		v := float64(x)
		return float32(math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))))
	},
	func(x, y float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }}

// buildElu computes x for x > 0 and alpha * (exp(x) - 1) otherwise, by
// default with alpha 1.
func buildElu(b *builder, op operation, in []*value) (*value, error) {
	alpha, err := floatAttribute(op.attrs, "alpha", 1)
	if err != nil {
		return nil, err
	}
	return b.unary(unaryFunc{"Elu",
		func(x float32) float32 {
			if x > 0 {
				return x
			}
			return alpha * float32(math.Expm1(float64(x)))
		},
		func(x, y float32) float32 {
			if x > 0 {
				return 1
			}
			return y + alpha
		}}, in[0])
}

// variadicBuilder returns the build function of Max, Min and Sum, which
// combine any number of inputs pairwise with numpy broadcasting.
func variadicBuilder(fn binaryFunc) func(*builder, operation, []*value) (*value, error) {
	return func(b *builder, op operation, in []*value) (*value, error) {
		out := in[0]
		for _, v := range in[1:] {
			var err error
			if out, err = b.binary(fn, out, v); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
}

// The pairwise maximum and minimum. At a tie the gradient goes to the
// first input.
var (
	maximum = binaryFunc{
		name: "Max",
		f:    func(x, y float32) float32 { return max(x, y) },
		dx:   func(x, y, z float32) float32 { return indicator(x >= y) },
		dy:   func(x, y, z float32) float32 { return indicator(x < y) },
		ints: func(x, y int64) (int64, error) { return max(x, y), nil },
	}
	minimum = binaryFunc{
		name: "Min",
		f:    func(x, y float32) float32 { return min(x, y) },
		dx:   func(x, y, z float32) float32 { return indicator(x <= y) },
		dy:   func(x, y, z float32) float32 { return indicator(x > y) },
		ints: func(x, y int64) (int64, error) { return min(x, y), nil },
	}
)

func indicator(condition bool) float32 {
	if condition {
		return 1
	}
	return 0
}

// buildSplit cuts the input along axis into the node's outputs: equal
// parts by default, or the sizes of the split attribute (before opset 13)
// or input (from opset 13 on).
func buildSplit(b *builder, op operation, in []*value) (*value, error) {
	shape := in[0].shape
	a, err := intAttribute(op.attrs, "axis", 0)
	if err != nil {
		return nil, err
	}
	axis, err := normalizeAxis(a, len(shape))
	if err != nil {
		return nil, err
	}
	sizes, err := splitSizes(op, in, b.opset, shape[axis])
	if err != nil {
		return nil, err
	}

	var first *value
	start := 0
	for i, name := range op.node.outputs {
		r := sliceRange{start, 1, sizes[i]}
		start += sizes[i]
		part, err := b.sliceAxis(in[0], axis, r)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = part
		} else if name != "" {
			b.values[name] = part
		}
	}
	return first, nil
}

// splitSizes returns the size of each output of a Split along an axis of
// size total.
func splitSizes(op operation, in []*value, opset int64, total int) ([]int, error) {
	outputs := len(op.node.outputs)
	var sizes []int
	if opset < 13 {
		var err error
		if sizes, err = intsAttribute(op.attrs, "split", nil); err != nil {
			return nil, err
		}
	} else if len(in) > 1 && in[1] != nil {
		split, err := constantInts(in[1], "split")
		if err != nil {
			return nil, err
		}
		for _, s := range split {
			sizes = append(sizes, int(s))
		}
	}
	if sizes == nil {
		if total%outputs != 0 {
			return nil, fmt.Errorf("axis of size %d does not split into %d equal parts",
				total, outputs)
		}
		for range outputs {
			sizes = append(sizes, total/outputs)
		}
	}
	sum := 0
	for _, s := range sizes {
		sum += s
	}
	if len(sizes) != outputs || sum != total {
		return nil, fmt.Errorf("split sizes %v, expected %d sizes that add up to %d",
			sizes, outputs, total)
	}
	return sizes, nil
}

// sliceAxis keeps the range r of one axis of x.
func (b *builder) sliceAxis(x *value, axis int, r sliceRange) (*value, error) {
	shape := append([]int{}, x.shape...)
	shape[axis] = r.count
	inStrides := strides(x.shape)
	src := make([]int, size(shape))
	forEachIndex(shape, func(index []int, flat int) {
		s := 0
		for i, position := range index {
			if i == axis {
				position = r.start + position*r.step
			}
			s += position * inStrides[i]
		}
		src[flat] = s
	})
	return b.move("Split", shape, src, 0, x)
}
