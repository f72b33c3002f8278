package onnx

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	onnxgo "github.com/owulveryck/onnx-go"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// nodeTestsDir is where Debian's libonnx-testdata installs the ONNX
// per-operator tests (package version 1.12.0).
const nodeTestsDir = "/usr/share/libonnx-testdata/data/node"

// conformanceTolerance accepts |got - want| <= atol + rtol * |want|, the
// rule of ONNX's own backend tests with a looser atol for float32 sums.
const (
	conformanceAtol = 1e-4
	conformanceRtol = 1e-3
)

// knownFailures lists the node tests of claimed operators that fail, with
// the reason. Any other failure fails TestONNXNodeConformance.
var knownFailures = map[string]string{
	"test_averagepool_1d_default":          "1-D pooling is not supported",
	"test_averagepool_3d_default":          "3-D pooling is not supported",
	"test_maxpool_1d_default":              "1-D pooling is not supported",
	"test_maxpool_3d_default":              "3-D pooling is not supported",
	"test_batchnorm_epsilon_training_mode": "training-mode statistics are not supported",
	"test_batchnorm_example_training_mode": "training-mode statistics are not supported",
	"test_slice_start_out_of_bounds":       "empty tensors are not supported",
	"test_scatternd_add":                   "ScatterND reductions are not supported",
	"test_scatternd_multiply":              "ScatterND reductions are not supported",
	"test_training_dropout":                "training-mode dropout is not supported",
	"test_training_dropout_default":        "training-mode dropout is not supported",
	"test_range_float_type_positive_delta": "Range needs constants, but the harness " +
		"feeds the first float input as a graph tensor",
}

// nodeTestResult is the outcome of one ONNX node test.
type nodeTestResult struct {
	name    string
	ops     []string
	skipped string // why the test was skipped; empty when it ran
	failure string // why it failed; empty when it passed or was skipped
}

// TestONNXNodeConformance runs every ONNX node test whose operators this
// package claims and whose tensors are float32 (int64 inputs are read as
// constants), and logs pass/total per operator and each failure with its
// reason. It fails on any failure missing from knownFailures.
func TestONNXNodeConformance(t *testing.T) {
	entries, err := os.ReadDir(nodeTestsDir)
	if err != nil {
		t.Skipf("ONNX node tests not found at %s (apt-get install libonnx-testdata): %v",
			nodeTestsDir, err)
	}

	type tally struct{ passed, failed, skipped int }
	perOp := map[string]*tally{}
	var failures []string
	skipped := 0
	for _, entry := range entries {
		if !entry.IsDir() {
			continue
		}
		r := runNodeTest(filepath.Join(nodeTestsDir, entry.Name()))
		r.name = entry.Name()
		if r.skipped != "" {
			skipped++
		}
		for _, op := range r.ops {
			if _, ok := operators[op]; !ok {
				continue
			}
			if perOp[op] == nil {
				perOp[op] = &tally{}
			}
			switch {
			case r.skipped != "":
				perOp[op].skipped++
			case r.failure != "":
				perOp[op].failed++
			default:
				perOp[op].passed++
			}
		}
		if r.failure != "" {
			failures = append(failures, fmt.Sprintf("%s: %s", r.name, r.failure))
		}
	}

	names := make([]string, 0, len(perOp))
	for op := range perOp {
		names = append(names, op)
	}
	sort.Strings(names)
	var passed, total int
	for _, op := range names {
		c := perOp[op]
		t.Logf("%-20s %d/%d passed, %d skipped", op, c.passed, c.passed+c.failed, c.skipped)
	}
	for _, f := range failures {
		name, _, _ := strings.Cut(f, ":")
		if reason, ok := knownFailures[name]; ok {
			t.Logf("known failure (%s) %s", reason, f)
		} else {
			t.Errorf("FAIL %s", f)
		}
	}
	total = len(entries) - skipped
	passed = total - len(failures)
	t.Logf("%d of %d node tests ran (%d skipped: unclaimed operators or other element "+
		"types or empty tensors); %d passed", total, len(entries), skipped, passed)
}

// runNodeTest runs the model of one node test on each of its data sets.
func runNodeTest(dir string) (r nodeTestResult) {
	defer func() {
		if p := recover(); p != nil {
			r.failure = fmt.Sprintf("panic: %v", p)
		}
	}()
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		r.skipped = err.Error()
		return r
	}
	info, err := scanModel(data)
	if err != nil {
		r.skipped = err.Error()
		return r
	}
	for _, node := range info.nodes {
		r.ops = append(r.ops, node.opType)
		if _, ok := operators[node.opType]; !ok {
			r.skipped = "operator " + node.opType + " is not claimed"
		}
	}
	for _, v := range append(append([]valueInfo{}, info.inputs...), info.outputs...) {
		// int32 (6), int64 (7) and bool (9) inputs are read as constants.
		if v.elemType != float32Type && v.elemType != 6 && v.elemType != 7 && v.elemType != 9 {
			r.skipped = fmt.Sprintf("value %s has element type %d", v.name, v.elemType)
		}
	}
	for _, v := range info.outputs {
		if v.elemType != float32Type {
			r.skipped = fmt.Sprintf("output %s has element type %d", v.name, v.elemType)
		}
	}
	if r.skipped != "" {
		return r
	}

	if err := checkNodes(info); err != nil {
		r.failure = err.Error()
		return r
	}
	net, err := decodeGraph(info, data)
	if err != nil {
		r.failure = err.Error()
		return r
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	for _, set := range sets {
		err := runDataSet(net, info, set)
		if errors.Is(err, errEmptyTensor) {
			r.skipped = err.Error()
			return r
		}
		if err != nil {
			r.failure = fmt.Sprintf("%s: %v", filepath.Base(set), err)
			return r
		}
	}
	return r
}

// runDataSet feeds one data set's inputs and compares the outputs. The
// first float32 input becomes a graph input, the others constants.
func runDataSet(net *network, info *modelInfo, set string) error {
	b, err := newBuilder(net)
	if err != nil {
		return err
	}
	var input *gorgonia.Node
	var inputValue *tensor.Dense
	for i, in := range info.inputs {
		if info.initializers[in.name] {
			continue
		}
		t, err := readTensorProto(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			return err
		}
		v, err := constantValue(t)
		if err != nil {
			return fmt.Errorf("input %s: %w", in.name, err)
		}
		if input == nil && v.floats != nil {
			shape := graphShape(v.shape)
			input = gorgonia.NewTensor(b.graph, tensor.Float32, shape.Dims(),
				gorgonia.WithShape(shape...), gorgonia.WithName("onnx.input"))
			inputValue = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v.floats))
			v = &value{shape: v.shape, node: input}
		}
		b.values[in.name] = v
	}
	if err := b.addAll(net); err != nil {
		return err
	}

	var machine gorgonia.VM
	if input != nil {
		machine = gorgonia.NewTapeMachine(b.graph)
		defer machine.Close()
		if err := gorgonia.Let(input, inputValue); err != nil {
			return err
		}
		if err := machine.RunAll(); err != nil {
			return err
		}
	}

	for i, out := range info.outputs {
		want, err := readTensorProto(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			return err
		}
		v, ok := b.values[out.name]
		if !ok {
			return fmt.Errorf("output %s is not computed", out.name)
		}
		got := v.floats
		if v.floats == nil {
			if v.node == nil || v.node.Value() == nil {
				return fmt.Errorf("output %s has no float value", out.name)
			}
			got = v.node.Value().Data().([]float32)
		}
		if err := compareOutput(out.name, v.shape, got, want); err != nil {
			return err
		}
	}
	return nil
}

// compareOutput checks an output's shape and values against the expected
// tensor.
func compareOutput(name string, shape []int, got []float32, want tensor.Tensor) error {
	wantShape := []int(want.Shape())
	if want.Shape().IsScalar() {
		wantShape = nil
	}
	if size(shape) != size(wantShape) || len(shape) != len(wantShape) {
		return fmt.Errorf("output %s has shape %v, expected %v", name, shape, wantShape)
	}
	for i := range shape {
		if shape[i] != wantShape[i] {
			return fmt.Errorf("output %s has shape %v, expected %v", name, shape, wantShape)
		}
	}
	expectedValue, err := constantValue(want)
	if err != nil || expectedValue.floats == nil {
		return fmt.Errorf("output %s: expected values are %v", name, want.Dtype())
	}
	expected := expectedValue.floats
	for i, w := range expected {
		g := got[i]
		if math.IsNaN(float64(w)) && math.IsNaN(float64(g)) {
			continue
		}
		if math.Abs(float64(g-w)) > conformanceAtol+conformanceRtol*math.Abs(float64(w)) ||
			math.IsNaN(float64(g)) {
			return fmt.Errorf("output %s[%d] = %g, expected %g", name, i, g, w)
		}
	}
	return nil
}

// errEmptyTensor marks a test tensor with no elements, which onnx-go
// v0.5.0 cannot decode and gorgonia's tensors cannot hold.
var errEmptyTensor = errors.New("empty tensor")

// readTensorProto decodes a serialized TensorProto file.
func readTensorProto(path string) (tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if data, err = rewriteTensor(data); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	t, err := onnxgo.NewTensor(data)
	if err != nil && strings.Contains(err.Error(), "No data found") {
		return nil, fmt.Errorf("%s: %w", path, errEmptyTensor)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return t, nil
}
