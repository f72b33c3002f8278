package datasets

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// decodePNGPlanes decodes a PNG from testdata into planes.
func decodePNGPlanes(t *testing.T, path string) planes {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return imagePlanes(img)
}

// maxDifference returns the largest absolute difference of a and b.
func maxDifference(a, b []float32) float64 {
	var worst float64
	for i := range a {
		worst = max(worst, math.Abs(float64(a[i]-b[i])))
	}
	return worst
}

func TestResizeMatchesPillow(t *testing.T) {
	dir := filepath.Join("testdata", "resize")
	source := decodePNGPlanes(t, filepath.Join(dir, "source.png"))
	cases := []struct {
		width, height int
		tolerance     float64 // in 8-bit levels
	}{
		// Along one axis, Pillow differs from exact only by rounding to
		// 8 bits.
		{15, 23, 0.51}, {80, 23, 0.51}, {4, 23, 0.51},
		{37, 9, 0.51}, {37, 50, 0.51}, {37, 3, 0.51},
		// Along both, Pillow also rounds its row pass to 8 bits before
		// the column pass.
		{15, 9, 1.5}, {80, 50, 1.5},
	}

	for _, c := range cases {
		name := fmt.Sprintf("pil_%dx%d.png", c.width, c.height)
		want := decodePNGPlanes(t, filepath.Join(dir, name))
		got := resize(source, c.height, c.width)
		if got.height != c.height || got.width != c.width || got.channels != 3 {
			t.Fatalf("resize to %dx%d gave %dx%dx%d", c.width, c.height,
				got.channels, got.height, got.width)
		}
		if worst := maxDifference(got.values, want.values) * 255; worst > c.tolerance {
			t.Errorf("resize to %dx%d: max difference from Pillow %.3f levels, want <= %.2f",
				c.width, c.height, worst, c.tolerance)
		}
	}
}

func TestResizeSameSizeIsIdentity(t *testing.T) {
	p := newPlanes(1, 3, 4)
	for i := range p.values {
		p.values[i] = float32(i) / 11
	}
	got := resize(p, 3, 4)
	if !equalFloats(got.values, p.values) {
		t.Errorf("resize to the same size changed values: %v, want %v", got.values, p.values)
	}
}

func TestResizedSize(t *testing.T) {
	cases := []struct {
		height, width, cropHeight, cropWidth, shorter int
		wantHeight, wantWidth                         int
	}{
		{683, 1024, 224, 224, 256, 256, 383}, // truncated as torchvision does
		{1024, 683, 224, 224, 256, 383, 256}, // portrait
		{683, 1024, 224, 224, 0, 224, 336},   // cover the crop
		{28, 28, 28, 28, 0, 28, 28},          // unchanged
		{100, 100, 20, 40, 0, 40, 40},        // wide crop sets the scale
		{50, 200, 100, 100, 0, 100, 400},     // upscale to cover
		{10, 10, 5, 5, 3, 3, 3},              // smaller than the crop
	}
	for _, c := range cases {
		h, w := resizedSize(c.height, c.width, c.cropHeight, c.cropWidth, c.shorter)
		if h != c.wantHeight || w != c.wantWidth {
			t.Errorf("resizedSize(%d, %d, %d, %d, %d) = %d, %d, want %d, %d",
				c.height, c.width, c.cropHeight, c.cropWidth, c.shorter,
				h, w, c.wantHeight, c.wantWidth)
		}
	}
}

func TestCropIntoPadsSmallImage(t *testing.T) {
	p := newPlanes(1, 2, 2)
	copy(p.values, []float32{0.1, 0.2, 0.3, 0.4})
	dst := make([]float32, 3*4*4)
	if err := cropInto(p, 3, 4, 4, dst); err != nil {
		t.Fatal(err)
	}

	// The 2x2 image sits at rows 1..2 and columns 1..2 of each 4x4 plane.
	plane := []float32{
		0, 0, 0, 0,
		0, 0.1, 0.2, 0,
		0, 0.3, 0.4, 0,
		0, 0, 0, 0,
	}
	for c := range 3 {
		if !equalFloats(dst[c*16:(c+1)*16], plane) {
			t.Errorf("channel %d: %v, want %v", c, dst[c*16:(c+1)*16], plane)
		}
	}
}

func TestImagePlanesGenericMatchesRGBA(t *testing.T) {
	paletted := image.NewPaletted(image.Rect(0, 0, 2, 1), []color.Color{
		color.RGBA{10, 20, 30, 255}, color.RGBA{200, 100, 0, 255},
	})
	paletted.Pix[1] = 1

	p := imagePlanes(paletted)
	want := []float32{
		byteToUnit[10], byteToUnit[200],
		byteToUnit[20], byteToUnit[100],
		byteToUnit[30], byteToUnit[0],
	}
	if p.channels != 3 || maxDifference(p.values, want) > 1e-7 {
		t.Errorf("paletted planes %d channels %v, want 3 and %v", p.channels, p.values, want)
	}
}
