// Package progress shows how far a long step has got, on one line: rewritten in place on a
// terminal, and every tenth of the way otherwise, so that a CI log stays short.
package progress

import (
	"fmt"
	"io"
	"os"
)

// Line reports the progress of one step.
type Line struct {
	w        io.Writer
	label    string
	unit     string
	terminal bool
	lastStep int
	shown    bool
}

// NewLine returns a Line writing to w, labelled like "compiling" and counting unit (e.g.
// "packages").
func NewLine(w io.Writer, label, unit string) *Line {
	terminal := false
	if f, ok := w.(*os.File); ok {
		if info, err := f.Stat(); err == nil {
			terminal = info.Mode()&os.ModeCharDevice != 0
		}
	}
	return &Line{w: w, label: label, unit: unit, terminal: terminal, lastStep: -1}
}

// Update reports that done of total units are finished; item names the latest one.
func (l *Line) Update(done, total int, item string) {
	if total <= 0 {
		return
	}
	l.shown = true
	percent := done * 100 / total
	if l.terminal {
		fmt.Fprintf(l.w, "\r\033[K  %s %d/%d %s (%d%%) %s", l.label, done, total, l.unit, percent, item)
		return
	}
	if step := percent / 10; step != l.lastStep {
		l.lastStep = step
		fmt.Fprintf(l.w, "  %s %d/%d %s (%d%%)\n", l.label, done, total, l.unit, percent)
	}
}

// Done ends the line. A step that never reported progress had nothing to do, and says so.
func (l *Line) Done() {
	switch {
	case !l.shown:
		fmt.Fprintf(l.w, "  %s: up to date\n", l.label)
	case l.terminal:
		fmt.Fprintln(l.w)
	}
}
