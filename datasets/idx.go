package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// IDX files start with a 4-byte big-endian magic number: two zero bytes,
// a data type byte and the number of dimensions. Then come one big-endian
// uint32 per dimension and the data, the last dimension varying fastest.
const (
	idxUnsignedByte = 0x08 // data type byte for unsigned 8-bit values

	// initialReadBuffer caps the buffer reserved before reading IDX data,
	// so that a corrupt header cannot make the reader allocate gigabytes.
	initialReadBuffer = 64 << 20
)

// gzipMagic is the first two bytes of every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// IDXImages is the content of an IDX file of unsigned byte images, such as
// train-images-idx3-ubyte.
type IDXImages struct {
	// Count, Rows and Cols are the dimensions from the file's header.
	Count, Rows, Cols int

	// Pixels holds Count*Rows*Cols values, image after image, each image
	// in row-major order, 0 for background and 255 for full ink.
	Pixels []uint8
}

// idxKind is the expected content of an IDX file: images or labels.
type idxKind struct {
	noun string // "images" or "labels", for messages
	dims int
}

var (
	imageKind = idxKind{noun: "images", dims: 3}
	labelKind = idxKind{noun: "labels", dims: 1}
)

// magic returns the magic number of an unsigned byte IDX file of the kind:
// 0x00000803 for images and 0x00000801 for labels.
func (k idxKind) magic() uint32 {
	return idxUnsignedByte<<8 | uint32(k.dims)
}

// ReadIDXImages reads an IDX file of unsigned byte images (magic number
// 0x00000803), gzipped or plain. It detects gzip by its magic bytes, not
// by the file name. Errors name the file and the header field at fault.
func ReadIDXImages(path string) (*IDXImages, error) {
	dims, data, err := readIDX(path, imageKind)
	if err != nil {
		return nil, err
	}
	images := &IDXImages{Count: dims[0], Rows: dims[1], Cols: dims[2], Pixels: data}
	return images, nil
}

// ReadIDXLabels reads an IDX file of unsigned byte labels (magic number
// 0x00000801), gzipped or plain, and returns one label per example.
func ReadIDXLabels(path string) ([]uint8, error) {
	_, data, err := readIDX(path, labelKind)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// readIDX reads the header and the data of an IDX file and checks them
// against kind. Every error it returns starts with "read PATH: ".
func readIDX(path string, kind idxKind) (dims []int, data []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()

	r, err := decompress(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	dims, data, err = decodeIDX(r, kind)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return dims, data, nil
}

// decompress returns a reader of r's content, gunzipped when r starts
// with the gzip magic bytes.
func decompress(r io.Reader) (io.Reader, error) {
	buffered := bufio.NewReader(r)
	start, err := buffered.Peek(len(gzipMagic))
	if err != nil && err != io.EOF {
		return nil, err
	}
	if !bytes.Equal(start, gzipMagic) {
		return buffered, nil
	}

	unzipped, err := gzip.NewReader(buffered)
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	return unzipped, nil
}

// decodeIDX reads an IDX stream of kind from r.
func decodeIDX(r io.Reader, kind idxKind) (dims []int, data []byte, err error) {
	headerSize := 4 + 4*kind.dims
	header := make([]byte, headerSize)
	n, err := io.ReadFull(r, header)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, nil, fmt.Errorf("truncated: IDX header of %s is %d bytes, file has %d",
			kind.noun, headerSize, n)
	}
	if err != nil {
		return nil, nil, err
	}

	if err := checkMagic(binary.BigEndian.Uint32(header), kind); err != nil {
		return nil, nil, err
	}
	dims = make([]int, kind.dims)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(header[4+4*i:]))
	}
	size, err := dataSize(dims, kind)
	if err != nil {
		return nil, nil, err
	}

	data, err = readAtMost(r, size+1)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, nil, err
	}
	if len(data) != size {
		return nil, nil, sizeError(dims, kind, size, headerSize, len(data))
	}
	return dims, data, nil
}

// checkMagic returns nil if magic is the magic number of kind, and
// otherwise an error naming the part of it that differs.
func checkMagic(magic uint32, kind idxKind) error {
	want := kind.magic()
	if magic == want {
		return nil
	}

	prefix := fmt.Sprintf("magic number 0x%08x, want 0x%08x (%s)", magic, want, kind.noun)
	dataType := magic >> 8 & 0xff
	dims := magic & 0xff
	switch {
	case magic>>16 != 0:
		return fmt.Errorf("%s: not an IDX file", prefix)
	case dataType != idxUnsignedByte:
		return fmt.Errorf("%s: data type 0x%02x, want 0x%02x (unsigned byte)",
			prefix, dataType, idxUnsignedByte)
	default:
		return fmt.Errorf("%s: number of dimensions %d, want %d",
			prefix, dims, kind.dims)
	}
}

// dataSize returns the number of data bytes that dims describe. Image rows
// and columns must be positive; a count of zero examples is allowed.
func dataSize(dims []int, kind idxKind) (int, error) {
	if kind.dims == 3 {
		if dims[1] == 0 || dims[2] == 0 {
			return 0, fmt.Errorf("header gives %s of %dx%d, want rows and columns > 0",
				kind.noun, dims[1], dims[2])
		}
	}

	size := 1
	for _, d := range dims {
		if d != 0 && size > math.MaxInt/d {
			return 0, fmt.Errorf("header dimensions %v give more bytes than fit in memory",
				dims)
		}
		size *= d
	}
	return size, nil
}

// readAtMost reads up to limit bytes from r. It reserves at most
// initialReadBuffer bytes ahead and grows the buffer as data arrive.
func readAtMost(r io.Reader, limit int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(min(limit, initialReadBuffer))
	_, err := buf.ReadFrom(io.LimitReader(r, int64(limit)))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// A gzip stream cut short ends this way; the caller reports the
		// data as truncated.
		return buf.Bytes(), io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

// sizeError describes data of got bytes where the header promised size.
func sizeError(dims []int, kind idxKind, size, headerSize, got int) error {
	var promised string
	if kind.dims == 3 {
		promised = fmt.Sprintf("%d images of %dx%d (%d bytes)", dims[0], dims[1], dims[2], size)
	} else {
		promised = fmt.Sprintf("%d labels (%d bytes)", dims[0], size)
	}

	if got < size {
		return fmt.Errorf("truncated: header gives %s, file has %d bytes after the %d-byte header",
			promised, got, headerSize)
	}
	return fmt.Errorf("header gives %s, file has more data after them", promised)
}
