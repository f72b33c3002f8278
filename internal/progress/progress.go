// Package progress shows how far a long step has come (items done, rate,
// time left) on one rewritten line of a terminal. Where the output is not a
// terminal, as in pipes and CI, it prints nothing.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// minInterval is the least time between two redraws of the line.
const minInterval = 200 * time.Millisecond

// Bar reports the progress of one step. The zero value is not usable; call
// New. A nil *Bar is valid and reports nothing.
type Bar struct {
	mu       sync.Mutex
	out      io.Writer
	label    string
	unit     string
	total    int
	done     int
	started  time.Time
	lastDraw time.Time
	now      func() time.Time
}

// New returns a Bar that draws on out when out is a terminal and CI is not
// set in the environment, and a silent Bar otherwise. total is the number
// of items the step has; unit names them ("images", "batches").
func New(out io.Writer, label string, total int, unit string) *Bar {
	if !IsTerminal(out) {
		out = nil
	}
	return newBar(out, label, total, unit, time.Now)
}

func newBar(out io.Writer, label string, total int, unit string, now func() time.Time) *Bar {
	return &Bar{out: out, label: label, unit: unit, total: total, started: now(), now: now}
}

// IsTerminal reports whether w is a character device such as a terminal,
// and CI is not set in the environment.
func IsTerminal(w io.Writer) bool {
	if os.Getenv("CI") != "" {
		return false
	}
	file, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := file.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// Set records that done items are finished and redraws the line at most
// every 200 ms.
func (b *Bar) Set(done int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()

	b.done = done
	now := b.now()
	if b.out == nil || (now.Sub(b.lastDraw) < minInterval && done < b.total) {
		return
	}
	b.lastDraw = now
	fmt.Fprintf(b.out, "\r%s\x1b[K", b.line(now))
}

// Add records n more finished items.
func (b *Bar) Add(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	done := b.done + n
	b.mu.Unlock()
	b.Set(done)
}

// Done ends the line so that later output starts on a fresh one.
func (b *Bar) Done() {
	if b == nil || b.out == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.out, "\r%s\x1b[K\n", b.line(b.now()))
}

// line formats "label: 300/1000 images (42.0 images/s, 17s left)".
func (b *Bar) line(now time.Time) string {
	elapsed := now.Sub(b.started).Seconds()
	var parts []string
	parts = append(parts, fmt.Sprintf("%s: %d/%d %s", b.label, b.done, b.total, b.unit))
	if elapsed > 0 && b.done > 0 {
		rate := float64(b.done) / elapsed
		left := time.Duration(float64(b.total-b.done) / rate * float64(time.Second))
		parts = append(parts, fmt.Sprintf("(%.1f %s/s, %s left)", rate, b.unit,
			left.Round(time.Second)))
	}
	return strings.Join(parts, " ")
}
