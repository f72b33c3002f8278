package onnx

import (
	"fmt"
	"slices"
)

// Operators that only move elements (Reshape, Transpose, Slice, Gather,
// Concat, Pad, Expand) are index maps: output element k is element src[k]
// of the inputs laid end to end, or a fill value where src[k] is -1. The
// same map runs on integer constants at load time, on float constants,
// and in the graph, where its gradient adds each output gradient back to
// the element it came from.

// move returns the output of shape shape whose element k is element src[k]
// of inputs laid end to end, or fill where src[k] < 0. A nil src copies
// the one input unchanged, as Reshape does.
func (b *builder) move(name string, shape []int, src []int, fill float32,
	inputs ...*value) (*value, error) {
	if src == nil && size(shape) != size(inputs[0].shape) {
		return nil, fmt.Errorf("%s: %d elements do not fit shape %v",
			name, size(inputs[0].shape), shape)
	}

	ints := 0
	for _, v := range inputs {
		if v.ints != nil {
			ints++
		}
	}
	if ints == len(inputs) {
		return &value{shape: shape, ints: moveInts(src, shape, int64(fill), inputs)}, nil
	}
	if ints > 0 {
		return nil, fmt.Errorf("%s mixes integer and float inputs", name)
	}

	k := &kernel{name: name, output: shape}
	for _, v := range inputs {
		k.inputs = append(k.inputs, v.shape)
	}
	if src == nil {
		k.forward = func(out []float32, in [][]float32) { copy(out, in[0]) }
		k.backward = func(_ int, dx []float32, _ [][]float32, _, dy []float32) { copy(dx, dy) }
		return b.apply(k, inputs...)
	}

	offsets := make([]int, len(inputs)+1)
	for i, v := range inputs {
		offsets[i+1] = offsets[i] + size(v.shape)
	}
	k.forward = func(out []float32, in [][]float32) {
		input := 0
		for j, s := range src {
			if s < 0 {
				out[j] = fill
				continue
			}
			for s < offsets[input] || s >= offsets[input+1] {
				input = inputOf(offsets, s)
			}
			out[j] = in[input][s-offsets[input]]
		}
	}
	k.backward = func(i int, dx []float32, _ [][]float32, _, dy []float32) {
		for j, s := range src {
			if s >= offsets[i] && s < offsets[i+1] {
				dx[s-offsets[i]] += dy[j]
			}
		}
	}
	return b.apply(k, inputs...)
}

// inputOf returns the input whose elements include element s.
func inputOf(offsets []int, s int) int {
	for i := 0; i+1 < len(offsets); i++ {
		if s >= offsets[i] && s < offsets[i+1] {
			return i
		}
	}
	panic(fmt.Sprintf("element %d is outside the inputs (offsets %v)", s, offsets))
}

func moveInts(src []int, shape []int, fill int64, inputs []*value) []int64 {
	var all []int64
	for _, v := range inputs {
		all = append(all, v.ints...)
	}
	if src == nil {
		return all
	}
	out := make([]int64, size(shape))
	for j, s := range src {
		if s < 0 {
			out[j] = fill
		} else {
			out[j] = all[s]
		}
	}
	return out
}

// forEachIndex calls visit with the multi-index and flat index of every
// element of shape, in row-major order.
func forEachIndex(shape []int, visit func(index []int, flat int)) {
	total := size(shape)
	index := make([]int, len(shape))
	for flat := 0; flat < total; flat++ {
		visit(index, flat)
		for axis := len(shape) - 1; axis >= 0; axis-- {
			index[axis]++
			if index[axis] < shape[axis] {
				break
			}
			index[axis] = 0
		}
	}
}

// normalizeAxis returns axis counted from the start of rank axes.
func normalizeAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d is outside the %d axes", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

func buildIdentity(b *builder, op operation, in []*value) (*value, error) {
	return in[0], nil
}

func buildReshape(b *builder, op operation, in []*value) (*value, error) {
	requested, err := constantInts(in[1], "shape")
	if err != nil {
		return nil, err
	}
	allowZero, err := intAttribute(op.attrs, "allowzero", 0)
	if err != nil {
		return nil, err
	}
	shape, err := reshapeTarget(in[0].shape, requested, allowZero != 0)
	if err != nil {
		return nil, err
	}
	return b.move("Reshape", shape, nil, 0, in[0])
}

// reshapeTarget resolves an ONNX Reshape shape on an input of shape from:
// 0 copies the input's size on that axis (unless allowZero) and one -1
// takes what is left.
func reshapeTarget(from []int, requested []int64, allowZero bool) ([]int, error) {
	to := make([]int, len(requested))
	inferred := -1
	known := 1
	for i, s := range requested {
		switch {
		case s == 0 && !allowZero && i < len(from):
			to[i] = from[i]
		case s == -1 && inferred < 0:
			inferred = i
			continue
		case s >= 0:
			to[i] = int(s)
		default:
			return nil, fmt.Errorf("invalid shape %v for input %v", requested, from)
		}
		known *= to[i]
	}

	total := size(from)
	if inferred >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("shape %v does not fit input %v", requested, from)
		}
		to[inferred] = total / known
	}
	if size(to) != total {
		return nil, fmt.Errorf("shape %v does not fit input %v", requested, from)
	}
	return to, nil
}

// buildFlatten reshapes the input to a matrix: the axes before axis make
// the rows and the others the columns.
func buildFlatten(b *builder, op operation, in []*value) (*value, error) {
	shape := in[0].shape
	axis, err := intAttribute(op.attrs, "axis", 1)
	if err != nil {
		return nil, err
	}
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis > len(shape) {
		return nil, fmt.Errorf("attribute axis=%d is outside the input's %d axes", axis, len(shape))
	}
	rows := size(shape[:axis])
	return b.move("Flatten", []int{rows, size(shape[axis:])}, nil, 0, in[0])
}

// axesOf returns the axes of Squeeze, Unsqueeze or a reduction: the input
// at index input from opset inputOpset on, the axes attribute before.
func axesOf(op operation, in []*value, input int, inputOpset, opset int64) ([]int, bool, error) {
	if opset >= inputOpset {
		if len(in) <= input || in[input] == nil {
			return nil, false, nil
		}
		axes, err := constantInts(in[input], "axes")
		if err != nil {
			return nil, false, err
		}
		out := make([]int, len(axes))
		for i, a := range axes {
			out[i] = int(a)
		}
		return out, true, nil
	}
	axes, err := intsAttribute(op.attrs, "axes", nil)
	return axes, axes != nil, err
}

func buildUnsqueeze(b *builder, op operation, in []*value) (*value, error) {
	axes, ok, err := axesOf(op, in, 1, 13, b.opset)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("axes are missing")
	}
	rank := len(in[0].shape) + len(axes)
	inserted := make([]bool, rank)
	for _, a := range axes {
		axis, err := normalizeAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if inserted[axis] {
			return nil, fmt.Errorf("axis %d repeats", a)
		}
		inserted[axis] = true
	}
	shape := make([]int, 0, rank)
	next := 0
	for axis := 0; axis < rank; axis++ {
		if inserted[axis] {
			shape = append(shape, 1)
		} else {
			shape = append(shape, in[0].shape[next])
			next++
		}
	}
	return b.move("Unsqueeze", shape, nil, 0, in[0])
}

func buildSqueeze(b *builder, op operation, in []*value) (*value, error) {
	from := in[0].shape
	axes, ok, err := axesOf(op, in, 1, 13, b.opset)
	if err != nil {
		return nil, err
	}
	removed := make([]bool, len(from))
	for axis, d := range from {
		removed[axis] = !ok && d == 1
	}
	for _, a := range axes {
		axis, err := normalizeAxis(a, len(from))
		if err != nil {
			return nil, err
		}
		if from[axis] != 1 {
			return nil, fmt.Errorf("axis %d has size %d, expected 1", a, from[axis])
		}
		removed[axis] = true
	}
	var shape []int
	for axis, d := range from {
		if !removed[axis] {
			shape = append(shape, d)
		}
	}
	return b.move("Squeeze", shape, nil, 0, in[0])
}

func buildTranspose(b *builder, op operation, in []*value) (*value, error) {
	from := in[0].shape
	rank := len(from)
	perm, err := intsAttribute(op.attrs, "perm", nil)
	if err != nil {
		return nil, err
	}
	if perm == nil {
		for axis := rank - 1; axis >= 0; axis-- {
			perm = append(perm, axis)
		}
	}
	sorted := slices.Sorted(slices.Values(perm))
	for i, axis := range sorted {
		if axis != i || len(perm) != rank {
			return nil, fmt.Errorf("invalid attribute perm=%v, expected a permutation of %d axes",
				perm, rank)
		}
	}

	shape := make([]int, rank)
	for i, axis := range perm {
		shape[i] = from[axis]
	}
	inStrides := strides(from)
	src := make([]int, size(shape))
	forEachIndex(shape, func(index []int, flat int) {
		s := 0
		for i, axis := range perm {
			s += index[i] * inStrides[axis]
		}
		src[flat] = s
	})
	return b.move("Transpose", shape, src, 0, in[0])
}

// sliceRange is the elements start, start+step, ... that a Slice keeps on
// one axis.
type sliceRange struct{ start, step, count int }

func buildSlice(b *builder, op operation, in []*value) (*value, error) {
	from := in[0].shape
	params, err := sliceParameters(op, in, b.opset)
	if err != nil {
		return nil, err
	}

	ranges := make([]sliceRange, len(from))
	for axis, d := range from {
		ranges[axis] = sliceRange{0, 1, d}
	}
	for i, a := range params.axes {
		axis, err := normalizeAxis(a, len(from))
		if err != nil {
			return nil, err
		}
		ranges[axis], err = clampSlice(params.starts[i], params.ends[i], params.steps[i], from[axis])
		if err != nil {
			return nil, err
		}
	}

	shape := make([]int, len(from))
	for axis, r := range ranges {
		shape[axis] = r.count
	}
	inStrides := strides(from)
	src := make([]int, size(shape))
	forEachIndex(shape, func(index []int, flat int) {
		s := 0
		for axis, r := range ranges {
			s += (r.start + index[axis]*r.step) * inStrides[axis]
		}
		src[flat] = s
	})
	return b.move("Slice", shape, src, 0, in[0])
}

// sliceParams are the starts, ends, axes and steps of a Slice node.
type sliceParams struct {
	starts, ends, steps []int64
	axes                []int
}

// sliceParameters reads a Slice's parameters: attributes before opset 10,
// inputs from then on.
func sliceParameters(op operation, in []*value, opset int64) (sliceParams, error) {
	var p sliceParams
	var err error
	if opset < 10 {
		starts, err1 := intsAttribute(op.attrs, "starts", nil)
		ends, err2 := intsAttribute(op.attrs, "ends", nil)
		axes, err3 := intsAttribute(op.attrs, "axes", nil)
		if err := firstError(err1, err2, err3); err != nil {
			return p, err
		}
		p.starts, p.ends, p.axes = toInt64(starts), toInt64(ends), axes
	} else {
		if p.starts, err = constantInts(in[1], "starts"); err != nil {
			return p, err
		}
		if p.ends, err = constantInts(in[2], "ends"); err != nil {
			return p, err
		}
		if len(in) > 3 && in[3] != nil {
			axes, err := constantInts(in[3], "axes")
			if err != nil {
				return p, err
			}
			for _, a := range axes {
				p.axes = append(p.axes, int(a))
			}
		}
		if len(in) > 4 && in[4] != nil {
			if p.steps, err = constantInts(in[4], "steps"); err != nil {
				return p, err
			}
		}
	}
	if p.axes == nil {
		for i := range p.starts {
			p.axes = append(p.axes, i)
		}
	}
	if p.steps == nil {
		p.steps = make([]int64, len(p.starts))
		for i := range p.steps {
			p.steps[i] = 1
		}
	}
	if len(p.ends) != len(p.starts) || len(p.axes) != len(p.starts) ||
		len(p.steps) != len(p.starts) {
		return p, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length",
			p.starts, p.ends, p.axes, p.steps)
	}
	return p, nil
}

// clampSlice resolves a Slice's start, end and step on an axis of size d
// as numpy does: negative positions count from the end and positions past
// either end are clamped.
func clampSlice(start, end, step int64, d int) (sliceRange, error) {
	if step == 0 {
		return sliceRange{}, fmt.Errorf("invalid step 0")
	}
	n := int64(d)
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if step > 0 {
		start = min(max(start, 0), n)
		end = min(max(end, 0), n)
	} else {
		start = min(max(start, -1), n-1)
		end = min(max(end, -1), n-1)
	}
	count := int64(0)
	if step > 0 && end > start {
		count = (end - start + step - 1) / step
	}
	if step < 0 && start > end {
		count = (start - end - step - 1) / -step
	}
	return sliceRange{int(start), int(step), int(count)}, nil
}

func buildGather(b *builder, op operation, in []*value) (*value, error) {
	from := in[0].shape
	given, err := constantInts(in[1], "indices")
	if err != nil {
		return nil, err
	}
	indices := append([]int64{}, given...)
	a, err := intAttribute(op.attrs, "axis", 0)
	if err != nil {
		return nil, err
	}
	axis, err := normalizeAxis(a, len(from))
	if err != nil {
		return nil, err
	}
	for i, index := range indices {
		if index < -int64(from[axis]) || index >= int64(from[axis]) {
			return nil, fmt.Errorf("index %d is outside axis %d of size %d", index, axis, from[axis])
		}
		if index < 0 {
			indices[i] += int64(from[axis])
		}
	}

	shape := append(append(append([]int{}, from[:axis]...), in[1].shape...), from[axis+1:]...)
	inStrides := strides(from)
	indexRank := len(in[1].shape)
	indexStrides := strides(in[1].shape)
	src := make([]int, size(shape))
	forEachIndex(shape, func(index []int, flat int) {
		s, k := 0, 0
		for i := 0; i < indexRank; i++ {
			k += index[axis+i] * indexStrides[i]
		}
		for i := 0; i < axis; i++ {
			s += index[i] * inStrides[i]
		}
		s += int(indices[k]) * inStrides[axis]
		for i := axis + 1; i < len(from); i++ {
			s += index[i+indexRank-1] * inStrides[i]
		}
		src[flat] = s
	})
	return b.move("Gather", shape, src, 0, in[0])
}

func buildConcat(b *builder, op operation, in []*value) (*value, error) {
	a, err := intAttribute(op.attrs, "axis", 0)
	if err != nil {
		return nil, err
	}
	first := in[0].shape
	axis, err := normalizeAxis(a, len(first))
	if err != nil {
		return nil, err
	}
	shape := append([]int{}, first...)
	shape[axis] = 0
	for _, v := range in {
		if len(v.shape) != len(first) {
			return nil, fmt.Errorf("inputs of shapes %v and %v differ in rank", first, v.shape)
		}
		for i, d := range v.shape {
			if i != axis && d != first[i] {
				return nil, fmt.Errorf("inputs of shapes %v and %v differ outside axis %d",
					first, v.shape, axis)
			}
		}
		shape[axis] += v.shape[axis]
	}

	// Each output row (the axes up to axis) takes a block from every input.
	outer := size(first[:axis])
	src := make([]int, 0, size(shape))
	offset := 0
	offsets := make([]int, len(in))
	for i, v := range in {
		offsets[i] = offset
		offset += size(v.shape)
	}
	for row := 0; row < outer; row++ {
		for i, v := range in {
			block := size(v.shape[axis:])
			for j := 0; j < block; j++ {
				src = append(src, offsets[i]+row*block+j)
			}
		}
	}
	return b.move("Concat", shape, src, 0, in...)
}

func buildExpand(b *builder, op operation, in []*value) (*value, error) {
	target, err := constantInts(in[1], "shape")
	if err != nil {
		return nil, err
	}
	to := make([]int, len(target))
	for i, d := range target {
		to[i] = int(d)
	}
	shape, err := broadcastShape(in[0].shape, to)
	if err != nil {
		return nil, err
	}
	return b.move("Expand", shape, broadcastIndex(in[0].shape, shape), 0, in[0])
}

func toInt64(values []int) []int64 {
	out := make([]int64, len(values))
	for i, v := range values {
		out[i] = int64(v)
	}
	return out
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// buildScatterND copies data and overwrites the slices that indices name
// (its last axis indexes the leading axes of data) with updates. The
// indices must be constants; reduction must be none.
func buildScatterND(b *builder, op operation, in []*value) (*value, error) {
	data, updates := in[0], in[2]
	indices, err := constantInts(in[1], "indices")
	if err != nil {
		return nil, err
	}
	if reduction, _ := stringAttribute(op.attrs, "reduction", "none"); reduction != "none" {
		return nil, fmt.Errorf("attribute reduction=%q, expected none", reduction)
	}
	indexShape := in[1].shape
	if len(indexShape) == 0 {
		return nil, fmt.Errorf("indices must have at least one axis")
	}
	depth := indexShape[len(indexShape)-1]
	if depth > len(data.shape) {
		return nil, fmt.Errorf("indices of depth %d for data of shape %v", depth, data.shape)
	}
	block := size(data.shape[depth:])
	count := size(indexShape[:len(indexShape)-1])
	if size(updates.shape) != count*block {
		return nil, fmt.Errorf("updates of shape %v, expected %d slices of %d elements",
			updates.shape, count, block)
	}

	dataStrides := strides(data.shape)
	src := make([]int, size(data.shape))
	for i := range src {
		src[i] = i
	}
	offset := size(data.shape)
	for j := 0; j < count; j++ {
		start := 0
		for axis, index := range indices[j*depth : (j+1)*depth] {
			if index < 0 {
				index += int64(data.shape[axis])
			}
			if index < 0 || index >= int64(data.shape[axis]) {
				return nil, fmt.Errorf("index %d is outside axis %d of size %d",
					index, axis, data.shape[axis])
			}
			start += int(index) * dataStrides[axis]
		}
		for k := 0; k < block; k++ {
			src[start+k] = offset + j*block + k
		}
	}
	return b.move("ScatterND", data.shape, src, 0, data, updates)
}
