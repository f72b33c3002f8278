// Package onnxtest checks exported ONNX models in tests: with the checker
// of Python's onnx package and by running them in onnxruntime-node, whose
// logits a test compares with the toolkit's own. Each check skips its test
// when the tool it needs is missing, so the tests pass on machines without
// Python's onnx, node or npm.
package onnxtest

import (
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// PythonPath is the interpreter with Debian's python3-onnx (version 1.12
// at the time of writing); the python3 first on PATH may lack it.
const PythonPath = "/usr/bin/python3"

// RuntimePackage is the npm package the models run in. Its npm tarball
// ships the CPU build of onnxruntime, so it installs without a download
// step (ONNXRUNTIME_NODE_INSTALL=skip).
const RuntimePackage = "onnxruntime-node"

// checkScript loads each model named on the command line and runs the
// full ONNX check on it, shape inference included.
const checkScript = `import sys, onnx
for path in sys.argv[1:]:
    onnx.checker.check_model(onnx.load(path), full_check=True)
`

// CheckModels runs onnx.checker.check_model with full_check on every path
// and fails t with the checker's message when one is invalid. It skips t
// when PythonPath or its onnx package is missing.
func CheckModels(t testing.TB, paths ...string) {
	t.Helper()
	if _, err := os.Stat(PythonPath); err != nil {
		t.Skipf("%s is missing, so the ONNX checker cannot run: %v", PythonPath, err)
	}
	if out, err := exec.Command(PythonPath, "-c", "import onnx").CombinedOutput(); err != nil {
		t.Skipf("python package onnx is missing (apt-get install python3-onnx): %v: %s", err,
			out)
	}

	args := append([]string{"-c", checkScript}, paths...)
	if out, err := exec.Command(PythonPath, args...).CombinedOutput(); err != nil {
		t.Fatalf("onnx.checker rejected %v: %v\n%s", paths, err, out)
	}
}

//go:embed ort_logits.js
var runScript []byte

// Runtime runs ONNX models in onnxruntime-node.
type Runtime struct {
	// modules is the node_modules folder that holds RuntimePackage.
	modules string
}

// NewRuntime returns a Runtime, installing RuntimePackage with npm into
// the user cache folder (mma-test/ort below os.UserCacheDir) on first
// use. It skips t when node or npm is missing or the install fails.
func NewRuntime(t testing.TB) *Runtime {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skipf("node is missing, so models cannot run in %s: %v", RuntimePackage, err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no user cache folder to install %s into: %v", RuntimePackage, err)
	}
	dir := filepath.Join(cache, "mma-test", "ort")
	if !installed(dir) {
		if err := install(dir); err != nil {
			t.Skipf("cannot install %s into %s: %v", RuntimePackage, dir, err)
		}
	}
	return &Runtime{modules: filepath.Join(dir, "node_modules")}
}

func installed(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "node_modules", RuntimePackage, "package.json"))
	return err == nil
}

// install runs npm in a fresh folder beside dir and renames it to dir, so
// that tests of two packages installing at once do not mix their files.
func install(dir string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(filepath.Dir(dir), "ort-install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)

	manifest := []byte(`{"name": "mma-test-ort", "private": true}`)
	if err := os.WriteFile(filepath.Join(staging, "package.json"), manifest, 0o644); err != nil {
		return err
	}
	cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", RuntimePackage)
	cmd.Dir = staging
	cmd.Env = append(os.Environ(), "ONNXRUNTIME_NODE_INSTALL=skip")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm install %s: %v: %s", RuntimePackage, err, out)
	}
	if err := os.Rename(staging, dir); err != nil && !installed(dir) {
		return err
	}
	return nil
}

// Case is one model run: the .onnx file and its N x C x H x W input.
type Case struct {
	Model string
	Input *tensor.Dense
}

// job is one entry of the script's job list.
type job struct {
	Model  string `json:"model"`
	Input  string `json:"input"`
	Shape  []int  `json:"shape"`
	Output string `json:"output"`
}

// Logits runs every case in one node process and returns their logits
// (N x classes each). It fails t when a model does not load or run.
func (r *Runtime) Logits(t testing.TB, cases []Case) []*tensor.Dense {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "ort_logits.js")
	if err := os.WriteFile(script, runScript, 0o644); err != nil {
		t.Fatal(err)
	}

	jobs := make([]job, len(cases))
	for i, c := range cases {
		jobs[i] = job{Model: c.Model, Shape: []int(c.Input.Shape()),
			Input:  filepath.Join(dir, fmt.Sprintf("input%d.bin", i)),
			Output: filepath.Join(dir, fmt.Sprintf("logits%d.bin", i))}
		if err := os.WriteFile(jobs[i].Input, float32Bytes(c.Input), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list := filepath.Join(dir, "jobs.json")
	encoded, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(list, encoded, 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("node", script, list)
	cmd.Env = append(os.Environ(), "NODE_PATH="+r.modules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s failed on %d models: %v\n%s", RuntimePackage, len(cases), err, out)
	}

	logits := make([]*tensor.Dense, len(jobs))
	for i, j := range jobs {
		if logits[i], err = readLogits(j.Output); err != nil {
			t.Fatalf("logits of %s: %v", j.Model, err)
		}
	}
	return logits
}

func float32Bytes(x *tensor.Dense) []byte {
	values := x.Data().([]float32)
	out := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}

func readLogits(path string) (*tensor.Dense, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	shapeJSON, err := os.ReadFile(path + ".shape.json")
	if err != nil {
		return nil, err
	}
	var shape []int
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(shapeJSON))), &shape); err != nil {
		return nil, fmt.Errorf("shape %s: %w", shapeJSON, err)
	}

	values := make([]float32, len(raw)/4)
	for i := range values {
		values[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	total := 1
	for _, d := range shape {
		total *= d
	}
	if total != len(values) {
		return nil, fmt.Errorf("shape %v needs %d values, file has %d", shape, total, len(values))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(values)), nil
}

// MaxAbsDiff returns the largest absolute difference between the values
// of a and b, which must have the same shape.
func MaxAbsDiff(a, b *tensor.Dense) (float64, error) {
	if !a.Shape().Eq(b.Shape()) {
		return 0, fmt.Errorf("shapes %v and %v differ", a.Shape(), b.Shape())
	}
	av, bv := a.Data().([]float32), b.Data().([]float32)
	largest := 0.0
	for i := range av {
		largest = math.Max(largest, math.Abs(float64(av[i])-float64(bv[i])))
	}
	return largest, nil
}
