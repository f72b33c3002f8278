package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckOutputFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		path string
		want string // "" means no error
	}{
		{filepath.Join(dir, "model.ckpt"), ""},
		{dir, "is a folder"},
		{filepath.Join(dir, "missing", "model.ckpt"), "create it first"},
		{filepath.Join(file, "model.ckpt"), "is not a folder"},
	}
	for _, c := range cases {
		err := checkOutputFile(c.path)
		if c.want == "" {
			if err != nil {
				t.Errorf("checkOutputFile(%s) = %v, want no error", c.path, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("checkOutputFile(%s) = %v, want an error containing %q", c.path, err,
				c.want)
		}
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after the checks, want only the test's file",
			len(entries))
	}
}
