package eval

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testSet returns a valid set of three 1 x 2 x 2 images.
func testSet() *AdvSet {
	return &AdvSet{
		Config: AdvConfig{
			Surrogate: ModelRef{
				Arch:             "mma:backbone=lenet,tracks=4",
				Checkpoint:       "runs/mma.ckpt",
				CheckpointSHA256: strings.Repeat("ab", 32),
			},
			Attack:  "pgd:eps=0.3,alpha=0.03,steps=10,seed=1",
			Seed:    1,
			Source:  ImageSource{Dataset: "mnist", Split: "test"},
			Created: time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC),
			Extra:   map[string]string{"experiment": "table-1"},
		},
		Shape:   []int{1, 2, 2},
		Classes: 10,
		Indices: []int{7, 0, 1 << 40},
		Labels:  []int{9, 0, 3},
		Images: []float32{
			0, 0.25, 0.5, 1,
			0.1, 0.2, 0.3, 0.4,
			1, 1, 0, 1.0 / 3,
		},
	}
}

func saveTestSet(t *testing.T) (path string, data []byte) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "set.adv")
	if err := SaveAdvSet(path, testSet()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// headerEnd returns the offset of the first byte after the JSON header.
func headerEnd(data []byte) int {
	return 16 + int(binary.LittleEndian.Uint32(data[12:16]))
}

func TestAdvSetRoundTrip(t *testing.T) {
	path, _ := saveTestSet(t)

	got, err := LoadAdvSet(path)
	if err != nil {
		t.Fatal(err)
	}

	want := testSet()
	if !got.Config.Created.Equal(want.Config.Created) {
		t.Errorf("Created = %v, want %v", got.Config.Created, want.Config.Created)
	}
	got.Config.Created = want.Config.Created
	if !reflect.DeepEqual(got, want) {
		t.Errorf("loaded set:\n%+v\nwant\n%+v", got, want)
	}
}

func TestAdvSetFillsCreated(t *testing.T) {
	set := testSet()
	set.Config.Created = time.Time{}
	path := filepath.Join(t.TempDir(), "set.adv")

	if err := SaveAdvSet(path, set); err != nil {
		t.Fatal(err)
	}
	got, err := LoadAdvSet(path)
	if err != nil {
		t.Fatal(err)
	}

	if got.Config.Created.IsZero() {
		t.Error("Created is zero after saving a set without one")
	}
	if !set.Config.Created.IsZero() {
		t.Error("SaveAdvSet modified the set's Created")
	}
}

func TestAdvSetEmptyRoundTrip(t *testing.T) {
	set := testSet()
	set.Indices, set.Labels, set.Images = []int{}, []int{}, []float32{}
	path := filepath.Join(t.TempDir(), "empty.adv")

	if err := SaveAdvSet(path, set); err != nil {
		t.Fatal(err)
	}
	got, err := LoadAdvSet(path)
	if err != nil {
		t.Fatal(err)
	}

	if got.Len() != 0 {
		t.Errorf("Len = %d, want 0", got.Len())
	}
}

func TestAdvSetLeavesNoTemporaryFile(t *testing.T) {
	path, _ := saveTestSet(t)

	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after saving, want only the set", len(entries))
	}
}

// checkLoadError writes data to a file and checks that LoadAdvSet fails
// with an error that wraps want and names the file.
func checkLoadError(t *testing.T, name string, data []byte, want error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := LoadAdvSet(path)
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", name, err, want)
		return
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("%s: error %q does not name the file", name, err)
	}
}

func TestAdvSetWrongMagic(t *testing.T) {
	_, data := saveTestSet(t)
	data[0] = 'X'

	checkLoadError(t, "magic.adv", data, ErrBadMagic)
}

func TestAdvSetWrongVersion(t *testing.T) {
	_, data := saveTestSet(t)
	binary.LittleEndian.PutUint32(data[8:12], AdvSetVersion+1)

	checkLoadError(t, "version.adv", data, ErrVersion)
}

func TestAdvSetTruncated(t *testing.T) {
	_, data := saveTestSet(t)
	imagesEnd := len(data) - 32

	cuts := map[string]int{
		"in-prefix.adv":   5,
		"in-header.adv":   headerEnd(data) - 10,
		"in-indices.adv":  headerEnd(data) + 12,
		"in-images.adv":   imagesEnd - 6,
		"in-checksum.adv": len(data) - 1,
	}
	for name, cut := range cuts {
		checkLoadError(t, name, data[:cut], ErrTruncated)
	}
}

func TestAdvSetChecksumMismatch(t *testing.T) {
	_, data := saveTestSet(t)
	data[len(data)-32-2] ^= 0x01 // a bit of the last pixel

	checkLoadError(t, "checksum.adv", data, ErrChecksum)
}

func TestAdvSetTrailingData(t *testing.T) {
	_, data := saveTestSet(t)
	data = append(data, 0)

	checkLoadError(t, "trailing.adv", data, ErrTrailing)
}

func TestAdvSetSectionCountMismatch(t *testing.T) {
	_, data := saveTestSet(t)
	labelsCount := headerEnd(data) + 8 + 3*8
	binary.LittleEndian.PutUint64(data[labelsCount:], 2)

	checkLoadError(t, "labels-count.adv", data, ErrShape)
}

// encodeWithHeader encodes set after a header of its own choosing, with a
// valid checksum, to test the checks that follow the checksum.
func encodeWithHeader(t *testing.T, set *AdvSet, header advHeader) []byte {
	t.Helper()
	headerJSON, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := encodeAdvSet(&b, headerJSON, set); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAdvSetHeaderShapeMismatch(t *testing.T) {
	set := testSet()

	twoDims := advHeader{Count: 3, Shape: []int{2, 2}, Classes: 10, Config: set.Config}
	checkLoadError(t, "two-dims.adv", encodeWithHeader(t, set, twoDims), ErrShape)

	otherShape := advHeader{Count: 3, Shape: []int{1, 1, 2}, Classes: 10, Config: set.Config}
	checkLoadError(t, "other-shape.adv", encodeWithHeader(t, set, otherShape), ErrShape)

	moreImages := advHeader{Count: 2, Shape: []int{1, 2, 2}, Classes: 10, Config: set.Config}
	checkLoadError(t, "count.adv", encodeWithHeader(t, set, moreImages), ErrShape)
}

func TestAdvSetHeaderDeclaresTooMuch(t *testing.T) {
	set := testSet()
	huge := advHeader{Count: 1 << 50, Shape: []int{1, 2, 2}, Classes: 10, Config: set.Config}

	checkLoadError(t, "huge.adv", encodeWithHeader(t, set, huge), ErrTruncated)
}

func TestAdvSetLabelOutOfRangeInFile(t *testing.T) {
	set := testSet()
	fewClasses := advHeader{Count: 3, Shape: []int{1, 2, 2}, Classes: 5, Config: set.Config}

	checkLoadError(t, "classes.adv", encodeWithHeader(t, set, fewClasses), ErrLabel)
}

func TestAdvSetInvalidHeaderJSON(t *testing.T) {
	_, data := saveTestSet(t)
	data[16] = '[' // the header must be an object

	checkLoadError(t, "json.adv", data, ErrHeader)
}

func TestSaveAdvSetRejectsInvalid(t *testing.T) {
	cases := map[string]struct {
		change func(*AdvSet)
		want   error
	}{
		"pixel above 1":   {func(s *AdvSet) { s.Images[3] = 1.5 }, ErrPixel},
		"negative pixel":  {func(s *AdvSet) { s.Images[0] = -0.1 }, ErrPixel},
		"label too large": {func(s *AdvSet) { s.Labels[1] = 10 }, ErrLabel},
		"negative index":  {func(s *AdvSet) { s.Indices[0] = -1 }, ErrLabel},
		"short images":    {func(s *AdvSet) { s.Images = s.Images[:11] }, ErrShape},
		"short indices":   {func(s *AdvSet) { s.Indices = s.Indices[:2] }, ErrShape},
		"flat shape":      {func(s *AdvSet) { s.Shape = []int{4} }, ErrShape},
		"no classes":      {func(s *AdvSet) { s.Classes = 0 }, ErrShape},
	}
	for name, c := range cases {
		set := testSet()
		c.change(set)
		path := filepath.Join(t.TempDir(), "invalid.adv")

		err := SaveAdvSet(path, set)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", name, err, c.want)
		}
		if _, statErr := os.Stat(path); statErr == nil {
			t.Errorf("%s: SaveAdvSet wrote a file for an invalid set", name)
		}
	}
}

func TestHashFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc")
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := HashFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// The SHA-256 of "abc", as printed by `printf abc | sha256sum`.
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got != want {
		t.Errorf("HashFile = %s, want %s", got, want)
	}
}
