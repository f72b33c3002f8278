package datasets

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// cifarRecordPixel is the deterministic pixel value at position j of
// generated record i.
func cifarRecordPixel(i, j int) uint8 { return uint8(i*31 + j*7 + i/256) }

// cifarRecords returns n generated records of the given label bytes each,
// numbered from first, with labels from labelOf.
func cifarRecords(first, n, labelBytes int, labelOf func(i int) []byte) []byte {
	record := labelBytes + cifarPixels
	data := make([]byte, 0, n*record)
	for i := first; i < first+n; i++ {
		data = append(data, labelOf(i)...)
		for j := range cifarPixels {
			data = append(data, cifarRecordPixel(i, j))
		}
	}
	return data
}

// cifar10Label labels generated record i with i mod 10.
func cifar10Label(i int) []byte { return []byte{byte(i % CIFAR10Classes)} }

// cifar100Labels labels generated record i with coarse i mod 20 and fine
// i mod 100.
func cifar100Labels(i int) []byte {
	return []byte{byte(i % CIFAR100CoarseClasses), byte(i % CIFAR100Classes)}
}

// writeCIFAR10Folder writes the six CIFAR-10 files with perFile records
// each into dir, training records numbered on from file to file.
func writeCIFAR10Folder(t *testing.T, dir string, perFile int) {
	t.Helper()
	for k, name := range CIFAR10TrainFiles {
		writeFile(t, dir, name, cifarRecords(k*perFile, perFile, 1, cifar10Label))
	}
	writeFile(t, dir, CIFAR10TestFile, cifarRecords(0, perFile, 1, cifar10Label))
}

// checkGeneratedRecord checks example i of set against generated record
// number.
func checkGeneratedRecord(t *testing.T, set Dataset, i, number, label int) {
	t.Helper()
	dst := make([]float32, cifarPixels)
	got, err := set.Example(i, dst)
	if err != nil {
		t.Fatal(err)
	}
	if got != label {
		t.Errorf("example %d: label %d, want %d", i, got, label)
	}
	for j, v := range dst {
		if want := byteToUnit[cifarRecordPixel(number, j)]; v != want {
			t.Fatalf("example %d value %d: %v, want %v", i, j, v, want)
		}
	}
}

func TestReadCIFAR10Samples(t *testing.T) {
	path := filepath.Join(sharedDataDir(t, "cifar10"), "test_batch_first20.bin")
	samples := sharedDataDir(t, filepath.Join("samples", "cifar10"))
	set, err := ReadCIFAR10(path)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 20 {
		t.Fatalf("Len %d, want 20", set.Len())
	}

	files, err := filepath.Glob(filepath.Join(samples, "cifar10_*.png"))
	if err != nil || len(files) != 20 {
		t.Fatalf("found %d sample PNGs (%v), want 20", len(files), err)
	}
	for _, file := range files {
		index, label := sampleIndexAndLabel(t, file)
		if set.Label(index) != label {
			t.Errorf("record %d: label %d, want %d from %s",
				index, set.Label(index), label, filepath.Base(file))
		}
		want := pngPlanarBytes(t, file)
		got := set.pixels[index*cifarPixels : (index+1)*cifarPixels]
		if string(got) != string(want) {
			t.Errorf("record %d: pixels differ from %s", index, filepath.Base(file))
		}
	}
}

// sampleIndexAndLabel parses a sample file name NAME_INDEX_LABEL.png.
func sampleIndexAndLabel(t *testing.T, path string) (int, int) {
	t.Helper()
	parts := strings.Split(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), "_")
	index, err1 := strconv.Atoi(parts[len(parts)-2])
	label, err2 := strconv.Atoi(parts[len(parts)-1])
	if err1 != nil || err2 != nil {
		t.Fatalf("sample name %s is not NAME_INDEX_LABEL", path)
	}
	return index, label
}

// pngPlanarBytes decodes an 8-bit RGB PNG into CIFAR's layout: all red
// values, then green, then blue, each in row-major order.
func pngPlanarBytes(t *testing.T, path string) []byte {
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

	rgba := image.NewNRGBA(img.Bounds())
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	area := CIFARSide * CIFARSide
	out := make([]byte, 3*area)
	for i := range area {
		for c := range 3 {
			out[c*area+i] = rgba.Pix[4*i+c]
		}
	}
	return out
}

func TestLoadCIFAR10FullSize(t *testing.T) {
	dir := t.TempDir()
	const perFile = 10000
	writeCIFAR10Folder(t, dir, perFile)
	fileBytes := 6 * perFile * (1 + cifarPixels)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	train, test, err := LoadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkGeneratedRecord(t, train, 49999, 49999, 49999%10)
	runtime.ReadMemStats(&after)

	// Held as bytes, the set costs about its file size; as float32 it
	// would cost four times as much.
	allocated := int(after.TotalAlloc - before.TotalAlloc)
	if allocated > fileBytes*5/4 {
		t.Errorf("loading and reading example 49999 allocated %d bytes, want at most "+
			"1.25 x the %d file bytes", allocated, fileBytes)
	}

	if train.Len() != 5*perFile || test.Len() != perFile {
		t.Errorf("Len train %d test %d, want 50000 and 10000", train.Len(), test.Len())
	}
	if fmt.Sprint(train.Shape()) != "[3 32 32]" || train.Classes() != 10 {
		t.Errorf("Shape %v Classes %d, want [3 32 32] and 10", train.Shape(), train.Classes())
	}
	checkGeneratedRecord(t, train, 10000, 10000, 0)
	checkGeneratedRecord(t, test, 9999, 9999, 9)
}

func TestLoadCIFAR10ArchiveFolder(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, CIFAR10ArchiveFolder)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeCIFAR10Folder(t, dir, 3)

	train, test, err := LoadCIFAR10(root)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 15 || test.Len() != 3 {
		t.Errorf("Len train %d test %d, want 15 and 3", train.Len(), test.Len())
	}
	checkGeneratedRecord(t, train, 14, 14, 4)
}

func TestLoadCIFAR10MissingFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "data_batch_1.bin", cifarRecords(0, 2, 1, cifar10Label))

	_, _, err := LoadCIFAR10(dir)
	wantErrorParts(t, err, dir, "missing data_batch_2.bin, data_batch_3.bin, "+
		"data_batch_4.bin, data_batch_5.bin, test_batch.bin", CIFAR10ArchiveFolder)
}

func TestReadCIFAR10SizeErrors(t *testing.T) {
	dir := t.TempDir()
	truncated := cifarRecords(0, 10000, 1, cifar10Label)
	truncated = truncated[:len(truncated)-100]
	truncatedPath := writeFile(t, dir, "cut.bin", truncated)
	emptyPath := writeFile(t, dir, "empty.bin", nil)
	cifar100Path := writeFile(t, dir, "c100.bin", cifarRecords(0, 1, 2, cifar100Labels))

	_, err := ReadCIFAR10(truncatedPath)
	wantErrorParts(t, err, truncatedPath, "3073-byte", "9999 records and 2973 bytes left")
	_, err = ReadCIFAR10(emptyPath)
	wantErrorParts(t, err, emptyPath, "empty")
	_, err = ReadCIFAR10(cifar100Path)
	wantErrorParts(t, err, cifar100Path, "3073-byte", "1 records and 1 bytes left")
	_, err = ReadCIFAR10(filepath.Join(dir, "absent.bin"))
	wantErrorParts(t, err, "absent.bin")
}

func TestReadCIFARLabelRange(t *testing.T) {
	dir := t.TempDir()
	bad10 := cifarRecords(0, 5, 1, func(i int) []byte {
		if i == 3 {
			return []byte{10}
		}
		return cifar10Label(i)
	})
	path10 := writeFile(t, dir, "bad10.bin", bad10)
	badCoarse := cifarRecords(0, 3, 2, func(i int) []byte { return []byte{byte(20 * (i / 2)), 1} })
	pathCoarse := writeFile(t, dir, "badcoarse.bin", badCoarse)
	badFine := cifarRecords(0, 2, 2, func(i int) []byte { return []byte{1, byte(99 + i)} })
	pathFine := writeFile(t, dir, "badfine.bin", badFine)

	_, err := ReadCIFAR10(path10)
	wantErrorParts(t, err, path10, "record 3", "label 10 is out of range 0..9")
	_, err = ReadCIFAR100(false, pathCoarse)
	wantErrorParts(t, err, pathCoarse, "record 2", "coarse label 20 is out of range 0..19")
	_, err = ReadCIFAR100(true, pathFine)
	wantErrorParts(t, err, pathFine, "record 1", "fine label 100 is out of range 0..99")
}

func TestLoadCIFAR100FineAndCoarse(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, CIFAR100ArchiveFolder)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, CIFAR100TrainFile, cifarRecords(0, 250, 2, cifar100Labels))
	writeFile(t, dir, CIFAR100TestFile, cifarRecords(0, 30, 2, cifar100Labels))

	fine, fineTest, err := LoadCIFAR100(root, false)
	if err != nil {
		t.Fatal(err)
	}
	coarse, _, err := LoadCIFAR100(root, true)
	if err != nil {
		t.Fatal(err)
	}

	if fine.Len() != 250 || fineTest.Len() != 30 {
		t.Errorf("Len train %d test %d, want 250 and 30", fine.Len(), fineTest.Len())
	}
	if fine.Classes() != 100 || coarse.Classes() != 20 {
		t.Errorf("Classes fine %d coarse %d, want 100 and 20", fine.Classes(), coarse.Classes())
	}
	checkGeneratedRecord(t, fine, 249, 249, 49)
	checkGeneratedRecord(t, coarse, 249, 249, 9)
	checkGeneratedRecord(t, fineTest, 29, 29, 29)
}

func TestLoadCIFAR100Missing(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, CIFAR100TrainFile, cifarRecords(0, 1, 2, cifar100Labels))

	_, _, err := LoadCIFAR100(dir, false)
	wantErrorParts(t, err, dir, "missing test.bin")
}
