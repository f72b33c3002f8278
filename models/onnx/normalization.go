package onnx

import (
	"fmt"
	"math"

	"github.com/mmatransfer/mma/models/internal/ops"
)

// buildBatchNorm applies an inference BatchNormalization as a per-channel
// affine map, x * a + shift with a = scale / sqrt(var + epsilon) and
// shift = B - mean * a, computed once from the node's constants.
func buildBatchNorm(b *builder, op operation, in []*value) (*value, error) {
	x := in[0]
	if len(x.shape) < 2 {
		return nil, fmt.Errorf("input %v, expected N x C x ...", x.shape)
	}
	channels := x.shape[1]
	epsilon, err := floatAttribute(op.attrs, "epsilon", 1e-5)
	if err != nil {
		return nil, err
	}

	var params [4][]float32 // scale, B, mean, var
	for i, role := range []string{"scale", "B", "input_mean", "input_var"} {
		if params[i], err = constantFloats(in[i+1], role); err != nil {
			return nil, err
		}
		if len(params[i]) != channels {
			return nil, fmt.Errorf("input %s has %d values for %d channels",
				role, len(params[i]), channels)
		}
	}

	factor := make([]float32, channels)
	shift := make([]float32, channels)
	for c := range factor {
		factor[c] = params[0][c] / float32(math.Sqrt(float64(params[3][c]+epsilon)))
		shift[c] = params[1][c] - params[2][c]*factor[c]
	}

	if !x.isConstant() && (len(x.shape) == 2 || len(x.shape) == 4) {
		factorNode, _ := b.nodeOf(&value{shape: []int{channels}, floats: factor})
		shiftNode, _ := b.nodeOf(&value{shape: []int{channels}, floats: shift})
		return wrap(ops.ChannelAffine(x.node, factorNode, shiftNode))
	}
	shape := make([]int, len(x.shape))
	for i := range shape {
		shape[i] = 1
	}
	shape[1] = channels
	scaled, err := b.binary(multiplication, x, &value{shape: shape, floats: factor})
	if err != nil {
		return nil, err
	}
	return b.binary(addition, scaled, &value{shape: shape, floats: shift})
}

// rowLayout splits a tensor into outer x length x inner elements, where an
// operation such as Softmax runs along the length axis.
type rowLayout struct{ outer, length, inner int }

// forEachRow calls visit with the flat indices of each row.
func (l rowLayout) forEachRow(visit func(index []int)) {
	index := make([]int, l.length)
	for o := 0; o < l.outer; o++ {
		for i := 0; i < l.inner; i++ {
			for j := range index {
				index[j] = (o*l.length+j)*l.inner + i
			}
			visit(index)
		}
	}
}

// softmaxLayout returns the rows of Softmax and LogSoftmax. Before opset 13
// the input is read as a matrix whose rows span the axes from axis on
// (default 1). From opset 13 on, rows run along axis alone (default -1).
func softmaxLayout(op operation, shape []int, opset int64) (rowLayout, error) {
	def := -1
	if opset < 13 {
		def = 1
	}
	a, err := intAttribute(op.attrs, "axis", def)
	if err != nil {
		return rowLayout{}, err
	}
	axis, err := normalizeAxis(a, max(len(shape), 1))
	if err != nil {
		return rowLayout{}, err
	}
	if len(shape) == 0 {
		return rowLayout{1, 1, 1}, nil
	}
	if opset < 13 {
		return rowLayout{size(shape[:axis]), size(shape[axis:]), 1}, nil
	}
	return rowLayout{size(shape[:axis]), shape[axis], size(shape[axis+1:])}, nil
}

func buildSoftmax(b *builder, op operation, in []*value) (*value, error) {
	return buildSoftmaxKind(b, op, in, false)
}

func buildLogSoftmax(b *builder, op operation, in []*value) (*value, error) {
	return buildSoftmaxKind(b, op, in, true)
}

func buildSoftmaxKind(b *builder, op operation, in []*value, logarithmic bool) (*value, error) {
	shape := in[0].shape
	l, err := softmaxLayout(op, shape, b.opset)
	if err != nil {
		return nil, err
	}
	k := &kernel{
		name:   op.node.opType,
		inputs: [][]int{shape},
		output: shape,
		forward: func(out []float32, in [][]float32) {
			l.forEachRow(func(index []int) {
				softmaxRow(out, in[0], index, logarithmic)
			})
		},
		backward: func(_ int, dx []float32, _ [][]float32, out, dy []float32) {
			l.forEachRow(func(index []int) {
				var sum float64
				for _, j := range index {
					if logarithmic {
						sum += float64(dy[j])
					} else {
						sum += float64(dy[j]) * float64(out[j])
					}
				}
				for _, j := range index {
					if logarithmic {
						dx[j] = dy[j] - float32(math.Exp(float64(out[j]))*sum)
					} else {
						dx[j] = out[j] * (dy[j] - float32(sum))
					}
				}
			})
		},
	}
	return b.apply(k, in[0])
}

// softmaxRow writes the softmax (or log-softmax) of x at index into out.
func softmaxRow(out, x []float32, index []int, logarithmic bool) {
	peak := math.Inf(-1)
	for _, j := range index {
		peak = math.Max(peak, float64(x[j]))
	}
	var sum float64
	for _, j := range index {
		sum += math.Exp(float64(x[j]) - peak)
	}
	for _, j := range index {
		if logarithmic {
			out[j] = float32(float64(x[j]) - peak - math.Log(sum))
		} else {
			out[j] = float32(math.Exp(float64(x[j])-peak) / sum)
		}
	}
}

// buildLayerNorm normalizes over the axes from axis on (default -1) to
// zero mean and unit variance, then multiplies by Scale and adds B.
func buildLayerNorm(b *builder, op operation, in []*value) (*value, error) {
	x := in[0]
	a, err := intAttribute(op.attrs, "axis", -1)
	if err != nil {
		return nil, err
	}
	axis, err := normalizeAxis(a, len(x.shape))
	if err != nil {
		return nil, err
	}
	epsilon, err := floatAttribute(op.attrs, "epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	if stash, _ := intAttribute(op.attrs, "stash_type", 1); stash != 1 {
		return nil, fmt.Errorf("attribute stash_type=%d, expected 1 (float32)", stash)
	}

	l := rowLayout{size(x.shape[:axis]), size(x.shape[axis:]), 1}
	normalized, err := b.apply(normalizeKernel(x.shape, l, epsilon), x)
	if err != nil {
		return nil, err
	}
	if err := b.addMoments(op, x, axis, l, epsilon); err != nil {
		return nil, err
	}
	out, err := b.binary(multiplication, normalized, in[1])
	if err != nil {
		return nil, err
	}
	if len(in) > 2 && in[2] != nil {
		return b.binary(addition, out, in[2])
	}
	return out, nil
}

// addMoments stores the optional Mean and InvStdDev outputs of a
// LayerNormalization: one value per row, with the normalized axes keptShape at
// size 1. They have no gradient.
func (b *builder) addMoments(op operation, x *value, axis int, l rowLayout,
	epsilon float32) error {
	shape := append([]int{}, x.shape...)
	for i := axis; i < len(shape); i++ {
		shape[i] = 1
	}
	for i, name := range op.node.outputs[1:] {
		if name == "" {
			continue
		}
		inverse := i == 1
		k := &kernel{
			name:   []string{"Mean", "InvStdDev"}[i],
			inputs: [][]int{x.shape},
			output: shape,
			forward: func(out []float32, in [][]float32) {
				row := 0
				l.forEachRow(func(index []int) {
					mean, inverseStd := rowMoments(in[0], index, epsilon)
					out[row] = float32(mean)
					if inverse {
						out[row] = float32(inverseStd)
					}
					row++
				})
			},
		}
		v, err := b.apply(k, x)
		if err != nil {
			return err
		}
		b.values[name] = v
	}
	return nil
}

// rowMoments returns the mean and 1/sqrt(variance + epsilon) of a row.
func rowMoments(x []float32, index []int, epsilon float32) (float64, float64) {
	var mean, variance float64
	for _, j := range index {
		mean += float64(x[j])
	}
	mean /= float64(len(index))
	for _, j := range index {
		d := float64(x[j]) - mean
		variance += d * d
	}
	variance /= float64(len(index))
	return mean, 1 / math.Sqrt(variance+float64(epsilon))
}

// normalizeKernel maps each row to (x - mean) / sqrt(variance + epsilon).
func normalizeKernel(shape []int, l rowLayout, epsilon float32) *kernel {
	return &kernel{
		name:   "LayerNormalization",
		inputs: [][]int{shape},
		output: shape,
		forward: func(out []float32, in [][]float32) {
			l.forEachRow(func(index []int) {
				mean, inverse := rowMoments(in[0], index, epsilon)
				for _, j := range index {
					out[j] = float32((float64(in[0][j]) - mean) * inverse)
				}
			})
		},
		backward: func(_ int, dx []float32, in [][]float32, out, dy []float32) {
			l.forEachRow(func(index []int) {
				_, inverse := rowMoments(in[0], index, epsilon)
				var meanDy, meanDyXhat float64
				for _, j := range index {
					meanDy += float64(dy[j])
					meanDyXhat += float64(dy[j]) * float64(out[j])
				}
				n := float64(len(index))
				meanDy /= n
				meanDyXhat /= n
				for _, j := range index {
					dx[j] = float32(inverse * (float64(dy[j]) - meanDy - float64(out[j])*meanDyXhat))
				}
			})
		},
	}
}

// reduction is how a reduce operator combines the elements it reduces.
type reduction int

const (
	reduceSum reduction = iota
	reduceMean
	reduceMax
	reduceMin
)

// reduceBuilder returns the build function of a reduce operator. It reads
// the axes (an attribute, or an input from opset 13 for ReduceSum and 18
// for the others), keepdims (default 1) and noop_with_empty_axes (default
// 0: no axes means all axes).
func reduceBuilder(kind reduction) func(*builder, operation, []*value) (*value, error) {
	return func(b *builder, op operation, in []*value) (*value, error) {
		inputOpset := int64(18)
		if kind == reduceSum {
			inputOpset = 13
		}
		axes, ok, err := axesOf(op, in, 1, inputOpset, b.opset)
		if err != nil {
			return nil, err
		}
		keepDims, err1 := intAttribute(op.attrs, "keepdims", 1)
		noop, err2 := intAttribute(op.attrs, "noop_with_empty_axes", 0)
		if err := firstError(err1, err2); err != nil {
			return nil, err
		}
		if (!ok || len(axes) == 0) && noop != 0 {
			return in[0], nil
		}
		if !ok || len(axes) == 0 {
			axes = nil
			for axis := range in[0].shape {
				axes = append(axes, axis)
			}
		}
		return b.reduce(op.node.opType, kind, in[0], axes, keepDims != 0)
	}
}

// reduce combines the elements of x along axes.
func (b *builder) reduce(name string, kind reduction, x *value, axes []int,
	keepDims bool) (*value, error) {
	rank := len(x.shape)
	reduced := make([]bool, rank)
	for _, a := range axes {
		axis, err := normalizeAxis(a, rank)
		if err != nil {
			return nil, err
		}
		reduced[axis] = true
	}
	var shape, keptShape []int
	for axis, d := range x.shape {
		switch {
		case !reduced[axis]:
			shape = append(shape, d)
			keptShape = append(keptShape, d)
		case keepDims:
			shape = append(shape, 1)
			keptShape = append(keptShape, 1)
		default:
			keptShape = append(keptShape, 1)
		}
	}
	// target[i] is the output element that input element i goes to.
	target := broadcastIndex(keptShape, x.shape)
	count := float32(1)
	if kind == reduceMean && size(shape) > 0 {
		count = float32(size(x.shape) / size(shape))
	}

	k := &kernel{
		name:   name,
		inputs: [][]int{x.shape},
		output: shape,
		forward: func(out []float32, in [][]float32) {
			if kind == reduceMax || kind == reduceMin {
				extremes(out, in[0], target, kind == reduceMax)
				return
			}
			sums := make([]float64, len(out))
			for i, v := range in[0] {
				sums[target[i]] += float64(v)
			}
			for i, s := range sums {
				out[i] = float32(s / float64(count))
			}
		},
		backward: func(_ int, dx []float32, in [][]float32, out, dy []float32) {
			if kind == reduceSum || kind == reduceMean {
				for i := range dx {
					dx[i] = dy[target[i]] / count
				}
				return
			}
			// The gradient goes to the first extreme element only.
			routed := make([]bool, len(out))
			for i, v := range in[0] {
				o := target[i]
				if !routed[o] && v == out[o] {
					routed[o] = true
					dx[i] = dy[o]
				}
			}
		},
	}
	return b.apply(k, x)
}

// extremes writes into out the largest (or smallest) element of x that
// goes to each output element.
func extremes(out, x []float32, target []int, largest bool) {
	seen := make([]bool, len(out))
	for i, v := range x {
		o := target[i]
		if !seen[o] || largest && v > out[o] || !largest && v < out[o] {
			out[o] = v
			seen[o] = true
		}
	}
}
