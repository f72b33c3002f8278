package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/mmatransfer/mma/datasets"
)

func TestPrintAvailability(t *testing.T) {
	sets := []datasets.Availability{
		{Name: "mnist", Found: true, Dir: "/data/mnist", TrainLen: 60000, TestLen: 10000,
			Shape: []int{1, 28, 28}, Classes: 10, Searched: []string{"/data/mnist"}},
		{Name: "cifar10", Searched: []string{"/data/cifar10"},
			Err: errors.New("missing test_batch.bin"), Hint: "pass --data-dir"},
		{Name: "cifar100", Err: errors.New("no default folder: pass --data-dir")},
	}
	var out strings.Builder
	if err := printAvailability(&out, sets); err != nil {
		t.Fatal(err)
	}

	text := out.String()
	wants := []string{
		"NAME      FOUND  TRAIN  TEST   SHAPE    CLASSES  FOLDER",
		"mnist     yes    60000  10000  1x28x28  10       /data/mnist",
		"cifar10   no     -      -      -        -        -",
		"cifar10 not found in /data/cifar10\n  error: missing test_batch.bin\n" +
			"  to get it: pass --data-dir",
		"cifar100: no default folder: pass --data-dir",
	}
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("output\n%s\nlacks %q", text, want)
		}
	}
}
