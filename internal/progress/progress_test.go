package progress_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/progress"
)

func TestNonTerminalPrintsEveryTenth(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	line := progress.NewLine(&buf, "compiling", "packages")
	for i := 1; i <= 200; i++ {
		line.Update(i, 200, "pkg")
	}
	line.Done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 11, buf.String()) // 0%…100% in steps of ten
	require.Equal(t, "  compiling 200/200 packages (100%)", lines[len(lines)-1])
}

func TestNothingToDoSaysUpToDate(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	line := progress.NewLine(&buf, "compiling", "packages")
	line.Done()
	require.Equal(t, "  compiling: up to date\n", buf.String())
}
