package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnsupportedOpNamesOpAndNode(t *testing.T) {
	path := filepath.Join("testdata", "unsupported_op.onnx")
	_, err := Load(path)
	if err == nil {
		t.Fatalf("Load(%s) succeeded, expected an unsupported operator error", path)
	}

	var unsupported *UnsupportedError
	if !errors.As(err, &unsupported) {
		t.Fatalf("error %q is no *UnsupportedError", err)
	}
	if unsupported.Op != "Hardmax" {
		t.Errorf("Op = %q, expected Hardmax", unsupported.Op)
	}
	if unsupported.Node != "squash" {
		t.Errorf("Node = %q, expected squash", unsupported.Node)
	}
	if unsupported.Opset != 13 {
		t.Errorf("Opset = %d, expected 13", unsupported.Opset)
	}
	for _, want := range []string{path, "Hardmax", `"squash"`, "opset 13"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestUnsupportedAttributeNamesNode(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "conv_auto_pad.onnx"))
	var unsupported *UnsupportedError
	if !errors.As(err, &unsupported) {
		t.Fatalf("error %v is no *UnsupportedError", err)
	}
	if unsupported.Op != "Conv" || unsupported.Node != "padded" {
		t.Errorf("error names %s node %q, expected Conv node \"padded\"",
			unsupported.Op, unsupported.Node)
	}
	if !strings.Contains(unsupported.Reason, "SAME_MIDDLE") {
		t.Errorf("reason %q does not name auto_pad SAME_MIDDLE", unsupported.Reason)
	}
}

func TestTruncatedFileNamesFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 10, 100, len(mnist8) / 2, len(mnist8) - 1} {
		path := filepath.Join(dir, "truncated.onnx")
		if err := os.WriteFile(path, mnist8[:size], 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil {
			t.Errorf("Load of the first %d bytes succeeded", size)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("first %d bytes: error %q does not name %s", size, err, path)
		}
	}
}

func TestMissingFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.onnx")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(%s) = %v, expected an error naming the file", path, err)
	}
}

// TestCorruptedFilesDoNotPanic flips bytes across mnist-8 and appends
// junk. Decoding may fail or succeed (a flipped weight is undetectable),
// but it must not panic, and a model that decodes must run.
func TestCorruptedFilesDoNotPanic(t *testing.T) {
	x := loadMNIST8Fixture(t).batch()
	for offset := 0; offset < len(mnist8); offset += 97 {
		data := append([]byte(nil), mnist8...)
		data[offset] ^= 0xff
		m, err := Decode("flipped.onnx", data)
		if err != nil {
			if !strings.Contains(err.Error(), "flipped.onnx") {
				t.Errorf("byte %d flipped: error %q does not name the model", offset, err)
			}
			continue
		}
		// Logits may fail on a corrupted model, but must return.
		m.Logits(x)
	}

	junk := append(append([]byte(nil), mnist8...), 0xff, 0xfe, 0x01, 0x80)
	if _, err := Decode("junk.onnx", junk); err == nil {
		t.Error("Decode accepted mnist-8 with junk appended")
	}
}

func TestOptionsRejectNegativeScale(t *testing.T) {
	if _, err := (Options{Scale: -1}).Decode("mnist-8.onnx", mnist8); err == nil {
		t.Error("Decode accepted Scale -1")
	}
}

func TestFloat64InputRejected(t *testing.T) {
	path := filepath.Join("testdata", "double_input.onnx")
	_, err := Load(path)
	if err == nil {
		t.Fatalf("Load(%s) accepted a float64 input", path)
	}
	if !strings.Contains(err.Error(), "expected float32") {
		t.Errorf("error %q does not name the expected element type", err)
	}
}
