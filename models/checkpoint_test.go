package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorgonia.org/tensor"
)

var updateCheckpoint = flag.Bool("update-checkpoint", false,
	"rewrite testdata/checkpoint_v1.ckpt from the current writer")

// newCheckpointParam returns a float32 Param of the given shape holding values.
func newCheckpointParam(name string, shape []int, values ...float32) *Param {
	value := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(values))
	return &Param{Name: name, Value: value}
}

// zeroCheckpointParam returns a float32 Param of the given shape holding zeros.
func zeroCheckpointParam(name string, shape ...int) *Param {
	size := 1
	for _, d := range shape {
		size *= d
	}
	return newCheckpointParam(name, shape, make([]float32, size)...)
}

// checkpointTestParams returns four params of ranks 4, 1, 2 and 0 with
// distinct values.
func checkpointTestParams() []*Param {
	return []*Param{
		newCheckpointParam("stem.0.weight", []int{2, 1, 1, 2}, 0.5, -1.25, 3, 1e-7),
		newCheckpointParam("stem.0.bias", []int{2}, -0.75, 42),
		newCheckpointParam("head.0.weight", []int{2, 3}, 1, 2, 3, 4, 5, 6),
		newCheckpointParam("head.temperature", nil, 2.5),
	}
}

// checkpointTestMeta returns metadata with every field set and a fixed time.
func checkpointTestMeta() CheckpointMeta {
	return CheckpointMeta{
		Architecture: "smallcnn/mma:k=4",
		Spec: &Spec{
			Name:    "smallcnn",
			Input:   []int{1, 28, 28},
			Classes: 10,
			Stages: []Stage{{Name: "stage1", Layers: []Layer{
				{Kind: Conv, Out: 8, Kernel: 3, Pad: 1}, {Kind: ReLU},
			}}},
			Head: []Layer{{Kind: Flatten}, {Kind: Linear, Out: 10}},
		},
		Training: json.RawMessage(`{"epochs":3,"lr":0.01}`),
		Seed:     7,
		Dataset:  "mnist",
		Metrics:  map[string]float64{"test_accuracy": 0.9871},
		Created:  time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC),
	}
}

// saveTestCheckpoint saves checkpointTestMeta and checkpointTestParams in a temporary folder
// and returns the file's path.
func saveTestCheckpoint(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.ckpt")
	if err := SaveCheckpoint(path, checkpointTestMeta(), checkpointTestParams()); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantCheckpointError fails t unless err is non-nil and contains every part.
func wantCheckpointError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %q", err, part)
		}
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	path := saveTestCheckpoint(t)
	ckpt, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}

	if ckpt.Path != path {
		t.Errorf("Path %q, want %q", ckpt.Path, path)
	}
	want := checkpointTestMeta()
	if !ckpt.Meta.Created.Equal(want.Created) {
		t.Errorf("Created %v, want %v", ckpt.Meta.Created, want.Created)
	}
	ckpt.Meta.Created = want.Created
	if !reflect.DeepEqual(ckpt.Meta, want) {
		t.Errorf("meta %+v, want %+v", ckpt.Meta, want)
	}

	params := checkpointTestParams()
	if len(ckpt.Tensors) != len(params) {
		t.Fatalf("%d tensors, want %d", len(ckpt.Tensors), len(params))
	}
	for i, p := range params {
		stored := ckpt.Tensors[i]
		if stored.Name != p.Name {
			t.Errorf("tensor %d is %q, want %q", i, stored.Name, p.Name)
		}
		if !reflect.DeepEqual(stored.Shape, []int(p.Value.Shape())) {
			t.Errorf("%s has shape %v, want %v", p.Name, stored.Shape, p.Value.Shape())
		}
		if !reflect.DeepEqual(stored.Data, p.Value.Float32s()) {
			t.Errorf("%s has values %v, want %v", p.Name, stored.Data, p.Value.Float32s())
		}
	}
}

func TestCheckpointApplyCopiesValues(t *testing.T) {
	ckpt, err := LoadCheckpoint(saveTestCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	// The net lists its params in another order than the checkpoint.
	net := []*Param{
		zeroCheckpointParam("head.0.weight", 2, 3),
		zeroCheckpointParam("stem.0.weight", 2, 1, 1, 2),
		zeroCheckpointParam("head.temperature"),
		zeroCheckpointParam("stem.0.bias", 2),
	}

	if err := ckpt.Apply(net); err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{}
	for _, p := range checkpointTestParams() {
		want[p.Name] = p.Value.Float32s()
	}
	for _, p := range net {
		if got := p.Value.Float32s(); !reflect.DeepEqual(got, want[p.Name]) {
			t.Errorf("%s holds %v after Apply, want %v", p.Name, got, want[p.Name])
		}
	}

	// The checkpoint keeps its own copy: changing the net leaves it as it was.
	net[0].Value.Data().([]float32)[0] = 99
	if stored, _ := ckpt.Tensor("head.0.weight"); stored.Data[0] != 1 {
		t.Errorf("stored head.0.weight[0] is %v after changing the net, want 1",
			stored.Data[0])
	}
}

func TestCheckpointApplyMismatches(t *testing.T) {
	ckpt, err := LoadCheckpoint(saveTestCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	net := []*Param{
		zeroCheckpointParam("head.0.weight", 3, 2),
		zeroCheckpointParam("stem.0.bias", 2),
		zeroCheckpointParam("head.0.bias", 10),
		zeroCheckpointParam("head.temperature"),
	}

	err = ckpt.Apply(net)
	wantCheckpointError(t, err,
		"apply checkpoint "+ckpt.Path,
		"1 params of the net missing from the checkpoint: head.0.bias",
		"1 tensors in the checkpoint not in the net: stem.0.weight",
		"1 shape mismatches: head.0.weight (checkpoint 2x3, net 3x2)")
	for _, p := range net {
		for _, v := range p.Value.Float32s() {
			if v != 0 {
				t.Fatalf("%s changed by a failed Apply: %v", p.Name, p.Value.Float32s())
			}
		}
	}
}

func TestCheckpointApplyDuplicateParam(t *testing.T) {
	ckpt, err := LoadCheckpoint(saveTestCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	net := append(checkpointTestParams(), zeroCheckpointParam("stem.0.bias", 2))

	err = ckpt.Apply(net)
	wantCheckpointError(t, err, `param name "stem.0.bias" appears twice in the net`)
}

func TestSaveCheckpointErrors(t *testing.T) {
	float64Value := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))
	tests := []struct {
		name   string
		params []*Param
		part   string
	}{
		{"duplicate name", append(checkpointTestParams(), zeroCheckpointParam("stem.0.bias", 2)),
			`param name "stem.0.bias" appears twice`},
		{"empty name", []*Param{zeroCheckpointParam("", 2)}, `param 0 has name ""`},
		{"nil param", []*Param{nil}, "param 0 is nil"},
		{"nil value", []*Param{{Name: "w"}}, `param "w" has no value`},
		{"float64 value", []*Param{{Name: "w", Value: float64Value}},
			`param "w" has type float64, want float32`},
	}

	dir := t.TempDir()
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.ckpt")
			err := SaveCheckpoint(path, checkpointTestMeta(), test.params)
			wantCheckpointError(t, err, "save checkpoint "+path, test.part)
			if _, statErr := os.Stat(path); statErr == nil {
				t.Errorf("failed save left a file at %s", path)
			}
		})
	}
}

func TestSaveCheckpointFillsCreated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.ckpt")
	meta := checkpointTestMeta()
	meta.Created = time.Time{}
	before := time.Now()

	if err := SaveCheckpoint(path, meta, checkpointTestParams()); err != nil {
		t.Fatal(err)
	}
	ckpt, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	created := ckpt.Meta.Created
	if created.Before(before.Add(-time.Second)) || created.After(time.Now().Add(time.Second)) {
		t.Errorf("Created %v, want about %v", created, before)
	}
	if created.Location() != time.UTC {
		t.Errorf("Created in %v, want UTC", created.Location())
	}
}

// resealCheckpoint returns content with its length field and checksum recomputed,
// as a writer with a bug would produce.
func resealCheckpoint(content []byte) []byte {
	body := bytes.Clone(content[:len(content)-sha256.Size])
	binary.LittleEndian.PutUint64(body[len(checkpointMagic)+4:], uint64(len(body)+sha256.Size))
	sum := sha256.Sum256(body)
	return append(body, sum[:]...)
}

func TestLoadCheckpointCorruption(t *testing.T) {
	valid, err := os.ReadFile(saveTestCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	size := len(valid)
	// The tensor count follows the fixed prefix and the JSON header.
	headerLength := int(binary.LittleEndian.Uint32(valid[checkpointPrefixSize:]))
	countOffset := checkpointPrefixSize + 4 + headerLength

	tests := []struct {
		name   string
		change func(content []byte) []byte
		parts  []string
	}{
		{"wrong magic", func(c []byte) []byte { return append([]byte("PK\x03\x04"), c[4:]...) },
			[]string{"not a checkpoint", `want magic string "MMACKPT\n"`}},
		{"empty", func(c []byte) []byte { return nil },
			[]string{"truncated: file has 0 bytes"}},
		{"cut in the prefix", func(c []byte) []byte { return c[:10] },
			[]string{"truncated: file has 10 bytes, shorter than the 20-byte prefix"}},
		{"unsupported version", func(c []byte) []byte {
			binary.LittleEndian.PutUint32(c[len(checkpointMagic):], 7)
			return c
		}, []string{"unsupported format version 7", "reads version 1 only"}},
		{"cut in the data", func(c []byte) []byte { return c[:size-40] },
			[]string{"truncated: length field gives " + strconv.Itoa(size) + " bytes, file has " +
				strconv.Itoa(size-40)}},
		{"extra bytes", func(c []byte) []byte { return append(c, 0, 0) },
			[]string{"extra data after the checksum"}},
		{"flipped value bit", func(c []byte) []byte {
			c[size-sha256.Size-3] ^= 0x10
			return c
		}, []string{"checksum mismatch"}},
		{"flipped checksum bit", func(c []byte) []byte {
			c[size-1] ^= 0x01
			return c
		}, []string{"checksum mismatch"}},
		{"resealed tensor count", func(c []byte) []byte {
			binary.LittleEndian.PutUint32(c[countOffset:], 5)
			return resealCheckpoint(c)
		}, []string{"malformed content behind a valid checksum", "tensor 4"}},
		{"resealed header", func(c []byte) []byte {
			c[checkpointPrefixSize+4] = '['
			return resealCheckpoint(c)
		}, []string{"malformed content behind a valid checksum", "header"}},
	}

	dir := t.TempDir()
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			path := filepath.Join(dir, "model.ckpt")
			content := test.change(bytes.Clone(valid))
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadCheckpoint(path)
			wantCheckpointError(t, err, append([]string{"load checkpoint " + path},
				test.parts...)...)
		})
	}
}

func TestLoadCheckpointMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.ckpt")
	_, err := LoadCheckpoint(path)
	wantCheckpointError(t, err, path, "no such file")
}

// TestCheckpointGoldenFile pins format version 1: the writer must produce
// the stored file byte for byte, and the reader must read it. Run
// go test -run CheckpointGolden -update-checkpoint to rewrite the file
// after an intended format change, which also needs a new version.
func TestCheckpointGoldenFile(t *testing.T) {
	golden := filepath.Join("testdata", "checkpoint_v1.ckpt")
	path := saveTestCheckpoint(t)
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if *updateCheckpoint {
		if err := os.WriteFile(golden, written, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	stored, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(written, stored) {
		t.Errorf("writer output (%d bytes) differs from %s (%d bytes)",
			len(written), golden, len(stored))
	}
	ckpt, err := LoadCheckpoint(golden)
	if err != nil {
		t.Fatal(err)
	}
	net := []*Param{
		zeroCheckpointParam("stem.0.weight", 2, 1, 1, 2),
		zeroCheckpointParam("stem.0.bias", 2),
		zeroCheckpointParam("head.0.weight", 2, 3),
		zeroCheckpointParam("head.temperature"),
	}
	if err := ckpt.Apply(net); err != nil {
		t.Fatal(err)
	}
	if got := net[3].Value.Float32s(); got[0] != 2.5 {
		t.Errorf("head.temperature from %s is %v, want 2.5", golden, got)
	}
	if got := net[0].Value.Data().([]float32); got[1] != -1.25 || got[3] != 1e-7 {
		t.Errorf("stem.0.weight from %s is %v, want [0.5 -1.25 3 1e-07]", golden, got)
	}
}
