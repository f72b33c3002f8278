package eval

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/mmatransfer/mma/internal/atomicfile"
)

// An adversarial set file is laid out as follows. All integers are
// little-endian.
//
//	offset  size    content
//	0       8       magic "MMAADVST"
//	8       4       format version (uint32), currently 1
//	12      4       header length L in bytes (uint32)
//	16      L       header: a JSON object with count, shape, classes, config
//	        8+8N    source indices: element count (uint64), then N int64
//	        8+4N    labels: element count (uint64), then N int32
//	        8+4ND   images: element count (uint64), then N*D float32, where
//	                D = C*H*W and images follow each other in N, C, H, W order
//	        32      SHA-256 of every byte before it
const (
	advSetMagic = "MMAADVST"

	// AdvSetVersion is the format version that SaveAdvSet writes and the
	// only one LoadAdvSet reads.
	AdvSetVersion = 1

	// maxHeaderBytes bounds the JSON header so that a corrupt length field
	// cannot make LoadAdvSet allocate gigabytes.
	maxHeaderBytes = 16 << 20

	// chunkBytes is the buffer size used to convert arrays to and from bytes.
	chunkBytes = 1 << 16
)

// Errors that LoadAdvSet wraps, so that callers can test them with
// errors.Is. The returned error also names the file and the offending value.
var (
	ErrBadMagic  = errors.New("not an adversarial set file (wrong magic)")
	ErrVersion   = errors.New("unsupported adversarial set format version")
	ErrTruncated = errors.New("adversarial set file is truncated")
	ErrChecksum  = errors.New("adversarial set checksum mismatch")
	ErrShape     = errors.New("adversarial set shape mismatch")
	ErrHeader    = errors.New("invalid adversarial set header")
	ErrTrailing  = errors.New("unexpected data after adversarial set checksum")
	ErrLabel     = errors.New("adversarial set label or source index out of range")
	ErrPixel     = errors.New("adversarial set pixel outside [0, 1]")
)

// AdvSet is a set of adversarial images crafted on one surrogate by one
// attack, with what is needed to trace each image back to its clean source.
type AdvSet struct {
	// Config records how the set was made.
	Config AdvConfig

	// Shape is the image shape C x H x W.
	Shape []int

	// Classes is the number of classes of the source data set; every label
	// lies in [0, Classes).
	Classes int

	// Indices holds, for each image, its index in the source data set
	// named by Config.Source. Length N.
	Indices []int

	// Labels holds the true class of each image. Length N.
	Labels []int

	// Images holds the N adversarial images as float32 pixels in [0, 1],
	// in N, C, H, W order. Length N*C*H*W.
	Images []float32
}

// AdvConfig is the JSON header of an adversarial set file.
type AdvConfig struct {
	// Surrogate is the model the attack ran on.
	Surrogate ModelRef `json:"surrogate"`

	// Attack is the attack and its parameters in the CLI string form, such
	// as "pgd:eps=0.3,alpha=0.03,steps=10,seed=1".
	Attack string `json:"attack"`

	// Seed is the random seed the attack ran with.
	Seed int64 `json:"seed"`

	// Source names the data set the clean images came from.
	Source ImageSource `json:"source"`

	// Created is when the set was made. SaveAdvSet writes the current UTC
	// time when it is zero.
	Created time.Time `json:"created"`

	// Extra holds free-form fields, such as the experiment name or a note
	// that the images were rounded to 8 bits. It may be nil.
	Extra map[string]string `json:"extra,omitempty"`
}

// ModelRef identifies a model: its architecture and, for a trained model,
// its checkpoint.
type ModelRef struct {
	// Arch is the architecture string, such as "resnet18" or
	// "mma:backbone=resnet18,tracks=4".
	Arch string `json:"arch"`

	// Checkpoint is the path of the checkpoint file, or empty if none.
	Checkpoint string `json:"checkpoint,omitempty"`

	// CheckpointSHA256 is the hex SHA-256 of the checkpoint file (see
	// HashFile), or empty if none.
	CheckpointSHA256 string `json:"checkpoint_sha256,omitempty"`
}

// ImageSource names where the clean images of a set came from.
type ImageSource struct {
	// Dataset is the data set name, such as "mnist" or "cifar10".
	Dataset string `json:"dataset"`

	// Split is the data set split, such as "test".
	Split string `json:"split"`
}

// advHeader is the JSON header as stored in the file.
type advHeader struct {
	Count   int       `json:"count"`
	Shape   []int     `json:"shape"`
	Classes int       `json:"classes"`
	Config  AdvConfig `json:"config"`
}

// Len returns the number of images N.
func (s *AdvSet) Len() int {
	return len(s.Labels)
}

// ImageSize returns the number of pixels of one image, C*H*W, or 0 if
// Shape is empty.
func (s *AdvSet) ImageSize() int {
	return shapeSize(s.Shape)
}

// Image returns image i as a slice of Images (not a copy).
func (s *AdvSet) Image(i int) []float32 {
	size := s.ImageSize()
	return s.Images[i*size : (i+1)*size]
}

// Validate checks that the shape is C x H x W with positive sizes, that
// Indices, Labels and Images agree on N, that labels lie in [0, Classes),
// indices are not negative and every pixel lies in [0, 1]. Errors wrap
// ErrShape, ErrLabel or ErrPixel.
func (s *AdvSet) Validate() error {
	if err := checkImageShape(s.Shape); err != nil {
		return err
	}
	if s.Classes <= 0 {
		return fmt.Errorf("%w: classes is %d, want > 0", ErrShape, s.Classes)
	}

	n := len(s.Labels)
	if len(s.Indices) != n {
		return fmt.Errorf("%w: %d indices for %d labels", ErrShape, len(s.Indices), n)
	}
	if want := n * s.ImageSize(); len(s.Images) != want {
		return fmt.Errorf("%w: %d pixels, want %d images x %v = %d",
			ErrShape, len(s.Images), n, s.Shape, want)
	}

	for i, label := range s.Labels {
		if label < 0 || label >= s.Classes {
			return fmt.Errorf("%w: label %d of image %d is outside [0, %d)",
				ErrLabel, label, i, s.Classes)
		}
	}
	for i, index := range s.Indices {
		if index < 0 {
			return fmt.Errorf("%w: source index %d of image %d is negative", ErrLabel, index, i)
		}
	}
	return checkPixels(s.Images, s.ImageSize())
}

func checkImageShape(shape []int) error {
	if len(shape) != 3 {
		return fmt.Errorf("%w: image shape %v, want C x H x W", ErrShape, shape)
	}
	for _, size := range shape {
		if size <= 0 {
			return fmt.Errorf("%w: image shape %v has a size <= 0", ErrShape, shape)
		}
	}
	return nil
}

// checkPixels rejects NaN, infinities and pixels outside [0, 1], which an
// attack that clips its output never produces.
func checkPixels(images []float32, imageSize int) error {
	for i, v := range images {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%w: pixel %d of image %d is %v, want a value in [0, 1]",
				ErrPixel, i%imageSize, i/imageSize, v)
		}
	}
	return nil
}

func shapeSize(shape []int) int {
	if len(shape) == 0 {
		return 0
	}
	size := 1
	for _, d := range shape {
		size *= d
	}
	return size
}

// HashFile returns the hex SHA-256 of the file at path, for
// ModelRef.CheckpointSHA256.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()

	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(hash.Sum(nil)), nil
}

// SaveAdvSet validates set and writes it to path atomically: a reader sees
// the old file or the whole new one. The set itself is not modified.
func SaveAdvSet(path string, set *AdvSet) error {
	if err := set.Validate(); err != nil {
		return fmt.Errorf("save adversarial set %s: %w", path, err)
	}

	header := advHeader{
		Count:   set.Len(),
		Shape:   set.Shape,
		Classes: set.Classes,
		Config:  set.Config,
	}
	if header.Config.Created.IsZero() {
		header.Config.Created = time.Now().UTC()
	}
	headerJSON, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("save adversarial set %s: encode header: %w", path, err)
	}
	if len(headerJSON) > maxHeaderBytes {
		return fmt.Errorf("save adversarial set %s: header is %d bytes, max %d",
			path, len(headerJSON), maxHeaderBytes)
	}

	return atomicfile.Write(path, func(w io.Writer) error {
		return encodeAdvSet(w, headerJSON, set)
	})
}

func encodeAdvSet(w io.Writer, headerJSON []byte, set *AdvSet) error {
	hash := sha256.New()
	out := io.MultiWriter(w, hash)

	prefix := make([]byte, 0, 16)
	prefix = append(prefix, advSetMagic...)
	prefix = binary.LittleEndian.AppendUint32(prefix, AdvSetVersion)
	prefix = binary.LittleEndian.AppendUint32(prefix, uint32(len(headerJSON)))
	if _, err := out.Write(prefix); err != nil {
		return err
	}
	if _, err := out.Write(headerJSON); err != nil {
		return err
	}

	if err := writeInts(out, set.Indices, 8); err != nil {
		return err
	}
	if err := writeInts(out, set.Labels, 4); err != nil {
		return err
	}
	if err := writeFloat32s(out, set.Images); err != nil {
		return err
	}

	_, err := w.Write(hash.Sum(nil))
	return err
}

// writeInts writes the element count and then values as little-endian
// integers of width bytes (4 or 8).
func writeInts(w io.Writer, values []int, width int) error {
	if err := writeCount(w, len(values)); err != nil {
		return err
	}
	buf := make([]byte, 0, chunkBytes)
	for _, v := range values {
		if width == 4 {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(int32(v)))
		} else {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(int64(v)))
		}
		if len(buf)+width > chunkBytes {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := w.Write(buf)
	return err
}

func writeFloat32s(w io.Writer, values []float32) error {
	if err := writeCount(w, len(values)); err != nil {
		return err
	}
	buf := make([]byte, 0, chunkBytes)
	for _, v := range values {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf)+4 > chunkBytes {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := w.Write(buf)
	return err
}

func writeCount(w io.Writer, count int) error {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(count))
	_, err := w.Write(buf[:])
	return err
}
