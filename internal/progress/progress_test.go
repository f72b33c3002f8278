package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// clock is a fake time source that moves forward by step on every call.
type clock struct {
	now  time.Time
	step time.Duration
}

func (c *clock) read() time.Time {
	c.now = c.now.Add(c.step)
	return c.now
}

func TestBarShowsRateAndTimeLeft(t *testing.T) {
	var out bytes.Buffer
	fake := &clock{now: time.Unix(0, 0), step: time.Second}
	bar := newBar(&out, "attack", 10, "images", fake.read)

	bar.Set(5)

	line := out.String()
	if !strings.Contains(line, "attack: 5/10 images") {
		t.Errorf("line %q lacks the count", line)
	}
	if !strings.Contains(line, "5.0 images/s") {
		t.Errorf("line %q lacks the rate of 5 images in 1 s", line)
	}
	if !strings.Contains(line, "1s left") {
		t.Errorf("line %q lacks the time left for 5 more images", line)
	}
}

func TestBarSilentOutsideTerminal(t *testing.T) {
	var out bytes.Buffer
	bar := New(&out, "train", 3, "batches")
	bar.Add(1)
	bar.Add(2)
	bar.Done()
	if out.Len() != 0 {
		t.Errorf("bar wrote %q to a buffer, want nothing outside a terminal", out.String())
	}
}

func TestNilBarIsSilent(t *testing.T) {
	var bar *Bar
	bar.Set(1)
	bar.Add(1)
	bar.Done()
}
