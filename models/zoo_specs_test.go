package models

import "testing"

func TestZooSpecsBuild(t *testing.T) {
	for _, input := range [][]int{{1, 28, 28}, {3, 32, 32}} {
		for _, spec := range []Spec{WideCNN(input, 10), GELUCNN(input, 10)} {
			backbone, err := NewBackbone(spec, 1)
			if err != nil {
				t.Errorf("%s on %v: %v", spec.Name, input, err)
				continue
			}
			parts := backbone.Parts()
			if out := parts[len(parts)-1].OutShape(); len(out) != 1 || out[0] != 10 {
				t.Errorf("%s on %v: output shape %v, want [10]", spec.Name, input, out)
			}
		}
	}
}
