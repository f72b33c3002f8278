package onnxexport

import (
	"strings"
	"testing"

	"github.com/mmatransfer/mma/models"
)

// NewSequential rejects unknown kinds, so the exporter's own error for a
// kind it cannot map is checked on the layer function directly.
func TestLayerUnsupportedKind(t *testing.T) {
	g := newGraph()
	cursors := layerCursors{params: &paramCursor{what: "parameter"},
		buffers: &paramCursor{what: "buffer"}}
	_, err := g.layer(models.Layer{Kind: "dropout"}, "stage1.0", []int{4}, InputName, cursors)
	if err == nil || !strings.Contains(err.Error(), `"dropout"`) {
		t.Fatalf("layer: error %v, want one naming the kind \"dropout\"", err)
	}

	_, err = g.activation("swish", "stage1.0", InputName)
	if err == nil || !strings.Contains(err.Error(), `"swish"`) {
		t.Fatalf("activation: error %v, want one naming \"swish\"", err)
	}
}

func TestLayerMissingParameter(t *testing.T) {
	g := newGraph()
	cursors := layerCursors{params: &paramCursor{what: "parameter"},
		buffers: &paramCursor{what: "buffer"}}
	conv := models.Layer{Kind: models.Conv, Out: 4, Kernel: 3}
	_, err := g.layer(conv, "stage1.0", []int{1, 8, 8}, InputName, cursors)
	if err == nil || !strings.Contains(err.Error(), "stage1.0.weight") {
		t.Fatalf("layer: error %v, want one naming stage1.0.weight", err)
	}
}
