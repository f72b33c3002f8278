package models

import (
	"math/rand"
	"strings"
	"testing"
)

func TestImageSpecShapes(t *testing.T) {
	cases := []struct {
		name  string
		input []int
		parts [][]int // output shape of the stem (if any), each stage and the head
	}{
		{"resnet8", []int{3, 32, 32}, [][]int{{16, 32, 32}, {16, 32, 32}, {32, 16, 16},
			{64, 8, 8}, {10}}},
		{"resnet20", []int{1, 28, 28}, [][]int{{16, 28, 28}, {16, 28, 28}, {32, 14, 14},
			{64, 7, 7}, {10}}},
		{"resnet32-w0.5", []int{3, 32, 32}, [][]int{{8, 32, 32}, {8, 32, 32}, {16, 16, 16},
			{32, 8, 8}, {10}}},
		{"resnet18", []int{1, 28, 28}, [][]int{{16, 28, 28}, {16, 28, 28}, {32, 14, 14},
			{64, 7, 7}, {128, 4, 4}, {10}}},
		{"resnet18", []int{3, 32, 32}, [][]int{{16, 32, 32}, {16, 32, 32}, {32, 16, 16},
			{64, 8, 8}, {128, 4, 4}, {10}}},
		{"vgg11-w0.25", []int{3, 32, 32}, [][]int{{16, 16, 16}, {32, 8, 8}, {64, 4, 4},
			{128, 2, 2}, {128, 1, 1}, {10}}},
		{"vgg11-w0.25", []int{1, 28, 28}, [][]int{{16, 14, 14}, {32, 7, 7}, {64, 3, 3},
			{128, 1, 1}, {128, 1, 1}, {10}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec, err := SpecByName(c.name, c.input, 10)
			if err != nil {
				t.Fatalf("SpecByName: %v", err)
			}
			b, err := NewBackbone(spec, 1)
			if err != nil {
				t.Fatalf("NewBackbone: %v", err)
			}
			parts := b.Parts()
			if len(parts) != len(c.parts) {
				t.Fatalf("got %d parts, want %d", len(parts), len(c.parts))
			}
			for i, part := range parts {
				if got := part.OutShape(); !sameInts(got, c.parts[i]) {
					t.Errorf("%s output shape is %v, want %v", part.Name(), got, c.parts[i])
				}
			}

			m := NewModel(b, spec.Input, spec.Classes)
			x := randomImages(rand.New(rand.NewSource(2)), append([]int{2}, c.input...)...)
			logits, err := m.Logits(x)
			if err != nil {
				t.Fatalf("Logits: %v", err)
			}
			if got := logits.Shape(); got[0] != 2 || got[1] != 10 {
				t.Errorf("logits have shape %v, want [2 10]", got)
			}
		})
	}
}

func TestFullWidthSpecsBuild(t *testing.T) {
	for _, name := range []string{"vgg11", "resnet18-w1", "resnet20-w2"} {
		for _, input := range [][]int{{1, 28, 28}, {3, 32, 32}} {
			spec, err := SpecByName(name, input, 10)
			if err != nil {
				t.Fatalf("SpecByName(%s): %v", name, err)
			}
			if _, err := NewBackbone(spec, 1); err != nil {
				t.Errorf("%s on %v: %v", name, input, err)
			}
		}
	}
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func countParams(params []*Param) int {
	n := 0
	for _, p := range params {
		n += p.Value.Shape().TotalSize()
	}
	return n
}

// cifarResNetParams counts the parameters of the CIFAR ResNet with n
// blocks per stage at width 1 by hand, for 3 input channels and 10
// classes: 3x3 convs without bias, two parameters per BatchNorm channel,
// 1x1 projections into stage2 and stage3.
func cifarResNetParams(n int) int {
	conv := func(in, out, kernel int) int { return in * out * kernel * kernel }
	bn := func(c int) int { return 2 * c }
	block := func(in, out int) int {
		total := conv(in, out, 3) + bn(out) + conv(out, out, 3) + bn(out)
		if in != out {
			total += conv(in, out, 1) + bn(out)
		}
		return total
	}

	total := conv(3, 16, 3) + bn(16)
	in := 16
	for _, out := range []int{16, 32, 64} {
		total += block(in, out) + (n-1)*block(out, out)
		in = out
	}
	return total + 64*10 + 10
}

func TestResNetParamCounts(t *testing.T) {
	cases := []struct {
		name   string
		blocks int
		want   int // written out from cifarResNetParams as a second check
	}{
		{"resnet8", 1, 78042},
		{"resnet20", 3, 272474},
	}
	for _, c := range cases {
		spec, err := SpecByName(c.name, []int{3, 32, 32}, 10)
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewBackbone(spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		got := countParams(b.Params())
		if hand := cifarResNetParams(c.blocks); got != hand || got != c.want {
			t.Errorf("%s has %d parameters, hand count %d (%d)", c.name, got, hand, c.want)
		}
	}
}

func TestSpecByNameErrors(t *testing.T) {
	cases := []struct {
		name  string
		input []int
		want  string
	}{
		{"resnet20-wx", []int{3, 32, 32}, "width suffix"},
		{"resnet20-w0", []int{3, 32, 32}, "width suffix"},
		{"smallcnn-w2", []int{3, 32, 32}, "no width suffix"},
		{"resnet20", []int{2, 32, 32}, "channels"},
		{"resnet20", []int{3, 1, 1}, "stage2"},
		{"resnet18", []int{1, 2, 2}, "stage3"},
		{"resnet14", []int{3, 32, 32}, "unknown architecture"},
	}
	for _, c := range cases {
		_, err := SpecByName(c.name, c.input, 10)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SpecByName(%s, %v): error %v, want one mentioning %q", c.name, c.input,
				err, c.want)
		}
	}
	if _, err := CIFARResNet(15, []int{3, 32, 32}, 10, 1); err == nil {
		t.Errorf("CIFARResNet accepted depth 15")
	}
}
