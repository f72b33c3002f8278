package main

import (
	"fmt"
	"io"
	"time"

	"github.com/mmatransfer/mma/experiments"
	"github.com/mmatransfer/mma/internal/progress"
)

// terminalReporter prints log lines to out and draws progress on it when
// it is a terminal.
type terminalReporter struct {
	out     io.Writer
	started time.Time
}

func newReporter(out io.Writer) *terminalReporter {
	return &terminalReporter{out: out, started: time.Now()}
}

func (r *terminalReporter) Logf(format string, args ...any) {
	elapsed := time.Since(r.started).Round(time.Second)
	fmt.Fprintf(r.out, "[%8s] %s\n", elapsed, fmt.Sprintf(format, args...))
}

func (r *terminalReporter) Progress(label string, total int, unit string) experiments.Progress {
	return progress.New(r.out, label, total, unit)
}
