package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes returns an IDX file with the given magic number, dimensions and
// data, in the layout of the MNIST files.
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&buf, binary.BigEndian, d)
	}
	buf.Write(data)
	return buf.Bytes()
}

// gzipBytes returns content compressed with gzip.
func gzipBytes(t *testing.T, content []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sequence returns n bytes 0, 1, 2, ... modulo 256.
func sequence(n int) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i)
	}
	return data
}

// wantErrorParts fails t unless err is non-nil and contains every part.
func wantErrorParts(t *testing.T, err error, parts ...string) {
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

func TestReadIDXImagesPlainAndGzip(t *testing.T) {
	content := idxBytes(0x803, []uint32{2, 3, 4}, sequence(24))
	dir := t.TempDir()
	paths := map[string]string{
		"plain": writeFile(t, dir, "images", content),
		// A gzipped file without the .gz suffix: detection goes by content.
		"gzip": writeFile(t, dir, "images-gzipped", gzipBytes(t, content)),
	}

	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			images, err := ReadIDXImages(path)
			if err != nil {
				t.Fatal(err)
			}
			if images.Count != 2 || images.Rows != 3 || images.Cols != 4 {
				t.Errorf("dimensions %d x %d x %d, want 2 x 3 x 4",
					images.Count, images.Rows, images.Cols)
			}
			if !bytes.Equal(images.Pixels, sequence(24)) {
				t.Errorf("pixels %v, want %v", images.Pixels, sequence(24))
			}
		})
	}
}

func TestReadIDXLabelsPlainAndGzip(t *testing.T) {
	content := idxBytes(0x801, []uint32{5}, []byte{7, 2, 1, 0, 4})
	dir := t.TempDir()
	for _, path := range []string{
		writeFile(t, dir, "labels", content),
		writeFile(t, dir, "labels.gz", gzipBytes(t, content)),
	} {
		labels, err := ReadIDXLabels(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(labels, []byte{7, 2, 1, 0, 4}) {
			t.Errorf("%s: labels %v, want [7 2 1 0 4]", path, labels)
		}
	}
}

func TestReadIDXImagesErrors(t *testing.T) {
	valid := idxBytes(0x803, []uint32{2, 3, 4}, sequence(24))
	tests := []struct {
		name    string
		content []byte
		parts   []string
	}{
		{
			name:    "labels file",
			content: idxBytes(0x801, []uint32{24}, sequence(24)),
			parts: []string{"magic number 0x00000801, want 0x00000803 (images)",
				"number of dimensions 1, want 3"},
		},
		{
			name:    "float data",
			content: idxBytes(0xd03, []uint32{2, 3, 4}, sequence(96)),
			parts:   []string{"magic number 0x00000d03", "data type 0x0d, want 0x08"},
		},
		{
			name:    "not IDX",
			content: []byte("P5\n28 28\n255\n" + strings.Repeat("x", 40)),
			parts:   []string{"magic number 0x50350a32", "not an IDX file"},
		},
		{
			name:    "short header",
			content: valid[:10],
			parts:   []string{"truncated: IDX header of images is 16 bytes, file has 10"},
		},
		{
			name:    "empty file",
			content: nil,
			parts:   []string{"truncated: IDX header of images is 16 bytes, file has 0"},
		},
		{
			name:    "short data",
			content: valid[:16+10],
			parts: []string{"truncated: header gives 2 images of 3x4 (24 bytes), " +
				"file has 10 bytes after the 16-byte header"},
		},
		{
			name:    "short data gzipped",
			content: gzipBytes(t, valid[:16+10]),
			parts:   []string{"truncated: header gives 2 images of 3x4 (24 bytes), file has 10"},
		},
		{
			name:    "extra data",
			content: append(append([]byte{}, valid...), 1, 2, 3),
			parts:   []string{"header gives 2 images of 3x4 (24 bytes), file has more data"},
		},
		{
			name:    "zero rows",
			content: idxBytes(0x803, []uint32{2, 0, 4}, nil),
			parts:   []string{"header gives images of 0x4, want rows and columns > 0"},
		},
	}

	dir := t.TempDir()
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			path := writeFile(t, dir, "t10k-images-idx3-ubyte", test.content)
			_, err := ReadIDXImages(path)
			wantErrorParts(t, err, append([]string{"read " + path + ": "}, test.parts...)...)
		})
	}
}

func TestReadIDXImagesCutGzipStream(t *testing.T) {
	content := idxBytes(0x803, []uint32{100, 28, 28}, sequence(100*28*28))
	compressed := gzipBytes(t, content)
	path := writeFile(t, t.TempDir(), "train-images-idx3-ubyte.gz",
		compressed[:len(compressed)/2])

	_, err := ReadIDXImages(path)
	wantErrorParts(t, err, "read "+path+": ",
		"truncated: header gives 100 images of 28x28 (78400 bytes), file has")
}

func TestReadIDXLabelsErrors(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		parts   []string
	}{
		{
			name:    "images file",
			content: idxBytes(0x803, []uint32{1, 2, 2}, sequence(4)),
			parts: []string{"magic number 0x00000803, want 0x00000801 (labels)",
				"number of dimensions 3, want 1"},
		},
		{
			name:    "short data",
			content: idxBytes(0x801, []uint32{10}, sequence(4)),
			parts: []string{"truncated: header gives 10 labels (10 bytes), " +
				"file has 4 bytes after the 8-byte header"},
		},
	}

	dir := t.TempDir()
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			path := writeFile(t, dir, "t10k-labels-idx1-ubyte", gzipBytes(t, test.content))
			_, err := ReadIDXLabels(path)
			wantErrorParts(t, err, append([]string{"read " + path + ": "}, test.parts...)...)
		})
	}
}

func TestReadIDXMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent-images")
	_, err := ReadIDXImages(path)
	wantErrorParts(t, err, "read "+path+": ", "no such file")
}
