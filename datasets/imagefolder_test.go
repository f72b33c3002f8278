package datasets

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePNG writes img as a PNG file name in dir.
func writePNG(t *testing.T, dir, name string, img image.Image) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// greyImage returns a width x height grey image of one value.
func greyImage(width, height int, value uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, width, height))
	for i := range img.Pix {
		img.Pix[i] = value
	}
	return img
}

// mkdirs makes the folders under dir.
func mkdirs(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestImageFolderMNISTSamples(t *testing.T) {
	for _, name := range []string{"mnist", "fashion-mnist"} {
		samples := sharedDataDir(t, filepath.Join("samples", name))
		_, idxTest, err := LoadMNIST(sharedDataDir(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, channels := range []int{1, 3} {
			checkMNISTSamples(t, samples, idxTest, channels)
		}
	}
}

// checkMNISTSamples checks that the PNGs in samples, read with the given
// channels, equal the first test images of idxTest in pixels and labels.
func checkMNISTSamples(t *testing.T, samples string, idxTest *ByteSet, channels int) {
	t.Helper()
	set, err := NewImageFolder(samples, ImageFolderConfig{Shape: []int{channels, 28, 28}})
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 20 || set.Classes() != 10 {
		t.Fatalf("%s: Len %d Classes %d, want 20 and 10", samples, set.Len(), set.Classes())
	}
	if fmt.Sprint(set.Shape()) != fmt.Sprintf("[%d 28 28]", channels) {
		t.Errorf("Shape %v, want [%d 28 28]", set.Shape(), channels)
	}

	got := make([]float32, channels*28*28)
	want := make([]float32, 28*28)
	for i := range set.Len() {
		label, err := set.Example(i, got)
		if err != nil {
			t.Fatal(err)
		}
		wantLabel, _ := idxTest.Example(i, want)
		if label != wantLabel {
			t.Errorf("%s: label %d, want IDX test label %d", set.Path(i), label, wantLabel)
		}
		for c := range channels {
			if !equalFloats(got[c*784:(c+1)*784], want) {
				t.Errorf("%s channel %d differs from IDX test image %d", set.Path(i), c, i)
			}
		}
	}
}

// equalFloats reports whether a and b hold exactly the same values.
func equalFloats(a, b []float32) bool {
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

func TestImageFolderCIFARSamples(t *testing.T) {
	samples := sharedDataDir(t, filepath.Join("samples", "cifar10"))
	records, err := ReadCIFAR10(filepath.Join(sharedDataDir(t, "cifar10"), "test_batch_first20.bin"))
	if err != nil {
		t.Fatal(err)
	}
	colour, err := NewImageFolder(samples, ImageFolderConfig{Shape: []int{3, 32, 32}})
	if err != nil {
		t.Fatal(err)
	}
	grey, err := NewImageFolder(samples, ImageFolderConfig{Shape: []int{1, 32, 32}})
	if err != nil {
		t.Fatal(err)
	}

	rgb := make([]float32, cifarPixels)
	want := make([]float32, cifarPixels)
	luma := make([]float32, 1024)
	for i := range 20 {
		label, err := colour.Example(i, rgb)
		if err != nil {
			t.Fatal(err)
		}
		wantLabel, _ := records.Example(i, want)
		if label != wantLabel || !equalFloats(rgb, want) {
			t.Errorf("%s: label %d or pixels differ from CIFAR record %d (label %d)",
				colour.Path(i), label, i, wantLabel)
		}

		if _, err := grey.Example(i, luma); err != nil {
			t.Fatal(err)
		}
		for j, v := range luma {
			l := 0.299*want[j] + 0.587*want[1024+j] + 0.114*want[2048+j]
			if math.Abs(float64(v-l)) > 1e-6 {
				t.Fatalf("%s pixel %d: luminance %v, want %v", grey.Path(i), j, v, l)
			}
		}
	}
}

func TestImageFolderImageNetSamples(t *testing.T) {
	samples := sharedDataDir(t, filepath.Join("samples", "imagenet"))
	set, err := NewImageFolder(samples, ImageFolderConfig{Classes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 20 || set.Classes() != 1000 || fmt.Sprint(set.Shape()) != "[3 224 224]" {
		t.Fatalf("Len %d Classes %d Shape %v, want 20, 1000 and [3 224 224]",
			set.Len(), set.Classes(), set.Shape())
	}
	if set.Label(0) != 243 || set.Label(10) != 541 || set.Label(19) != 305 {
		t.Errorf("labels %d %d %d, want 243 541 305", set.Label(0), set.Label(10), set.Label(19))
	}

	dst := make([]float32, 3*224*224)
	for i := range set.Len() {
		if _, err := set.Example(i, dst); err != nil {
			t.Fatal(err)
		}
		low, high := minMax(dst)
		if low < 0 || high > 1 || high-low < 0.2 {
			t.Errorf("%s: values in [%v, %v], want a spread inside [0, 1]", set.Path(i), low, high)
		}
	}
}

// minMax returns the smallest and largest of values.
func minMax(values []float32) (float32, float32) {
	low, high := values[0], values[0]
	for _, v := range values {
		low, high = min(low, v), max(high, v)
	}
	return low, high
}

func TestImageFolderCentreCrop(t *testing.T) {
	samples := sharedDataDir(t, filepath.Join("samples", "imagenet"))
	const name = "imagenet_10_541.jpg" // 1024 x 683
	dir := t.TempDir()
	content, err := os.ReadFile(filepath.Join(samples, name))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, name, content)
	decoded, err := jpeg.Decode(strings.NewReader(string(content)))
	if err != nil {
		t.Fatal(err)
	}

	// A Resize of the shorter side's own length leaves the image as it is,
	// so the crop must be the decoded pixels at the centre.
	set, err := NewImageFolder(dir, ImageFolderConfig{Shape: []int{3, 100, 90}, Resize: 683})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 3*100*90)
	if _, err := set.Example(0, dst); err != nil {
		t.Fatal(err)
	}
	top, left := (683-100)/2, (1024-90)/2
	for y := range 100 {
		for x := range 90 {
			c := color.NRGBAModel.Convert(decoded.At(left+x, top+y)).(color.NRGBA)
			want := []uint8{c.R, c.G, c.B}
			for ch := range 3 {
				if got := dst[(ch*100+y)*90+x]; got != byteToUnit[want[ch]] {
					t.Fatalf("crop (%d, %d) channel %d: %v, want %v",
						y, x, ch, got, byteToUnit[want[ch]])
				}
			}
		}
	}
}

func TestImageFolderResizeUniform(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, dir, "wide_1.png", greyImage(300, 120, 200))
	writePNG(t, dir, "small_0.png", greyImage(5, 7, 100))

	set, err := NewImageFolder(dir, ImageFolderConfig{Shape: []int{3, 16, 16}, Resize: 20})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 3*16*16)
	for i, value := range []uint8{100, 200} {
		label, err := set.Example(i, dst)
		if err != nil {
			t.Fatal(err)
		}
		if label != i {
			t.Errorf("%s: label %d, want %d", set.Path(i), label, i)
		}
		for j, v := range dst {
			if math.Abs(float64(v-byteToUnit[value])) > 1e-6 {
				t.Fatalf("%s value %d: %v, want %v", set.Path(i), j, v, byteToUnit[value])
			}
		}
	}
}

func TestImageFolderLabelsFile(t *testing.T) {
	dir := t.TempDir()
	mkdirs(t, dir, "sub")
	writePNG(t, dir, "b c.png", greyImage(4, 4, 10))
	writePNG(t, dir, "sub/a.png", greyImage(4, 4, 20))
	writePNG(t, dir, "unlisted_1.png", greyImage(4, 4, 30))
	writeFile(t, dir, LabelsFileName, []byte("# file label\nsub/a.png 4\n\nb c.png\t2\n"))

	set, err := NewImageFolder(dir, ImageFolderConfig{Shape: []int{1, 4, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 2 || set.Classes() != 5 {
		t.Fatalf("Len %d Classes %d, want 2 and 5", set.Len(), set.Classes())
	}
	dst := make([]float32, 16)
	for i, want := range []struct{ label, value int }{{4, 20}, {2, 10}} {
		label, err := set.Example(i, dst)
		if err != nil {
			t.Fatal(err)
		}
		if label != want.label || dst[0] != byteToUnit[want.value] {
			t.Errorf("example %d: label %d value %v, want %d and %v",
				i, label, dst[0], want.label, byteToUnit[want.value])
		}
	}
}

func TestImageFolderLabelsFileErrors(t *testing.T) {
	cases := []struct {
		name, content string
		parts         []string
	}{
		{"missing file", "a.png 1\nnone.png 2\n", []string{"line 2", "none.png"}},
		{"no label", "a.png\n", []string{"line 1", "has no label"}},
		{"bad label", "a.png x\n", []string{"line 1", `label "x"`}},
		{"negative label", "a.png -1\n", []string{"line 1", `label "-1"`}},
		{"empty", "# nothing\n", []string{"no \"FILENAME LABEL\" lines"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writePNG(t, dir, "a.png", greyImage(2, 2, 0))
			writeFile(t, dir, LabelsFileName, []byte(c.content))
			_, err := NewImageFolder(dir, ImageFolderConfig{})
			wantErrorParts(t, err, append(c.parts, LabelsFileName)...)
		})
	}
}

func TestImageFolderClassFolders(t *testing.T) {
	dir := t.TempDir()
	mkdirs(t, dir, "dog", "cat", ".hidden")
	writePNG(t, dir, "dog/x.png", greyImage(3, 3, 1))
	writePNG(t, dir, "cat/z.png", greyImage(3, 3, 2))
	writePNG(t, dir, "cat/y.png", greyImage(3, 3, 3))
	writeFile(t, dir, "cat/notes.txt", []byte("not an image"))
	other := t.TempDir()
	writePNG(t, other, "w.png", greyImage(3, 3, 4))
	if err := os.Symlink(other, filepath.Join(dir, "emu")); err != nil {
		t.Fatal(err)
	}

	set, err := NewImageFolder(dir, ImageFolderConfig{Shape: []int{1, 3, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(set.ClassNames()) != "[cat dog emu]" || set.Classes() != 3 {
		t.Fatalf("ClassNames %v Classes %d, want [cat dog emu] and 3",
			set.ClassNames(), set.Classes())
	}
	var got []string
	for i := range set.Len() {
		got = append(got, fmt.Sprintf("%s:%d", filepath.Base(set.Path(i)), set.Label(i)))
	}
	if strings.Join(got, " ") != "y.png:0 z.png:0 x.png:1 w.png:2" {
		t.Errorf("files and labels %v, want y.png:0 z.png:0 x.png:1 w.png:2", got)
	}
}

func TestImageFolderErrors(t *testing.T) {
	empty := t.TempDir()
	badName := t.TempDir()
	writePNG(t, badName, "nolabel.png", greyImage(2, 2, 0))
	emptyClass := t.TempDir()
	mkdirs(t, emptyClass, "a", "b")
	writePNG(t, emptyClass, "a/1.png", greyImage(2, 2, 0))
	tooFew := t.TempDir()
	writePNG(t, tooFew, "x_7.png", greyImage(2, 2, 0))

	_, err := NewImageFolder(empty, ImageFolderConfig{})
	wantErrorParts(t, err, empty, "no PNG or JPEG files")
	_, err = NewImageFolder(badName, ImageFolderConfig{})
	wantErrorParts(t, err, "nolabel.png", "NAME_LABEL.ext")
	_, err = NewImageFolder(emptyClass, ImageFolderConfig{})
	wantErrorParts(t, err, "class folder b has no PNG or JPEG files")
	_, err = NewImageFolder(tooFew, ImageFolderConfig{Classes: 5})
	wantErrorParts(t, err, "label 7 of", "x_7.png", "is out of range 0..4")
	_, err = NewImageFolder(tooFew, ImageFolderConfig{Shape: []int{2, 8, 8}})
	wantErrorParts(t, err, "[2 8 8]", "C 1 or 3")
	_, err = NewImageFolder(tooFew, ImageFolderConfig{Resize: -1})
	wantErrorParts(t, err, "resize -1")
}

func TestImageFolderExampleErrors(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, dir, "good_0.png", greyImage(2, 2, 0))
	corrupt := writeFile(t, dir, "corrupt_1.png", []byte("not a PNG"))

	// Listing reads no image, so the corrupt file shows only in Example.
	set, err := NewImageFolder(dir, ImageFolderConfig{Shape: []int{1, 2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 4)
	_, err = set.Example(0, dst)
	wantErrorParts(t, err, "example 0", corrupt)
	if _, err := set.Example(1, dst); err != nil {
		t.Errorf("good image: %v", err)
	}
	_, err = set.Example(2, dst)
	wantErrorParts(t, err, "example 2 out of range [0, 2)")
	_, err = set.Example(1, make([]float32, 3))
	wantErrorParts(t, err, "destination has 3 values, want 4")
}
