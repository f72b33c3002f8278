package datasets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CIFAR images are 3 x 32 x 32. A record of the binary format holds its
// label bytes and then 1024 red, 1024 green and 1024 blue values, each
// plane in row-major order.
const (
	CIFARSide   = 32
	cifarPixels = 3 * CIFARSide * CIFARSide
)

// Class counts of the CIFAR data sets.
const (
	CIFAR10Classes        = 10
	CIFAR100Classes       = 100 // fine labels
	CIFAR100CoarseClasses = 20  // coarse labels, the superclasses
)

// Folder names that the official binary archives cifar-10-binary.tar.gz
// and cifar-100-binary.tar.gz extract to. LoadCIFAR10 and LoadCIFAR100 look
// for their files in the folder they are given and in this subfolder.
const (
	CIFAR10ArchiveFolder  = "cifar-10-batches-bin"
	CIFAR100ArchiveFolder = "cifar-100-binary"
)

// CIFAR10TrainFiles and CIFAR10TestFile are the file names of CIFAR-10's
// binary version: five training batches and one test batch of 10,000
// records each.
var CIFAR10TrainFiles = []string{
	"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
	"data_batch_4.bin", "data_batch_5.bin",
}

// CIFAR10TestFile is the file name of CIFAR-10's binary test batch.
const CIFAR10TestFile = "test_batch.bin"

// File names of CIFAR-100's binary version: 50,000 training and 10,000
// test records.
const (
	CIFAR100TrainFile = "train.bin"
	CIFAR100TestFile  = "test.bin"
)

// cifarFormat describes the records of one CIFAR binary format.
type cifarFormat struct {
	name       string // for messages
	labelBytes int    // label bytes before the pixels of a record
	labelIndex int    // which of them is the label to keep
	classes    int
}

// recordSize returns the size of one record in bytes.
func (f cifarFormat) recordSize() int { return f.labelBytes + cifarPixels }

var (
	cifar10Format        = cifarFormat{name: "CIFAR-10", labelBytes: 1, classes: CIFAR10Classes}
	cifar100FineFormat   = cifarFormat{name: "CIFAR-100", labelBytes: 2, labelIndex: 1, classes: CIFAR100Classes}
	cifar100CoarseFormat = cifarFormat{name: "CIFAR-100", labelBytes: 2, labelIndex: 0,
		classes: CIFAR100CoarseClasses}
)

// ReadCIFAR10 reads CIFAR-10 binary files (3073-byte records: a label in
// 0..9 and 3072 pixel bytes) and returns their records in file order as
// one set of 3 x 32 x 32 images with 10 classes.
func ReadCIFAR10(paths ...string) (*ByteSet, error) {
	return readCIFAR(cifar10Format, paths)
}

// ReadCIFAR100 reads CIFAR-100 binary files (3074-byte records: a coarse
// label in 0..19, a fine label in 0..99 and 3072 pixel bytes) as one set
// of 3 x 32 x 32 images. It keeps the fine labels (100 classes), or the
// coarse ones (20 classes) when coarse is true; both are range-checked.
func ReadCIFAR100(coarse bool, paths ...string) (*ByteSet, error) {
	format := cifar100FineFormat
	if coarse {
		format = cifar100CoarseFormat
	}
	return readCIFAR(format, paths)
}

// LoadCIFAR10 reads CIFAR-10's training set (data_batch_1.bin to
// data_batch_5.bin, in order) and test set (test_batch.bin) from dir, or
// from dir/cifar-10-batches-bin when dir lacks them. The error of a
// missing file lists every expected file that is absent.
func LoadCIFAR10(dir string) (train, test *ByteSet, err error) {
	names := append(append([]string{}, CIFAR10TrainFiles...), CIFAR10TestFile)
	found, err := findCIFARFiles(dir, CIFAR10ArchiveFolder, "CIFAR-10", names)
	if err != nil {
		return nil, nil, err
	}

	last := len(found) - 1
	if train, err = ReadCIFAR10(found[:last]...); err != nil {
		return nil, nil, err
	}
	if test, err = ReadCIFAR10(found[last]); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// LoadCIFAR100 reads CIFAR-100's training set (train.bin) and test set
// (test.bin) from dir, or from dir/cifar-100-binary when dir lacks them,
// with fine labels or, when coarse is true, coarse labels.
func LoadCIFAR100(dir string, coarse bool) (train, test *ByteSet, err error) {
	names := []string{CIFAR100TrainFile, CIFAR100TestFile}
	found, err := findCIFARFiles(dir, CIFAR100ArchiveFolder, "CIFAR-100", names)
	if err != nil {
		return nil, nil, err
	}

	if train, err = ReadCIFAR100(coarse, found[0]); err != nil {
		return nil, nil, err
	}
	if test, err = ReadCIFAR100(coarse, found[1]); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// findCIFARFiles returns the paths of names in dir, or in dir/archive when
// dir lacks any of them and dir/archive holds them all.
func findCIFARFiles(dir, archive, setName string, names []string) ([]string, error) {
	paths, missing, err := regularFiles(dir, names)
	if err != nil || len(missing) == 0 {
		return paths, err
	}

	nested := filepath.Join(dir, archive)
	nestedPaths, nestedMissing, err := regularFiles(nested, names)
	if err != nil || len(nestedMissing) == 0 {
		return nestedPaths, err
	}
	return nil, fmt.Errorf("%s binary files not found in %s or %s: missing %s",
		setName, dir, nested, strings.Join(missing, ", "))
}

// regularFiles returns the paths of names in dir and the names that are
// not regular files there.
func regularFiles(dir string, names []string) (paths, missing []string, err error) {
	for _, name := range names {
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.Mode().IsRegular()) {
			missing = append(missing, name)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("find %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, missing, nil
}

// readCIFAR reads the records of every file in paths into one set. It
// sizes the pixel buffer from the file sizes first, so that the whole set
// is allocated once, as bytes.
func readCIFAR(format cifarFormat, paths []string) (*ByteSet, error) {
	counts := make([]int, len(paths))
	total := 0
	for i, path := range paths {
		n, err := countCIFARRecords(format, path)
		if err != nil {
			return nil, err
		}
		counts[i] = n
		total += n
	}

	pixels := make([]uint8, total*cifarPixels)
	labels := make([]uint8, total)
	start := 0
	for i, path := range paths {
		end := start + counts[i]
		err := readCIFARFile(format, path, pixels[start*cifarPixels:end*cifarPixels],
			labels[start:end])
		if err != nil {
			return nil, err
		}
		start = end
	}

	shape := []int{3, CIFARSide, CIFARSide}
	return NewByteSet(shape, format.classes, pixels, labels)
}

// countCIFARRecords returns the number of records in the file at path,
// which must be a positive whole number of records.
func countCIFARRecords(format cifarFormat, path string) (int, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}

	size := info.Size()
	record := int64(format.recordSize())
	if size == 0 {
		return 0, fmt.Errorf("read %s: file is empty, want %s records of %d bytes",
			path, format.name, record)
	}
	if remainder := size % record; remainder != 0 {
		return 0, fmt.Errorf("read %s: size %d bytes is not a whole number of %d-byte "+
			"%s records: %d records and %d bytes left over (truncated or not %s?)",
			path, size, record, format.name, size/record, remainder, format.name)
	}
	return int(size / record), nil
}

// readCIFARFile reads the records of the file at path into pixels and
// labels, which have room for exactly its records, and checks every label
// byte of each record against its range.
func readCIFARFile(format cifarFormat, path string, pixels, labels []uint8) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()

	r := bufio.NewReaderSize(f, 1<<20)
	header := make([]byte, format.labelBytes)
	for i := range labels {
		if _, err := io.ReadFull(r, header); err != nil {
			return fmt.Errorf("read %s: record %d: %w", path, i, err)
		}
		if err := checkCIFARLabels(format, header); err != nil {
			return fmt.Errorf("read %s: record %d: %w", path, i, err)
		}
		labels[i] = header[format.labelIndex]

		image := pixels[i*cifarPixels : (i+1)*cifarPixels]
		if _, err := io.ReadFull(r, image); err != nil {
			return fmt.Errorf("read %s: record %d: %w", path, i, err)
		}
	}
	return nil
}

// checkCIFARLabels checks the label bytes of one record: for CIFAR-100 the
// coarse label must be in 0..19 and the fine one in 0..99, whichever of
// them the set keeps.
func checkCIFARLabels(format cifarFormat, header []byte) error {
	if format.labelBytes == 1 {
		if int(header[0]) >= format.classes {
			return fmt.Errorf("label %d is out of range 0..%d", header[0], format.classes-1)
		}
		return nil
	}

	if int(header[0]) >= CIFAR100CoarseClasses {
		return fmt.Errorf("coarse label %d is out of range 0..%d",
			header[0], CIFAR100CoarseClasses-1)
	}
	if int(header[1]) >= CIFAR100Classes {
		return fmt.Errorf("fine label %d is out of range 0..%d",
			header[1], CIFAR100Classes-1)
	}
	return nil
}
