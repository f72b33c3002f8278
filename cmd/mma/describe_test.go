package main

import (
	"strings"
	"testing"

	"github.com/mmatransfer/mma/experiments"
)

func TestThousands(t *testing.T) {
	cases := map[int64]string{0: "0", 640: "640", 4672: "4,672", 40813184: "40,813,184"}
	for n, want := range cases {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseShapeErrors(t *testing.T) {
	for _, input := range []string{"3x32", "3x32x0", "axbxc", ""} {
		if _, err := parseShape(input); err == nil || !strings.Contains(err.Error(), "--input") {
			t.Errorf("parseShape(%q) error = %v, want one naming --input", input, err)
		}
	}
}

func TestPrintDescriptionTotals(t *testing.T) {
	description, err := experiments.Describe("smallcnn", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	printDescription(&out, description)

	text := out.String()
	if !strings.HasPrefix(text, "smallcnn on 1x28x28 images, 10 classes\n") {
		t.Errorf("output starts %q, want the architecture and input first", text)
	}
	// 32*9+32 + 64*32*9+64 + 3136*128+128 + 128*10+10 parameters.
	if !strings.Contains(text, "421,642") {
		t.Errorf("output\n%s\nlacks the total of 421,642 parameters", text)
	}
	if lines := strings.Count(text, "\n"); lines != len(description.Cost.Layers)+3 {
		t.Errorf("output has %d lines, want a title, a header, %d layers and a total",
			lines, len(description.Cost.Layers))
	}
}
