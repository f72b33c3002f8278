package eval

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/mmatransfer/mma/internal/atomicfile"
)

// csvColumns are the CSV header fields, one per Row field, in the order
// WriteCSV writes them. ReadCSV accepts them in any order.
var csvColumns = []string{
	"surrogate", "attack", "target", "images",
	"clean_accuracy", "success_all", "success_correct", "fooling_rate",
	"mean_l2", "mean_linf", "seed", "config", "adv_set", "note",
}

// Identification of the JSON table format.
const (
	tableFormat  = "mma-transfer-table"
	tableVersion = 1
)

// WriteCSV writes t to path atomically as CSV: a header line with the
// columns surrogate, attack, target, images, clean_accuracy, success_all,
// success_correct, fooling_rate, mean_l2, mean_linf, seed, config,
// adv_set and note, then one line per row. Rates are fractions, floats
// are written with the fewest digits that read back exactly, and NaN is
// written as "NaN".
func WriteCSV(path string, t *Table) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		return EncodeCSV(w, t)
	})
}

// EncodeCSV writes t to w in the format of WriteCSV.
func EncodeCSV(w io.Writer, t *Table) error {
	out := csv.NewWriter(w)
	if err := out.Write(csvColumns); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := out.Write(csvRecord(r)); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

func csvRecord(r Row) []string {
	return []string{
		r.Surrogate, r.Attack, r.Target, strconv.Itoa(r.Images),
		formatFloat(r.CleanAccuracy), formatFloat(r.SuccessAll),
		formatFloat(r.SuccessCorrect), formatFloat(r.FoolingRate),
		formatFloat(r.MeanL2), formatFloat(r.MeanLinf),
		strconv.FormatInt(r.Seed, 10), r.Config, r.AdvSet, r.Note,
	}
}

func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ReadCSV reads a table written by WriteCSV. The header must contain every
// column of WriteCSV once, in any order, and no other. The table is
// validated as by Table.Validate.
func ReadCSV(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read table: %w", err)
	}
	defer f.Close()

	t, err := DecodeCSV(f)
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", path, err)
	}
	return t, nil
}

// DecodeCSV reads a table in the format of WriteCSV from r.
func DecodeCSV(r io.Reader) (*Table, error) {
	in := csv.NewReader(r)
	header, err := in.Read()
	if err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	position, err := csvPositions(header)
	if err != nil {
		return nil, err
	}

	t := &Table{}
	for line := 2; ; line++ {
		record, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		row, err := parseCSVRecord(record, position)
		if err != nil {
			return nil, fmt.Errorf("csv line %d: %w", line, err)
		}
		t.Rows = append(t.Rows, row)
	}

	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// csvPositions maps each column name to its index in header.
func csvPositions(header []string) (map[string]int, error) {
	known := make(map[string]bool, len(csvColumns))
	for _, name := range csvColumns {
		known[name] = true
	}

	position := make(map[string]int, len(header))
	for i, name := range header {
		if !known[name] {
			return nil, fmt.Errorf("csv header: unknown column %q, want only %s",
				name, strings.Join(csvColumns, ","))
		}
		if _, ok := position[name]; ok {
			return nil, fmt.Errorf("csv header: column %q appears twice", name)
		}
		position[name] = i
	}
	for _, name := range csvColumns {
		if _, ok := position[name]; !ok {
			return nil, fmt.Errorf("csv header: missing column %q", name)
		}
	}
	return position, nil
}

func parseCSVRecord(record []string, position map[string]int) (Row, error) {
	field := func(name string) string { return record[position[name]] }
	parser := fieldParser{field: field}

	row := Row{
		Surrogate:      field("surrogate"),
		Attack:         field("attack"),
		Target:         field("target"),
		Images:         parser.int("images"),
		CleanAccuracy:  parser.float("clean_accuracy"),
		SuccessAll:     parser.float("success_all"),
		SuccessCorrect: parser.float("success_correct"),
		FoolingRate:    parser.float("fooling_rate"),
		MeanL2:         parser.float("mean_l2"),
		MeanLinf:       parser.float("mean_linf"),
		Seed:           parser.int64("seed"),
		Config:         field("config"),
		AdvSet:         field("adv_set"),
		Note:           field("note"),
	}
	return row, parser.err
}

// fieldParser parses the numeric fields of a record and keeps the first
// error, so that parseCSVRecord fills a Row in one literal and checks once.
type fieldParser struct {
	field func(name string) string
	err   error
}

func (p *fieldParser) float(name string) float64 {
	v, err := strconv.ParseFloat(p.field(name), 64)
	p.keep(name, err)
	return v
}

func (p *fieldParser) int(name string) int {
	v, err := strconv.Atoi(p.field(name))
	p.keep(name, err)
	return v
}

func (p *fieldParser) int64(name string) int64 {
	v, err := strconv.ParseInt(p.field(name), 10, 64)
	p.keep(name, err)
	return v
}

func (p *fieldParser) keep(name string, err error) {
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("column %s: %w", name, err)
	}
}

// jsonTable is the JSON form of a Table.
type jsonTable struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Rows    []Row  `json:"rows"`
}

// WriteJSON writes t to path atomically as an indented JSON object
// {"format": "mma-transfer-table", "version": 1, "rows": [...]}, with one
// object per row whose keys are the CSV columns. JSON has no NaN, so a
// NaN rate or norm is written as null and read back as NaN.
func WriteJSON(path string, t *Table) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		return EncodeJSON(w, t)
	})
}

// EncodeJSON writes t to w in the format of WriteJSON.
func EncodeJSON(w io.Writer, t *Table) error {
	rows := t.Rows
	if rows == nil {
		rows = []Row{}
	}
	encoder := json.NewEncoder(w)
	encoder.SetIndent("", "  ")
	return encoder.Encode(jsonTable{Format: tableFormat, Version: tableVersion, Rows: rows})
}

// ReadJSON reads a table written by WriteJSON and validates it as by
// Table.Validate.
func ReadJSON(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read table: %w", err)
	}
	defer f.Close()

	t, err := DecodeJSON(f)
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", path, err)
	}
	return t, nil
}

// DecodeJSON reads a table in the format of WriteJSON from r.
func DecodeJSON(r io.Reader) (*Table, error) {
	var stored jsonTable
	decoder := json.NewDecoder(r)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&stored); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if stored.Format != tableFormat || stored.Version != tableVersion {
		return nil, fmt.Errorf("format %q version %d, want %q version %d",
			stored.Format, stored.Version, tableFormat, tableVersion)
	}

	t := &Table{Rows: stored.Rows}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// rowJSON mirrors Row with pointers for the floats, so that NaN can be
// stored as null.
type rowJSON struct {
	Surrogate      string   `json:"surrogate"`
	Attack         string   `json:"attack"`
	Target         string   `json:"target"`
	Images         int      `json:"images"`
	CleanAccuracy  *float64 `json:"clean_accuracy"`
	SuccessAll     *float64 `json:"success_all"`
	SuccessCorrect *float64 `json:"success_correct"`
	FoolingRate    *float64 `json:"fooling_rate"`
	MeanL2         *float64 `json:"mean_l2"`
	MeanLinf       *float64 `json:"mean_linf"`
	Seed           int64    `json:"seed"`
	Config         string   `json:"config"`
	AdvSet         string   `json:"adv_set"`
	Note           string   `json:"note,omitempty"`
}

// MarshalJSON encodes r with NaN floats as null. An infinite float is
// an error, as in encoding/json.
func (r Row) MarshalJSON() ([]byte, error) {
	return json.Marshal(rowJSON{
		Surrogate:      r.Surrogate,
		Attack:         r.Attack,
		Target:         r.Target,
		Images:         r.Images,
		CleanAccuracy:  nullableFloat(r.CleanAccuracy),
		SuccessAll:     nullableFloat(r.SuccessAll),
		SuccessCorrect: nullableFloat(r.SuccessCorrect),
		FoolingRate:    nullableFloat(r.FoolingRate),
		MeanL2:         nullableFloat(r.MeanL2),
		MeanLinf:       nullableFloat(r.MeanLinf),
		Seed:           r.Seed,
		Config:         r.Config,
		AdvSet:         r.AdvSet,
		Note:           r.Note,
	})
}

// UnmarshalJSON decodes a row written by MarshalJSON. A null or missing
// float becomes NaN, and an unknown key is an error.
func (r *Row) UnmarshalJSON(data []byte) error {
	var stored rowJSON
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&stored); err != nil {
		return err
	}

	*r = Row{
		Surrogate:      stored.Surrogate,
		Attack:         stored.Attack,
		Target:         stored.Target,
		Images:         stored.Images,
		CleanAccuracy:  floatOrNaN(stored.CleanAccuracy),
		SuccessAll:     floatOrNaN(stored.SuccessAll),
		SuccessCorrect: floatOrNaN(stored.SuccessCorrect),
		FoolingRate:    floatOrNaN(stored.FoolingRate),
		MeanL2:         floatOrNaN(stored.MeanL2),
		MeanLinf:       floatOrNaN(stored.MeanLinf),
		Seed:           stored.Seed,
		Config:         stored.Config,
		AdvSet:         stored.AdvSet,
		Note:           stored.Note,
	}
	return nil
}

func nullableFloat(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func floatOrNaN(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}
