package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/internal/atomicfile"
)

// A checkpoint file holds, in order and with integers little-endian:
//
//	magic          8 bytes, checkpointMagic
//	version        uint32, CheckpointVersion
//	file length    uint64, the size of the whole file in bytes
//	header length  uint32, then the header: CheckpointMeta as JSON
//	tensor count   uint32
//	each tensor    uint32 name length, name (UTF-8), uint32 rank,
//	               rank uint32 sizes, then the float32 values row-major
//	checksum       32 bytes, SHA-256 of everything before it
//
// The file length lets a reader tell a truncated file from a corrupt one
// before it parses anything.
const (
	checkpointMagic = "MMACKPT\n"

	// CheckpointVersion is the format version that SaveCheckpoint writes
	// and the only one LoadCheckpoint reads.
	CheckpointVersion = 1

	checkpointPrefixSize = len(checkpointMagic) + 4 + 8 // magic, version, length
	checksumSize         = sha256.Size

	// maxParamNameBytes bounds a tensor name, so that a corrupt length
	// field cannot ask for gigabytes.
	maxParamNameBytes = 1 << 16

	// maxTensorRank bounds the rank of a stored tensor for the same reason.
	maxTensorRank = 16
)

// CheckpointMeta describes how the parameters of a checkpoint were made.
// It is stored as the JSON header of the file.
type CheckpointMeta struct {
	// Architecture names the network, such as "smallcnn" for a backbone or
	// "smallcnn/mma:k=4" for a multi-track model built on it.
	Architecture string `json:"architecture"`

	// Spec is the backbone the network was built from, or nil.
	Spec *Spec `json:"spec,omitempty"`

	// Training is the training configuration as JSON, in whatever form
	// the trainer uses, or nil. It must be valid JSON when set.
	Training json.RawMessage `json:"training,omitempty"`

	// Seed is the random seed of initialisation and training.
	Seed int64 `json:"seed"`

	// Dataset names the training data, such as "mnist".
	Dataset string `json:"dataset,omitempty"`

	// Metrics holds measured results by name, such as "test_accuracy"
	// as a fraction in [0, 1].
	Metrics map[string]float64 `json:"metrics,omitempty"`

	// Created is the time the checkpoint was saved. SaveCheckpoint fills
	// in the current UTC time when it is zero.
	Created time.Time `json:"created"`
}

// CheckpointTensor is one stored parameter.
type CheckpointTensor struct {
	// Name is the parameter's name in its Net, such as "stage1.0.weight".
	Name string

	// Shape is the tensor's shape. A scalar has an empty Shape.
	Shape []int

	// Data holds the values in row-major order.
	Data []float32
}

// Checkpoint is a checkpoint read from a file.
type Checkpoint struct {
	// Path is the file the checkpoint was read from.
	Path string

	// Meta is the header of the file.
	Meta CheckpointMeta

	// Tensors holds the parameters in the order they were saved.
	Tensors []CheckpointTensor
}

// SaveCheckpoint writes meta and the values of params to path in the
// checkpoint format, replacing any file there. The write is atomic: a
// reader sees the old file or the whole new one. Parameter names must be
// unique and every Value a float32 tensor.
func SaveCheckpoint(path string, meta CheckpointMeta, params []*Param) error {
	if meta.Created.IsZero() {
		meta.Created = time.Now().UTC()
	}
	header, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: encode header: %w", path, err)
	}
	tensors, err := checkpointTensors(params)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", path, err)
	}

	return atomicfile.Write(path, func(w io.Writer) error {
		return encodeCheckpoint(w, header, tensors)
	})
}

// checkpointTensors returns the names, shapes and values of params after
// checking that they can be saved. The values are not copied.
func checkpointTensors(params []*Param) ([]CheckpointTensor, error) {
	tensors := make([]CheckpointTensor, 0, len(params))
	seen := make(map[string]bool, len(params))
	for i, p := range params {
		if p == nil {
			return nil, fmt.Errorf("param %d is nil", i)
		}
		if p.Name == "" || len(p.Name) > maxParamNameBytes {
			return nil, fmt.Errorf("param %d has name %q, want 1 to %d bytes",
				i, p.Name, maxParamNameBytes)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("param name %q appears twice, want unique names", p.Name)
		}
		seen[p.Name] = true

		data, err := paramValues(p)
		if err != nil {
			return nil, err
		}
		shape := []int(p.Value.Shape())
		if len(shape) > maxTensorRank {
			return nil, fmt.Errorf("param %q has rank %d, want at most %d",
				p.Name, len(shape), maxTensorRank)
		}
		tensors = append(tensors, CheckpointTensor{Name: p.Name, Shape: shape, Data: data})
	}
	return tensors, nil
}

// paramValues returns the float32 backing slice of p's value, which must
// be a contiguous float32 tensor.
func paramValues(p *Param) ([]float32, error) {
	if p.Value == nil {
		return nil, fmt.Errorf("param %q has no value", p.Name)
	}
	if p.Value.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("param %q has type %v, want float32", p.Name, p.Value.Dtype())
	}
	if p.Value.RequiresIterator() {
		return nil, fmt.Errorf("param %q is a non-contiguous view, want a plain tensor",
			p.Name)
	}

	data := p.Value.Float32s()
	if len(data) != p.Value.Shape().TotalSize() {
		return nil, fmt.Errorf("param %q has %d values for shape %v",
			p.Name, len(data), p.Value.Shape())
	}
	return data, nil
}

// encodeCheckpoint writes a whole checkpoint file to w.
func encodeCheckpoint(w io.Writer, header []byte, tensors []CheckpointTensor) error {
	sum := sha256.New()
	out := &checkpointWriter{w: io.MultiWriter(w, sum)}

	out.bytes([]byte(checkpointMagic))
	out.uint32(CheckpointVersion)
	out.uint64(uint64(checkpointFileSize(header, tensors)))
	out.uint32(uint32(len(header)))
	out.bytes(header)
	out.uint32(uint32(len(tensors)))
	for _, t := range tensors {
		out.uint32(uint32(len(t.Name)))
		out.bytes([]byte(t.Name))
		out.uint32(uint32(len(t.Shape)))
		for _, size := range t.Shape {
			out.uint32(uint32(size))
		}
		out.float32s(t.Data)
	}
	if out.err != nil {
		return out.err
	}

	_, err := w.Write(sum.Sum(nil))
	return err
}

// checkpointFileSize returns the size in bytes of the file that
// encodeCheckpoint writes for header and tensors.
func checkpointFileSize(header []byte, tensors []CheckpointTensor) int {
	size := checkpointPrefixSize + 4 + len(header) + 4
	for _, t := range tensors {
		size += 4 + len(t.Name) + 4 + 4*len(t.Shape) + 4*len(t.Data)
	}
	return size + checksumSize
}

// checkpointWriter writes little-endian values and keeps the first error,
// so that encodeCheckpoint checks once at the end.
type checkpointWriter struct {
	w       io.Writer
	err     error
	scratch [4096]byte
}

func (c *checkpointWriter) bytes(b []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
}

func (c *checkpointWriter) uint32(v uint32) {
	c.bytes(binary.LittleEndian.AppendUint32(c.scratch[:0], v))
}

func (c *checkpointWriter) uint64(v uint64) {
	c.bytes(binary.LittleEndian.AppendUint64(c.scratch[:0], v))
}

// float32s writes values in chunks that fit the scratch buffer.
func (c *checkpointWriter) float32s(values []float32) {
	chunk := len(c.scratch) / 4
	for start := 0; start < len(values) && c.err == nil; start += chunk {
		buf := c.scratch[:0]
		for _, v := range values[start:min(start+chunk, len(values))] {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		c.bytes(buf)
	}
}

// LoadCheckpoint reads a checkpoint file written by SaveCheckpoint. It
// checks the magic string, the format version, the file length and the
// SHA-256 checksum before it decodes the header and the tensors.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint: %w", err)
	}
	if err := checkCheckpointFrame(content); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", path, err)
	}

	ckpt, err := decodeCheckpoint(content[checkpointPrefixSize : len(content)-checksumSize])
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: malformed content "+
			"behind a valid checksum: %w", path, err)
	}
	ckpt.Path = path
	return ckpt, nil
}

// checkCheckpointFrame checks everything of a checkpoint file but its
// content: the magic string, the version, the length and the checksum.
func checkCheckpointFrame(content []byte) error {
	magicEnd := min(len(content), len(checkpointMagic))
	if string(content[:magicEnd]) != checkpointMagic[:magicEnd] {
		return fmt.Errorf("not a checkpoint: file starts with %q, want magic string %q",
			content[:magicEnd], checkpointMagic)
	}
	if len(content) < checkpointPrefixSize {
		return fmt.Errorf("truncated: file has %d bytes, shorter than the %d-byte prefix",
			len(content), checkpointPrefixSize)
	}

	version := binary.LittleEndian.Uint32(content[len(checkpointMagic):])
	if version != CheckpointVersion {
		return fmt.Errorf("unsupported format version %d; this build reads version %d only",
			version, CheckpointVersion)
	}

	length := binary.LittleEndian.Uint64(content[len(checkpointMagic)+4:])
	if uint64(len(content)) < length {
		return fmt.Errorf("truncated: length field gives %d bytes, file has %d", length, len(content))
	}
	if uint64(len(content)) > length {
		return fmt.Errorf("file has %d bytes, length field gives %d: extra data after the checksum",
			len(content), length)
	}
	if length < uint64(checkpointPrefixSize+checksumSize) {
		return fmt.Errorf("length field gives %d bytes, too short for a checkpoint", length)
	}

	body, stored := content[:len(content)-checksumSize], content[len(content)-checksumSize:]
	computed := sha256.Sum256(body)
	if !bytes.Equal(computed[:], stored) {
		return fmt.Errorf("checksum mismatch: SHA-256 of the content is %x, file stores %x "+
			"(the file is corrupt)", computed, stored)
	}
	return nil
}

// decodeCheckpoint decodes the header and the tensors of a checkpoint from
// the bytes between the fixed prefix and the checksum.
func decodeCheckpoint(content []byte) (*Checkpoint, error) {
	in := &checkpointReader{data: content}
	ckpt := &Checkpoint{}

	header := in.bytes(int(in.uint32("header length")), "header")
	if in.err != nil {
		return nil, in.err
	}
	if err := json.Unmarshal(header, &ckpt.Meta); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}

	count := int(in.uint32("tensor count"))
	seen := make(map[string]bool)
	for i := 0; i < count && in.err == nil; i++ {
		t := in.tensor(i)
		if in.err == nil && seen[t.Name] {
			return nil, fmt.Errorf("tensor %d: name %q appears twice", i, t.Name)
		}
		seen[t.Name] = true
		ckpt.Tensors = append(ckpt.Tensors, t)
	}
	if in.err != nil {
		return nil, in.err
	}
	if rest := len(in.data) - in.offset; rest != 0 {
		return nil, fmt.Errorf("%d bytes after tensor %d, want none", rest, count-1)
	}
	return ckpt, nil
}

// checkpointReader reads little-endian values from a byte slice and keeps
// the first error, so that callers check once after a group of reads.
type checkpointReader struct {
	data   []byte
	offset int
	err    error
}

// bytes returns the next n bytes, or nil when fewer remain. Then it
// records an error that names field.
func (c *checkpointReader) bytes(n int, field string) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.data)-c.offset {
		c.err = fmt.Errorf("%s needs %d bytes at offset %d, %d remain",
			field, n, c.offset+checkpointPrefixSize, len(c.data)-c.offset)
		return nil
	}
	b := c.data[c.offset : c.offset+n]
	c.offset += n
	return b
}

// uint32 returns the next 4 bytes as the integer field.
func (c *checkpointReader) uint32(field string) uint32 {
	b := c.bytes(4, field)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// tensor reads tensor number i.
func (c *checkpointReader) tensor(i int) CheckpointTensor {
	field := fmt.Sprintf("tensor %d", i)
	nameLength := int(c.uint32(field + " name length"))
	if c.err == nil && nameLength > maxParamNameBytes {
		c.err = fmt.Errorf("%s: name of %d bytes, want at most %d",
			field, nameLength, maxParamNameBytes)
	}
	name := string(c.bytes(nameLength, field+" name"))

	rank := int(c.uint32(field + " rank"))
	if c.err == nil && rank > maxTensorRank {
		c.err = fmt.Errorf("tensor %q: rank %d, want at most %d", name, rank, maxTensorRank)
	}
	shape := make([]int, 0, min(rank, maxTensorRank))
	size := 1
	for d := 0; d < rank && c.err == nil; d++ {
		shape = append(shape, int(c.uint32(field+" shape")))
		size *= shape[d]

		// Stop before size can overflow: the values must fit in the rest.
		if remaining := (len(c.data) - c.offset) / 4; size > remaining {
			c.err = fmt.Errorf("tensor %q: shape %v needs more than the %d values left",
				name, shape, remaining)
		}
	}
	if c.err != nil {
		return CheckpointTensor{}
	}

	raw := c.bytes(4*size, fmt.Sprintf("tensor %q of shape %v", name, shape))
	data := make([]float32, len(raw)/4)
	for j := range data {
		data[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
	}
	return CheckpointTensor{Name: name, Shape: shape, Data: data}
}

// Tensor returns the stored tensor called name, if there is one.
func (c *Checkpoint) Tensor(name string) (CheckpointTensor, bool) {
	for _, t := range c.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return CheckpointTensor{}, false
}

// Apply copies the stored values into params, matched by Name. Every param
// needs a stored tensor of its shape and every stored tensor a param. If
// not, Apply changes nothing, and its error lists the missing, extra and
// mismatched names, with both shapes for each mismatch.
func (c *Checkpoint) Apply(params []*Param) error {
	targets, err := c.matchParams(params)
	if err != nil {
		return fmt.Errorf("apply checkpoint %s: %w", c.Path, err)
	}
	for i, t := range c.Tensors {
		copy(targets[i], t.Data)
	}
	return nil
}

// matchParams returns the backing slice of the param of each stored
// tensor, in the order of c.Tensors, or an error listing every mismatch.
func (c *Checkpoint) matchParams(params []*Param) ([][]float32, error) {
	stored := make(map[string]int, len(c.Tensors))
	for i, t := range c.Tensors {
		stored[t.Name] = i
	}

	targets := make([][]float32, len(c.Tensors))
	matched := make([]bool, len(c.Tensors))
	var missing, mismatched []string
	for n, p := range params {
		if p == nil {
			return nil, fmt.Errorf("param %d is nil", n)
		}
		values, err := paramValues(p)
		if err != nil {
			return nil, err
		}
		i, ok := stored[p.Name]
		if !ok {
			missing = append(missing, p.Name)
			continue
		}
		if matched[i] {
			return nil, fmt.Errorf("param name %q appears twice in the net", p.Name)
		}
		matched[i] = true

		if want := c.Tensors[i].Shape; !sameShape(want, p.Value.Shape()) {
			mismatched = append(mismatched, fmt.Sprintf("%s (checkpoint %s, net %s)",
				p.Name, shapeString(want), shapeString(p.Value.Shape())))
			continue
		}
		targets[i] = values
	}

	var extra []string
	for i, t := range c.Tensors {
		if !matched[i] {
			extra = append(extra, t.Name)
		}
	}
	return targets, mismatchError(missing, extra, mismatched)
}

// mismatchError returns nil when all lists are empty, and otherwise an
// error naming every entry.
func mismatchError(missing, extra, mismatched []string) error {
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%d params of the net missing "+
			"from the checkpoint: %s", len(missing), strings.Join(missing, ", ")))
	}
	if len(extra) > 0 {
		problems = append(problems, fmt.Sprintf("%d tensors in the checkpoint "+
			"not in the net: %s", len(extra), strings.Join(extra, ", ")))
	}
	if len(mismatched) > 0 {
		problems = append(problems, fmt.Sprintf("%d shape mismatches: %s",
			len(mismatched), strings.Join(mismatched, ", ")))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(problems, "; "))
}

func sameShape(stored []int, shape tensor.Shape) bool {
	if len(stored) != len(shape) {
		return false
	}
	for i := range stored {
		if stored[i] != shape[i] {
			return false
		}
	}
	return true
}

// shapeString formats a shape as "3x3x1" and a scalar as "scalar".
func shapeString(shape []int) string {
	if len(shape) == 0 {
		return "scalar"
	}
	parts := make([]string, len(shape))
	for i, size := range shape {
		parts[i] = fmt.Sprint(size)
	}
	return strings.Join(parts, "x")
}
