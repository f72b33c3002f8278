package eval

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/mmatransfer/mma/internal/atomicfile"
)

// Cell texts for values a Markdown table cannot show as a number.
const (
	// markdownMissing marks a setting and target with no row.
	markdownMissing = "–"

	// markdownUndefined marks a NaN value: a rate with a zero denominator.
	markdownUndefined = "n/a"
)

// WriteMarkdown writes t to path atomically as a Markdown table (see
// EncodeMarkdown).
func WriteMarkdown(path string, t *Table, metric Metric) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		return EncodeMarkdown(w, t, metric)
	})
}

// EncodeMarkdown writes t to w as a caption line and a Markdown table.
// Rows are the surrogate and attack settings, columns the targets, both in
// order of first appearance. Each cell is metric in percent with one
// decimal, "–" where the table has no row for that setting and target and
// "n/a" where the rate is NaN. Two last columns give the setting's mean
// L2 and L-infinity perturbation norms in pixel units, averaged over its
// rows weighted by image count. The caption names the metric and the
// number of images. Rows with a Note are listed below the table as
// "- surrogate / attack on target: note". It returns an error for an
// invalid metric or a table that fails Table.Validate.
func EncodeMarkdown(w io.Writer, t *Table, metric Metric) error {
	if !metric.Valid() {
		return fmt.Errorf("markdown table: invalid metric %v", metric)
	}
	if err := t.Validate(); err != nil {
		return fmt.Errorf("markdown table: %w", err)
	}

	targets := t.Targets()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", markdownCaption(t, metric))

	header := append([]string{"surrogate", "attack"}, targets...)
	header = append(header, "mean L2", "mean L∞")
	writeMarkdownLine(&b, header)

	align := []string{"---", "---"}
	for range len(targets) + 2 {
		align = append(align, "---:")
	}
	writeMarkdownLine(&b, align)

	for _, setting := range t.Settings() {
		writeMarkdownLine(&b, markdownRow(t, setting, targets, metric))
	}
	writeMarkdownNotes(&b, t)

	_, err := io.WriteString(w, b.String())
	return err
}

// markdownCaption returns the caption line, which names the metric and the
// number of images.
func markdownCaption(t *Table, metric Metric) string {
	return fmt.Sprintf("Cells: %s, in percent, over %s. "+
		"Mean L2 and L∞: mean perturbation norms in pixel units [0, 1].",
		metric.Description(), imageCountText(t))
}

// imageCountText returns "N images" when every row has the same count,
// and the range of counts otherwise.
func imageCountText(t *Table) string {
	if len(t.Rows) == 0 {
		return "0 images"
	}
	low, high := t.Rows[0].Images, t.Rows[0].Images
	for _, r := range t.Rows {
		low = min(low, r.Images)
		high = max(high, r.Images)
	}
	if low == high {
		return fmt.Sprintf("%d images", low)
	}
	return fmt.Sprintf("%d to %d images per cell (see the CSV)", low, high)
}

func markdownRow(t *Table, setting Setting, targets []string, metric Metric) []string {
	cells := []string{setting.Surrogate, setting.Attack}
	for _, target := range targets {
		row, ok := t.Find(setting, target)
		if !ok {
			cells = append(cells, markdownMissing)
			continue
		}
		cells = append(cells, formatPercent(metric.Value(row)))
	}

	norms := t.settingNorms(setting)
	cells = append(cells, formatNorm(norms.MeanL2, 3), formatNorm(norms.MeanLinf, 4))
	return cells
}

func formatPercent(fraction float64) string {
	if math.IsNaN(fraction) {
		return markdownUndefined
	}
	return fmt.Sprintf("%.1f", 100*fraction)
}

func formatNorm(v float64, decimals int) string {
	if math.IsNaN(v) {
		return markdownUndefined
	}
	return fmt.Sprintf("%.*f", decimals, v)
}

// writeMarkdownNotes lists the notes of the rows, such as a remark that
// the images were rounded to 8 bits, so that the table states them.
func writeMarkdownNotes(b *strings.Builder, t *Table) {
	first := true
	for _, r := range t.Rows {
		if r.Note == "" {
			continue
		}
		if first {
			b.WriteString("\nNotes:\n\n")
			first = false
		}
		fmt.Fprintf(b, "- %s on %s: %s\n", r.Setting(), r.Target, escapeMarkdownLine(r.Note))
	}
}

func writeMarkdownLine(b *strings.Builder, cells []string) {
	b.WriteString("|")
	for _, cell := range cells {
		b.WriteString(" ")
		b.WriteString(escapeMarkdownCell(cell))
		b.WriteString(" |")
	}
	b.WriteString("\n")
}

// escapeMarkdownLine replaces line breaks with spaces.
func escapeMarkdownLine(text string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(text)
}

// escapeMarkdownCell keeps a pipe or line break inside text from ending
// the cell or the row.
func escapeMarkdownCell(text string) string {
	return escapeMarkdownLine(strings.ReplaceAll(text, "|", `\|`))
}
