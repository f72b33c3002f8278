package onnx

import (
	"fmt"
	"sort"
	"strings"
)

// opSpec describes how one ONNX operator is checked and built.
type opSpec struct {
	// minOpset is the first opset whose semantics the builder follows.
	minOpset int64

	// minInputs and maxInputs bound the number of node inputs.
	minInputs, maxInputs int

	// maxOutputs bounds the number of node outputs; 0 means 1. The build
	// function stores any output after the first itself.
	maxOutputs int

	// attributes lists the attribute names the builder reads; any other
	// attribute is rejected.
	attributes []string

	// check validates attribute values that need no shapes. It may be nil.
	check func(attrs map[string]interface{}) error

	// build adds the operator to the graph, or computes its output when it
	// is known at load time, and returns its first output. An input left
	// out (an empty name) is nil.
	build func(b *builder, op operation, inputs []*value) (*value, error)
}

// Attribute lists shared by several operators.
var (
	windowAttributes = []string{"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
		"strides"}
	reduceAttributes = []string{"axes", "keepdims", "noop_with_empty_axes"}
)

// operators lists the supported ONNX operators of the default domain.
var operators = map[string]opSpec{
	"Abs": unary(absolute),
	"Add": binary(addition),
	"AveragePool": {
		minOpset: 1, minInputs: 1, maxInputs: 1,
		attributes: append([]string{"count_include_pad"}, windowAttributes...),
		check:      checkPool,
		build:      buildAveragePool,
	},
	"BatchNormalization": {
		minOpset: 1, minInputs: 5, maxInputs: 5,
		attributes: []string{"epsilon", "momentum", "spatial", "training_mode", "is_test"},
		check:      checkBatchNorm,
		build:      buildBatchNorm,
	},
	"Cast": {minOpset: 6, minInputs: 1, maxInputs: 1, attributes: []string{"to", "saturate"},
		build: buildCast},
	"Clip": {minOpset: 6, minInputs: 1, maxInputs: 3, attributes: []string{"min", "max"},
		build: buildClip},
	"Concat": {minOpset: 4, minInputs: 1, maxInputs: 1 << 16, attributes: []string{"axis"},
		build: buildConcat},
	"Constant": {
		minOpset:   1,
		attributes: []string{"value", "value_float", "value_floats", "value_int", "value_ints"},
		build:      buildConstant,
	},
	"ConstantOfShape": {minOpset: 9, minInputs: 1, maxInputs: 1, attributes: []string{"value"},
		build: buildConstantOfShape},
	"Conv": {
		minOpset: 1, minInputs: 2, maxInputs: 3,
		attributes: []string{"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
		check:      checkWindow,
		build:      buildConv,
	},
	"Div": binary(division),
	"Dropout": {
		minOpset: 1, minInputs: 1, maxInputs: 3, maxOutputs: 2,
		attributes: []string{"is_test", "ratio", "seed"},
		build:      buildDropout,
	},
	"Elu":                {minOpset: 6, minInputs: 1, maxInputs: 1, attributes: []string{"alpha"}, build: buildElu},
	"Equal":              comparison(func(x, y float64) bool { return x == y }),
	"Erf":                unary(errorFunction),
	"Exp":                unary(exponential),
	"Expand":             {minOpset: 8, minInputs: 2, maxInputs: 2, build: buildExpand},
	"Flatten":            {minOpset: 1, minInputs: 1, maxInputs: 1, attributes: []string{"axis"}, build: buildFlatten},
	"Gather":             {minOpset: 1, minInputs: 2, maxInputs: 2, attributes: []string{"axis"}, build: buildGather},
	"Gemm":               {minOpset: 7, minInputs: 2, maxInputs: 3, attributes: []string{"alpha", "beta", "transA", "transB"}, build: buildGemm},
	"Greater":            comparison(func(x, y float64) bool { return x > y }),
	"GlobalAveragePool":  {minOpset: 1, minInputs: 1, maxInputs: 1, build: buildGlobalAveragePool},
	"GlobalMaxPool":      {minOpset: 1, minInputs: 1, maxInputs: 1, build: buildGlobalMaxPool},
	"HardSigmoid":        {minOpset: 6, minInputs: 1, maxInputs: 1, attributes: []string{"alpha", "beta"}, build: buildHardSigmoid},
	"HardSwish":          unary(hardSwish),
	"Identity":           {minOpset: 1, minInputs: 1, maxInputs: 1, build: buildIdentity},
	"LayerNormalization": {minOpset: 17, minInputs: 2, maxInputs: 3, maxOutputs: 3, attributes: []string{"axis", "epsilon", "stash_type"}, build: buildLayerNorm},
	"Less":               comparison(func(x, y float64) bool { return x < y }),
	"LeakyRelu":          {minOpset: 6, minInputs: 1, maxInputs: 1, attributes: []string{"alpha"}, build: buildLeakyRelu},
	"Log":                unary(logarithm),
	"LogSoftmax":         {minOpset: 1, minInputs: 1, maxInputs: 1, attributes: []string{"axis"}, build: buildLogSoftmax},
	"MatMul":             {minOpset: 1, minInputs: 2, maxInputs: 2, build: buildMatMul},
	"MaxPool": {
		minOpset: 1, minInputs: 1, maxInputs: 1,
		attributes: append([]string{"storage_order"}, windowAttributes...),
		check:      checkPool,
		build:      buildMaxPool,
	},
	"Max":        variadic(maximum),
	"Min":        variadic(minimum),
	"Mod":        {minOpset: 10, minInputs: 2, maxInputs: 2, attributes: []string{"fmod"}, build: buildMod},
	"Mul":        binary(multiplication),
	"Neg":        unary(negation),
	"Not":        {minOpset: 1, minInputs: 1, maxInputs: 1, build: buildNot},
	"And":        comparison(func(x, y float64) bool { return x != 0 && y != 0 }),
	"Or":         comparison(func(x, y float64) bool { return x != 0 || y != 0 }),
	"Pad":        {minOpset: 2, minInputs: 1, maxInputs: 4, attributes: []string{"mode", "pads", "value"}, check: checkPad, build: buildPad},
	"Pow":        binary(power),
	"Range":      {minOpset: 11, minInputs: 3, maxInputs: 3, build: buildRange},
	"Reciprocal": unary(reciprocal),
	"ReduceMax":  reduce(reduceMax),
	"ReduceMean": reduce(reduceMean),
	"ReduceMin":  reduce(reduceMin),
	"ReduceSum":  reduce(reduceSum),
	"Relu":       {minOpset: 1, minInputs: 1, maxInputs: 1, build: buildRelu},
	"Reshape":    {minOpset: 5, minInputs: 2, maxInputs: 2, attributes: []string{"allowzero"}, build: buildReshape},
	"ScatterND":  {minOpset: 11, minInputs: 3, maxInputs: 3, attributes: []string{"reduction"}, build: buildScatterND},
	"Shape":      {minOpset: 1, minInputs: 1, maxInputs: 1, attributes: []string{"start", "end"}, build: buildShape},
	"Sigmoid":    unary(sigmoid),
	"Slice":      {minOpset: 1, minInputs: 1, maxInputs: 5, attributes: []string{"axes", "ends", "starts"}, build: buildSlice},
	"Softmax":    {minOpset: 1, minInputs: 1, maxInputs: 1, attributes: []string{"axis"}, build: buildSoftmax},
	"Softplus":   unary(softplus),
	"Split": {minOpset: 2, minInputs: 1, maxInputs: 2, maxOutputs: 1 << 10,
		attributes: []string{"axis", "split"}, build: buildSplit},
	"Sqrt":      unary(squareRoot),
	"Squeeze":   {minOpset: 1, minInputs: 1, maxInputs: 2, attributes: []string{"axes"}, build: buildSqueeze},
	"Sub":       binary(subtraction),
	"Sum":       variadic(addition),
	"Tanh":      unary(hyperbolicTangent),
	"Transpose": {minOpset: 1, minInputs: 1, maxInputs: 1, attributes: []string{"perm"}, build: buildTranspose},
	"Where":     {minOpset: 9, minInputs: 3, maxInputs: 3, build: buildWhere},
	"Unsqueeze": {minOpset: 1, minInputs: 1, maxInputs: 2, attributes: []string{"axes"}, build: buildUnsqueeze},
}

// unary returns the spec of an element-wise operator of one input.
func unary(fn unaryFunc) opSpec {
	return opSpec{minOpset: 1, minInputs: 1, maxInputs: 1, build: unaryBuilder(fn)}
}

// variadic returns the spec of Max, Min or Sum (opset 8 on, with numpy
// broadcasting).
func variadic(fn binaryFunc) opSpec {
	return opSpec{minOpset: 8, minInputs: 1, maxInputs: 1 << 16, build: variadicBuilder(fn)}
}

// comparison returns the spec of a comparison of constants.
func comparison(compare func(x, y float64) bool) opSpec {
	return opSpec{minOpset: 7, minInputs: 2, maxInputs: 2, build: comparisonBuilder(compare)}
}

// zeroRatio reports whether a Dropout's ratio input is the constant 0.
func zeroRatio(in []*value) bool {
	if len(in) < 2 || in[1] == nil || in[1].floats == nil {
		return false
	}
	return len(in[1].floats) == 1 && in[1].floats[0] == 0
}

// reduce returns the spec of a reduce operator.
func reduce(kind reduction) opSpec {
	return opSpec{minOpset: 1, minInputs: 1, maxInputs: 2, attributes: reduceAttributes,
		build: reduceBuilder(kind)}
}

// binary returns the spec of an element-wise operator with numpy
// broadcasting (opset 7 on; earlier opsets broadcast by attribute).
func binary(fn binaryFunc) opSpec {
	return opSpec{minOpset: 7, minInputs: 2, maxInputs: 2, build: binaryBuilder(fn)}
}

// buildDropout is the identity of inference, and its optional mask output
// is all true. A constant true training_mode input is rejected unless the
// ratio is a constant 0, as PyTorch exports for some attention dropouts.
func buildDropout(b *builder, op operation, in []*value) (*value, error) {
	if len(in) > 2 && in[2] != nil {
		mode, err := constantInts(in[2], "training_mode")
		if err != nil {
			return nil, err
		}
		if len(mode) != 1 || mode[0] != 0 && !zeroRatio(in) {
			return nil, fmt.Errorf("input training_mode %v with a ratio other than 0, "+
				"expected false", mode)
		}
	}
	if len(op.node.outputs) > 1 && op.node.outputs[1] != "" {
		mask := make([]int64, size(in[0].shape))
		for i := range mask {
			mask[i] = 1
		}
		b.values[op.node.outputs[1]] = &value{shape: in[0].shape, ints: mask}
	}
	return in[0], nil
}

// supportedOperators returns the names of the supported operators, sorted.
func supportedOperators() string {
	names := make([]string, 0, len(operators))
	for name := range operators {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkNodes rejects a model with a node of an unsupported operator,
// domain or opset before onnx-go decodes it.
func checkNodes(info *modelInfo) error {
	for _, node := range info.nodes {
		if node.domain != "" && node.domain != "ai.onnx" {
			return unsupported(node, info.opset, "operator domain %q (only the default domain is)",
				node.domain)
		}
		spec, ok := operators[node.opType]
		if !ok {
			return unsupported(node, info.opset, "operator not implemented (supported: %s)",
				supportedOperators())
		}
		if info.opset < spec.minOpset {
			return unsupported(node, info.opset, "opset below %d", spec.minOpset)
		}
		if len(node.inputs) < spec.minInputs || len(node.inputs) > spec.maxInputs {
			return unsupported(node, info.opset, "%d inputs, expected %d to %d",
				len(node.inputs), spec.minInputs, spec.maxInputs)
		}
		if len(node.outputs) < 1 || len(node.outputs) > max(spec.maxOutputs, 1) {
			return unsupported(node, info.opset, "%d outputs, expected at most %d",
				len(node.outputs), max(spec.maxOutputs, 1))
		}
	}
	return nil
}

// checkOperation validates the attributes of node and returns its spec.
func checkOperation(node nodeInfo, attrs map[string]interface{}, opset int64) (opSpec, error) {
	spec, ok := operators[node.opType]
	if !ok {
		return spec, unsupported(node, opset, "operator not implemented (supported: %s)",
			supportedOperators())
	}
	for name := range attrs {
		if !contains(spec.attributes, name) {
			return spec, unsupported(node, opset, "attribute %s", name)
		}
	}
	if spec.check == nil {
		return spec, nil
	}
	if err := spec.check(attrs); err != nil {
		return spec, unsupported(node, opset, "%v", err)
	}
	return spec, nil
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func checkPool(attrs map[string]interface{}) error {
	if _, ok := attrs["kernel_shape"]; !ok {
		return fmt.Errorf("attribute kernel_shape is missing")
	}
	// storage_order only changes the optional Indices output, which
	// checkNodes already rejects.
	if _, err := intAttribute(attrs, "storage_order", 0); err != nil {
		return err
	}
	return checkWindow(attrs)
}

// checkWindow validates the attributes that Conv and the pooling
// operators share: a 2-D window and a known auto_pad.
func checkWindow(attrs map[string]interface{}) error {
	for _, name := range []string{"kernel_shape", "strides", "dilations"} {
		values, err := intsAttribute(attrs, name, nil)
		if err != nil {
			return err
		}
		if values != nil && len(values) != 2 {
			return fmt.Errorf("attribute %s=%v, expected 2 values (2-D only)", name, values)
		}
	}
	pads, err := intsAttribute(attrs, "pads", nil)
	if err != nil {
		return err
	}
	if pads != nil && len(pads) != 4 {
		return fmt.Errorf("attribute pads=%v, expected 4 values (2-D only)", pads)
	}
	autoPad, err := stringAttribute(attrs, "auto_pad", "NOTSET")
	if err != nil {
		return err
	}
	switch autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
		return nil
	}
	return fmt.Errorf("attribute auto_pad=%q, expected NOTSET, VALID, SAME_UPPER or SAME_LOWER",
		autoPad)
}

func checkBatchNorm(attrs map[string]interface{}) error {
	for _, limit := range []struct {
		name          string
		def, expected int
	}{{"spatial", 1, 1}, {"training_mode", 0, 0}} {
		value, err := intAttribute(attrs, limit.name, limit.def)
		if err != nil {
			return err
		}
		if value != limit.expected {
			return fmt.Errorf("attribute %s=%d, expected %d", limit.name, value, limit.expected)
		}
	}
	return nil
}

func checkPad(attrs map[string]interface{}) error {
	mode, err := stringAttribute(attrs, "mode", "constant")
	if err != nil {
		return err
	}
	switch mode {
	case "constant", "reflect", "edge":
		return nil
	}
	return fmt.Errorf("attribute mode=%q, expected constant, reflect or edge", mode)
}
