// Package logging builds Approdo's slog loggers: JSON for machines, text for a person at a
// terminal.
package logging

import (
	"io"
	"log/slog"
	"os"
)

// New returns a logger writing to w at level. format is "json", "text", or "auto": text
// when w is a terminal, JSON otherwise (a log collector reads it).
func New(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" || (format == "auto" && isTerminal(w)) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
