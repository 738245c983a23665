package logging_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/logging"
)

func TestAutoIsJSONWhenNotATerminal(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	require.NoError(t, err)
	defer f.Close()
	logging.New(f, slog.LevelInfo, "auto").Info("hello", "n", 1)
	b, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	var line map[string]any
	require.NoError(t, json.Unmarshal(b, &line))
	require.Equal(t, "hello", line["msg"])
}

func TestTextAndLevel(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logging.New(&buf, slog.LevelWarn, "text")
	log.Info("dropped")
	log.Warn("kept")
	require.NotContains(t, buf.String(), "dropped")
	require.Contains(t, buf.String(), "msg=kept")
}
