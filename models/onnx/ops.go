package onnx

import (
	"fmt"
	"sort"
	"strings"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opSpec describes how one ONNX operator is checked and built.
type opSpec struct {
	// minOpset is the first opset whose semantics the builder follows.
	minOpset int64

	// minInputs and maxInputs bound the number of node inputs.
	minInputs, maxInputs int

	// tensorInputs is the number of leading inputs that are graph nodes;
	// the build function reads the others as constants. 0 means all.
	tensorInputs int

	// attributes lists the attribute names the builder reads; any other
	// attribute is rejected.
	attributes []string

	// check validates attribute values that need no shapes. It may be nil.
	check func(attrs map[string]interface{}) error

	// build adds the operator to the graph and returns its single output.
	build func(b *builder, op operation, inputs []*gorgonia.Node) (*gorgonia.Node, error)

	// fold, set in place of build, computes a constant output, which later
	// nodes may read like an initializer.
	fold func(op operation) (tensor.Tensor, error)
}

// operators lists the supported ONNX operators of the default domain.
var operators = map[string]opSpec{
	"Add": {minOpset: 1, minInputs: 2, maxInputs: 2, build: binaryBuilder(addition)},
	"BatchNormalization": {
		minOpset: 1, minInputs: 5, maxInputs: 5, tensorInputs: 1,
		attributes: []string{"epsilon", "momentum", "spatial", "training_mode"},
		check:      checkBatchNorm,
		build:      buildBatchNorm,
	},
	"Constant": {minOpset: 1, attributes: []string{"value"}, fold: foldConstant},
	"Conv": {
		minOpset: 1, minInputs: 2, maxInputs: 3,
		attributes: []string{"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
		check:      checkConv,
		build:      buildConv,
	},
	"Div": {minOpset: 1, minInputs: 2, maxInputs: 2, build: binaryBuilder(division)},
	"Dropout": {
		minOpset: 1, minInputs: 1, maxInputs: 2, tensorInputs: 1,
		attributes: []string{"is_test", "ratio", "seed"},
		build:      buildIdentity,
	},
	"Flatten": {
		minOpset: 1, minInputs: 1, maxInputs: 1,
		attributes: []string{"axis"},
		build:      buildFlatten,
	},
	"Gemm": {
		minOpset: 1, minInputs: 2, maxInputs: 3,
		attributes: []string{"alpha", "beta", "transA", "transB"},
		build:      buildGemm,
	},
	"GlobalAveragePool": {minOpset: 1, minInputs: 1, maxInputs: 1, build: buildGlobalAveragePool},
	"Identity":          {minOpset: 1, minInputs: 1, maxInputs: 1, build: buildIdentity},
	"MatMul":            {minOpset: 1, minInputs: 2, maxInputs: 2, build: buildMatMul},
	"MaxPool": {
		minOpset: 1, minInputs: 1, maxInputs: 1,
		attributes: []string{"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
			"storage_order", "strides"},
		check: checkMaxPool,
		build: buildMaxPool,
	},
	"Mul":  {minOpset: 1, minInputs: 2, maxInputs: 2, build: binaryBuilder(multiplication)},
	"Relu": {minOpset: 1, minInputs: 1, maxInputs: 1, build: buildRelu},
	"Reshape": {
		minOpset: 5, minInputs: 2, maxInputs: 2, tensorInputs: 1,
		attributes: []string{"allowzero"},
		check:      checkReshape,
		build:      buildReshape,
	},
	"Sub": {minOpset: 1, minInputs: 2, maxInputs: 2, build: binaryBuilder(subtraction)},
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
		if len(node.outputs) != 1 {
			return unsupported(node, info.opset, "%d outputs, expected 1", len(node.outputs))
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

func checkConv(attrs map[string]interface{}) error {
	group, err := intAttribute(attrs, "group", 1)
	if err != nil {
		return err
	}
	if group != 1 {
		return fmt.Errorf("attribute group=%d, expected 1", group)
	}
	return checkWindow(attrs)
}

func checkMaxPool(attrs map[string]interface{}) error {
	if _, ok := attrs["kernel_shape"]; !ok {
		return fmt.Errorf("attribute kernel_shape is missing")
	}
	ceilMode, err := intAttribute(attrs, "ceil_mode", 0)
	if err != nil {
		return err
	}
	if ceilMode != 0 {
		return fmt.Errorf("attribute ceil_mode=%d, expected 0", ceilMode)
	}
	// storage_order only changes the optional Indices output, which
	// checkNodes already rejects.
	if _, err := intAttribute(attrs, "storage_order", 0); err != nil {
		return err
	}
	return checkWindow(attrs)
}

// checkWindow validates the attributes that Conv and MaxPool share: a 2-D
// window with dilations of 1 and a known auto_pad.
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
	dilations, _ := intsAttribute(attrs, "dilations", nil)
	if !allOnes(dilations) {
		return fmt.Errorf("attribute dilations=%v, expected [1 1]", dilations)
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

func checkReshape(attrs map[string]interface{}) error {
	allowZero, err := intAttribute(attrs, "allowzero", 0)
	if err != nil {
		return err
	}
	if allowZero != 0 {
		return fmt.Errorf("attribute allowzero=%d, expected 0", allowZero)
	}
	return nil
}
