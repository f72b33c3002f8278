package eval

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
)

// LoadAdvSet reads an adversarial set file written by SaveAdvSet. Its
// errors name the file and wrap ErrBadMagic, ErrVersion, ErrHeader,
// ErrShape, ErrLabel, ErrPixel, ErrTruncated, ErrChecksum or ErrTrailing
// when the file is not
// a valid set, so that callers can tell the cases apart with errors.Is.
func LoadAdvSet(path string) (*AdvSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load adversarial set: %w", err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load adversarial set: %w", err)
	}

	hash := sha256.New()
	buffered := bufio.NewReaderSize(f, 1<<20)
	reader := &advReader{
		source:    buffered,
		data:      io.TeeReader(buffered, hash),
		hash:      hash,
		remaining: info.Size(),
	}

	set, err := reader.decode()
	if err != nil {
		return nil, fmt.Errorf("load adversarial set %s: %w", path, err)
	}
	return set, nil
}

// advReader reads the sections of a set in order, hashing every byte
// before the checksum, and checks each length against the bytes left in
// the file before allocating.
type advReader struct {
	source    io.Reader // the file, for the checksum and trailing bytes
	data      io.Reader // the file through the hash
	hash      hash.Hash
	remaining int64 // bytes of the file not yet read
}

func (r *advReader) decode() (*AdvSet, error) {
	header, err := r.readHeader()
	if err != nil {
		return nil, err
	}

	if err := r.checkDeclaredSize(header); err != nil {
		return nil, err
	}

	set := &AdvSet{Config: header.Config, Shape: header.Shape, Classes: header.Classes}
	if set.Indices, err = r.readInts("source indices", header.Count, 8); err != nil {
		return nil, err
	}
	if set.Labels, err = r.readInts("labels", header.Count, 4); err != nil {
		return nil, err
	}
	if set.Images, err = r.readFloat32s("images", header.Count*shapeSize(header.Shape)); err != nil {
		return nil, err
	}

	if err := r.verifyChecksum(); err != nil {
		return nil, err
	}
	if err := set.Validate(); err != nil {
		return nil, err
	}
	return set, nil
}

func (r *advReader) readHeader() (*advHeader, error) {
	prefix := make([]byte, 16)
	if err := r.read(prefix, "file prefix"); err != nil {
		return nil, err
	}
	if magic := string(prefix[:8]); magic != advSetMagic {
		return nil, fmt.Errorf("%w: starts with %q, want %q", ErrBadMagic, magic, advSetMagic)
	}
	if version := binary.LittleEndian.Uint32(prefix[8:12]); version != AdvSetVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d",
			ErrVersion, version, AdvSetVersion)
	}

	length := binary.LittleEndian.Uint32(prefix[12:16])
	if length > maxHeaderBytes {
		return nil, fmt.Errorf("%w: header length %d exceeds %d bytes",
			ErrHeader, length, maxHeaderBytes)
	}
	headerJSON := make([]byte, length)
	if err := r.read(headerJSON, "header"); err != nil {
		return nil, err
	}

	var header advHeader
	decoder := json.NewDecoder(bytes.NewReader(headerJSON))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&header); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHeader, err)
	}
	if header.Count < 0 {
		return nil, fmt.Errorf("%w: count is %d, want >= 0", ErrShape, header.Count)
	}
	if err := checkImageShape(header.Shape); err != nil {
		return nil, err
	}
	return &header, nil
}

// checkDeclaredSize reports truncation when the header declares more
// images than the rest of the file can hold. It runs before any size is
// multiplied out, so that a corrupt count cannot overflow or allocate.
func (r *advReader) checkDeclaredSize(header *advHeader) error {
	const bytesPerImage = 8 + 4 // source index and label
	pixelsLeft := r.remaining / 4
	for _, size := range header.Shape {
		pixelsLeft /= int64(size)
	}
	if int64(header.Count) > r.remaining/bytesPerImage || int64(header.Count) > pixelsLeft {
		return fmt.Errorf("%w: header declares %d images of shape %v, but only %d bytes follow",
			ErrTruncated, header.Count, header.Shape, r.remaining)
	}
	return nil
}

// read fills buf from the hashed stream, reporting truncation when the
// file holds fewer bytes than buf needs.
func (r *advReader) read(buf []byte, section string) error {
	if int64(len(buf)) > r.remaining {
		return fmt.Errorf("%w: %s needs %d bytes, %d left",
			ErrTruncated, section, len(buf), r.remaining)
	}
	if _, err := io.ReadFull(r.data, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: %s ends early", ErrTruncated, section)
		}
		return fmt.Errorf("read %s: %w", section, err)
	}
	r.remaining -= int64(len(buf))
	return nil
}

// readCount reads a section's element count and checks it against want
// and against the bytes left in the file.
func (r *advReader) readCount(section string, want, width int) error {
	var buf [8]byte
	if err := r.read(buf[:], section+" count"); err != nil {
		return err
	}
	count := binary.LittleEndian.Uint64(buf[:])
	if count != uint64(want) {
		return fmt.Errorf("%w: %s section has %d elements, expected %d from the header",
			ErrShape, section, count, want)
	}
	if need := int64(want) * int64(width); need > r.remaining {
		return fmt.Errorf("%w: %s need %d bytes, %d left", ErrTruncated, section, need, r.remaining)
	}
	return nil
}

func (r *advReader) readInts(section string, count, width int) ([]int, error) {
	if err := r.readCount(section, count, width); err != nil {
		return nil, err
	}

	values := make([]int, count)
	buf := make([]byte, chunkBytes/width*width)
	for start := 0; start < count; {
		n := min(count-start, len(buf)/width)
		chunk := buf[:n*width]
		if err := r.read(chunk, section); err != nil {
			return nil, err
		}
		for i := range n {
			if width == 4 {
				values[start+i] = int(int32(binary.LittleEndian.Uint32(chunk[i*4:])))
			} else {
				values[start+i] = int(int64(binary.LittleEndian.Uint64(chunk[i*8:])))
			}
		}
		start += n
	}
	return values, nil
}

func (r *advReader) readFloat32s(section string, count int) ([]float32, error) {
	if err := r.readCount(section, count, 4); err != nil {
		return nil, err
	}

	values := make([]float32, count)
	buf := make([]byte, chunkBytes)
	for start := 0; start < count; {
		n := min(count-start, len(buf)/4)
		chunk := buf[:n*4]
		if err := r.read(chunk, section); err != nil {
			return nil, err
		}
		for i := range n {
			values[start+i] = math.Float32frombits(binary.LittleEndian.Uint32(chunk[i*4:]))
		}
		start += n
	}
	return values, nil
}

// verifyChecksum reads the stored SHA-256, which is not itself hashed,
// compares it with the hash of everything read so far and checks that
// nothing follows it.
func (r *advReader) verifyChecksum() error {
	if r.remaining < sha256.Size {
		return fmt.Errorf("%w: checksum needs %d bytes, %d left",
			ErrTruncated, sha256.Size, r.remaining)
	}
	stored := make([]byte, sha256.Size)
	if _, err := io.ReadFull(r.source, stored); err != nil {
		return fmt.Errorf("%w: checksum ends early", ErrTruncated)
	}
	r.remaining -= sha256.Size

	if computed := r.hash.Sum(nil); !bytes.Equal(stored, computed) {
		return fmt.Errorf("%w: stored %x, computed %x", ErrChecksum, stored, computed)
	}
	if r.remaining > 0 {
		return fmt.Errorf("%w: %d bytes", ErrTrailing, r.remaining)
	}
	return nil
}
