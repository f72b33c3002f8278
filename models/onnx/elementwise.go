package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/mmatransfer/mma/models/internal/ops"
)

// broadcastShape returns the shape numpy's broadcasting gives shapes a
// and b: aligned on their last axes, an axis of size 1 repeats.
func broadcastShape(a, b []int) ([]int, error) {
	rank := max(len(a), len(b))
	shape := make([]int, rank)
	for i := range shape {
		x, y := dimFromEnd(a, rank-1-i), dimFromEnd(b, rank-1-i)
		switch {
		case x == y || y == 1:
			shape[i] = x
		case x == 1:
			shape[i] = y
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return shape, nil
}

// dimFromEnd returns the size of axis k counted from the end, 1 past the
// first axis.
func dimFromEnd(shape []int, k int) int {
	if k >= len(shape) {
		return 1
	}
	return shape[len(shape)-1-k]
}

// broadcastIndex returns, for each element of the broadcast shape to, the
// element of a tensor of shape from that it reads.
func broadcastIndex(from, to []int) []int {
	offset := len(to) - len(from)
	fromStrides := strides(from)
	src := make([]int, size(to))
	forEachIndex(to, func(index []int, flat int) {
		s := 0
		for axis, d := range from {
			if d != 1 {
				s += index[axis+offset] * fromStrides[axis]
			}
		}
		src[flat] = s
	})
	return src
}

// binaryFunc is an element-wise binary operator with its partial
// derivatives, and its integer form for shape arithmetic (nil if none).
type binaryFunc struct {
	name   string
	f      func(x, y float32) float32
	dx, dy func(x, y, z float32) float32 // z is f(x, y)
	ints   func(x, y int64) (int64, error)
}

var (
	addition = binaryFunc{
		name: "Add",
		f:    func(x, y float32) float32 { return x + y },
		dx:   func(x, y, z float32) float32 { return 1 },
		dy:   func(x, y, z float32) float32 { return 1 },
		ints: func(x, y int64) (int64, error) { return x + y, nil },
	}
	subtraction = binaryFunc{
		name: "Sub",
		f:    func(x, y float32) float32 { return x - y },
		dx:   func(x, y, z float32) float32 { return 1 },
		dy:   func(x, y, z float32) float32 { return -1 },
		ints: func(x, y int64) (int64, error) { return x - y, nil },
	}
	multiplication = binaryFunc{
		name: "Mul",
		f:    func(x, y float32) float32 { return x * y },
		dx:   func(x, y, z float32) float32 { return y },
		dy:   func(x, y, z float32) float32 { return x },
		ints: func(x, y int64) (int64, error) { return x * y, nil },
	}
	division = binaryFunc{
		name: "Div",
		f:    func(x, y float32) float32 { return x / y },
		dx:   func(x, y, z float32) float32 { return 1 / y },
		dy:   func(x, y, z float32) float32 { return -z / y },
		ints: func(x, y int64) (int64, error) {
			if y == 0 {
				return 0, fmt.Errorf("integer division by zero")
			}
			return x / y, nil
		},
	}
	power = binaryFunc{
		name: "Pow",
		f:    pow,
		dx: func(x, y, z float32) float32 {
			if y == 2 {
				return 2 * x
			}
			return y * pow(x, y-1)
		},
		dy: func(x, y, z float32) float32 {
			if x <= 0 {
				return 0
			}
			return z * float32(math.Log(float64(x)))
		},
	}
)

// modulo is Mod with fmod 0: the integer remainder with the sign of the
// divisor, as Python's %. Mod of floats needs fmod 1 (see buildMod).
var modulo = binaryFunc{
	name: "Mod",
	f:    func(x, y float32) float32 { return float32(math.Mod(float64(x), float64(y))) },
	dx:   func(x, y, z float32) float32 { return 1 },
	dy: func(x, y, z float32) float32 {
		return -float32(math.Trunc(float64(x) / float64(y)))
	},
	ints: func(x, y int64) (int64, error) {
		if y == 0 {
			return 0, fmt.Errorf("integer modulo by zero")
		}
		r := x % y
		if r != 0 && (r < 0) != (y < 0) {
			r += y
		}
		return r, nil
	},
}

// buildMod computes the remainder of integers (fmod 0, the sign of the
// divisor) or of floats (fmod 1, the sign of the dividend, as C's fmod).
func buildMod(b *builder, op operation, in []*value) (*value, error) {
	fmod, err := intAttribute(op.attrs, "fmod", 0)
	if err != nil {
		return nil, err
	}
	if fmod == 0 && (in[0].ints == nil || in[1].ints == nil) {
		return nil, fmt.Errorf("attribute fmod=0 on floats, expected fmod=1")
	}
	fn := modulo
	if fmod != 0 {
		fn.ints = func(x, y int64) (int64, error) {
			if y == 0 {
				return 0, fmt.Errorf("integer modulo by zero")
			}
			return x % y, nil
		}
	}
	return b.binary(fn, in[0], in[1])
}

// pow returns x to the power y, exactly x*x for y = 2 as in the expanded
// LayerNorm of PyTorch's exporter.
func pow(x, y float32) float32 {
	if y == 2 {
		return x * x
	}
	return float32(math.Pow(float64(x), float64(y)))
}

// binaryBuilder returns the build function of an element-wise ONNX
// operator with numpy broadcasting.
func binaryBuilder(fn binaryFunc) func(*builder, operation, []*value) (*value, error) {
	return func(b *builder, op operation, in []*value) (*value, error) {
		return b.binary(fn, in[0], in[1])
	}
}

// binary applies fn to x and y with numpy's broadcasting rules.
func (b *builder) binary(fn binaryFunc, x, y *value) (*value, error) {
	shape, err := broadcastShape(x.shape, y.shape)
	if err != nil {
		return nil, err
	}
	xs, ys := broadcastIndex(x.shape, shape), broadcastIndex(y.shape, shape)
	if fn.name == "Pow" && y.ints != nil && x.ints == nil {
		// An integer exponent of a float base is read as a float.
		y = &value{shape: y.shape, floats: intsToFloats(y.ints)}
	}

	if x.ints != nil && y.ints != nil {
		if fn.ints == nil {
			return nil, fmt.Errorf("%s of integer tensors is not supported", fn.name)
		}
		out := make([]int64, len(xs))
		for i := range out {
			if out[i], err = fn.ints(x.ints[xs[i]], y.ints[ys[i]]); err != nil {
				return nil, err
			}
		}
		return &value{shape: shape, ints: out}, nil
	}

	if slices.Equal(x.shape, y.shape) {
		// Equal shapes need no index maps, which would cost an int per
		// element.
		xs, ys = nil, nil
	}
	k := &kernel{
		name:   fn.name,
		inputs: [][]int{x.shape, y.shape},
		output: shape,
		forward: func(out []float32, in [][]float32) {
			a, c := in[0], in[1]
			if xs == nil {
				for i := range out {
					out[i] = fn.f(a[i], c[i])
				}
				return
			}
			for i := range out {
				out[i] = fn.f(a[xs[i]], c[ys[i]])
			}
		},
		backward: func(input int, dx []float32, in [][]float32, out, dy []float32) {
			a, c := in[0], in[1]
			derivative, index := fn.dx, xs
			if input == 1 {
				derivative, index = fn.dy, ys
			}
			if index == nil {
				for i, g := range dy {
					dx[i] = g * derivative(a[i], c[i], out[i])
				}
				return
			}
			for i, g := range dy {
				dx[index[i]] += g * derivative(a[xs[i]], c[ys[i]], out[i])
			}
		},
	}
	return b.apply(k, x, y)
}

// unaryFunc is an element-wise operator and its derivative, given the input
// x and the output y.
type unaryFunc struct {
	name string
	f    func(x float32) float32
	df   func(x, y float32) float32
}

var (
	sigmoid = unaryFunc{"Sigmoid",
		func(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) },
		func(x, y float32) float32 { return y * (1 - y) }}
	hyperbolicTangent = unaryFunc{"Tanh",
		func(x float32) float32 { return float32(math.Tanh(float64(x))) },
		func(x, y float32) float32 { return 1 - y*y }}
	errorFunction = unaryFunc{"Erf",
		func(x float32) float32 { return float32(math.Erf(float64(x))) },
		func(x, y float32) float32 {
			return float32(2 / math.SqrtPi * math.Exp(-float64(x)*float64(x)))
		}}
	squareRoot = unaryFunc{"Sqrt",
		func(x float32) float32 { return float32(math.Sqrt(float64(x))) },
		func(x, y float32) float32 { return 0.5 / y }}
	exponential = unaryFunc{"Exp",
		func(x float32) float32 { return float32(math.Exp(float64(x))) },
		func(x, y float32) float32 { return y }}
	logarithm = unaryFunc{"Log",
		func(x float32) float32 { return float32(math.Log(float64(x))) },
		func(x, y float32) float32 { return 1 / x }}
	negation = unaryFunc{"Neg",
		func(x float32) float32 { return -x },
		func(x, y float32) float32 { return -1 }}
	absolute = unaryFunc{"Abs",
		func(x float32) float32 { return float32(math.Abs(float64(x))) },
		func(x, y float32) float32 { return sign(x) }}
	reciprocal = unaryFunc{"Reciprocal",
		func(x float32) float32 { return 1 / x },
		func(x, y float32) float32 { return -y * y }}
	rectifier = unaryFunc{"Relu",
		func(x float32) float32 { return max(x, 0) },
		func(x, y float32) float32 { return step(x) }}
)

func sign(x float32) float32 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// step is the derivative of ReLU, taken as 0 at 0.
func step(x float32) float32 {
	if x > 0 {
		return 1
	}
	return 0
}

// unaryBuilder returns the build function of an element-wise operator.
func unaryBuilder(fn unaryFunc) func(*builder, operation, []*value) (*value, error) {
	return func(b *builder, op operation, in []*value) (*value, error) {
		return b.unary(fn, in[0])
	}
}

func (b *builder) unary(fn unaryFunc, x *value) (*value, error) {
	if x.ints != nil {
		return nil, fmt.Errorf("%s of an integer tensor is not supported", fn.name)
	}
	k := &kernel{
		name:   fn.name,
		inputs: [][]int{x.shape},
		output: x.shape,
		forward: func(out []float32, in [][]float32) {
			for i, v := range in[0] {
				out[i] = fn.f(v)
			}
		},
		backward: func(_ int, dx []float32, in [][]float32, out, dy []float32) {
			for i, g := range dy {
				dx[i] = g * fn.df(in[0][i], out[i])
			}
		},
	}
	return b.apply(k, x)
}

// buildRelu uses the fast ReLU op of models/internal/ops in the graph.
func buildRelu(b *builder, op operation, in []*value) (*value, error) {
	if in[0].isConstant() {
		return b.unary(rectifier, in[0])
	}
	return wrap(ops.ReLU(in[0].node))
}

func buildLeakyRelu(b *builder, op operation, in []*value) (*value, error) {
	alpha, err := floatAttribute(op.attrs, "alpha", 0.01)
	if err != nil {
		return nil, err
	}
	return b.unary(unaryFunc{"LeakyRelu",
		func(x float32) float32 {
			if x < 0 {
				return alpha * x
			}
			return x
		},
		func(x, y float32) float32 {
			if x < 0 {
				return alpha
			}
			return 1
		}}, in[0])
}

// buildClip limits the input to [min, max]: attributes before opset 11,
// optional inputs from then on. The gradient passes where the input lies
// strictly inside the range.
func buildClip(b *builder, op operation, in []*value) (*value, error) {
	low, high := float32(math.Inf(-1)), float32(math.Inf(1))
	if b.opset < 11 {
		var err error
		low, err = floatAttribute(op.attrs, "min", low)
		if err != nil {
			return nil, err
		}
		if high, err = floatAttribute(op.attrs, "max", high); err != nil {
			return nil, err
		}
	} else {
		for i, bound := range []*float32{&low, &high} {
			if len(in) <= i+1 || in[i+1] == nil {
				continue
			}
			values, err := constantFloats(in[i+1], []string{"min", "max"}[i])
			if err != nil {
				return nil, err
			}
			if len(values) != 1 {
				return nil, fmt.Errorf("bound of shape %v, expected a scalar", in[i+1].shape)
			}
			*bound = values[0]
		}
	}
	return b.unary(unaryFunc{"Clip",
		func(x float32) float32 { return min(max(x, low), high) },
		func(x, y float32) float32 {
			if x > low && x < high {
				return 1
			}
			return 0
		}}, in[0])
}

// buildCast converts between float32 and the integer types. A float32
// tensor of the graph may only be cast to float32.
func buildCast(b *builder, op operation, in []*value) (*value, error) {
	to, err := intAttribute(op.attrs, "to", 0)
	if err != nil {
		return nil, err
	}
	x := in[0]
	switch {
	case to == float32Type && x.ints != nil:
		return &value{shape: x.shape, floats: intsToFloats(x.ints)}, nil
	case to == float32Type:
		return x, nil
	case isIntegerType(to) && x.ints != nil:
		return x, nil
	case isIntegerType(to) && x.floats != nil:
		ints := make([]int64, len(x.floats))
		for i, f := range x.floats {
			ints[i] = int64(f)
		}
		return &value{shape: x.shape, ints: ints}, nil
	}
	return nil, fmt.Errorf("cast of a graph tensor to element type %d is not supported", to)
}

// isIntegerType reports whether a TensorProto.DataType is an integer or
// boolean type: uint8 (2) to int64 (7), bool (9), uint32 (12), uint64 (13).
func isIntegerType(t int) bool {
	return (t >= 2 && t <= 7) || t == 9 || t == 12 || t == 13
}

func intsToFloats(ints []int64) []float32 {
	floats := make([]float32, len(ints))
	for i, n := range ints {
		floats[i] = float32(n)
	}
	return floats
}
