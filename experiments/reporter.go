package experiments

// Reporter receives what a run is doing, so that the CLI can show it.
// Packages of the toolkit never print; a nil Reporter shows nothing.
type Reporter interface {
	// Logf describes, in plain words, a step that finished or a result
	// that was reused.
	Logf(format string, args ...any)

	// Progress starts a step of total items, named by label and counted
	// in unit ("images", "batches").
	Progress(label string, total int, unit string) Progress
}

// Progress follows one step of a run.
type Progress interface {
	// Set records that done items are finished.
	Set(done int)

	// Done ends the step.
	Done()
}

// silent is the Reporter used in place of a nil one.
type silent struct{}

func (silent) Logf(string, ...any)                   {}
func (silent) Progress(string, int, string) Progress { return silentProgress{} }

type silentProgress struct{}

func (silentProgress) Set(int) {}
func (silentProgress) Done()   {}

// orSilent returns r, or a Reporter that shows nothing when r is nil.
func orSilent(r Reporter) Reporter {
	if r == nil {
		return silent{}
	}
	return r
}

// counter adapts p to the done, total callbacks of eval.
func counter(p Progress) func(done, total int) {
	return func(done, _ int) { p.Set(done) }
}
