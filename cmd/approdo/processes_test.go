package main

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/config"
)

// A person running `approdo org create` wants its result, not the configuration; the
// processes that serve until stopped log it first, for whoever reads their logs later.
func TestOnlyLongRunningProcessesLogTheirConfiguration(t *testing.T) {
	t.Parallel()
	cfg := config.Config{LogLevel: slog.LevelInfo, LogFormat: "json", DatabaseURL: "postgres://approdo:secret@db/approdo"}
	for process, logged := range map[string]bool{
		"api": true, "worker": true,
		"org": false, "token": false, "user": false, "audit": false, "refdata": false, "migrate": false, "onboard": false,
	} {
		var out bytes.Buffer
		startLog(&out, process, cfg)
		if !logged {
			require.Empty(t, out.String(), process)
			continue
		}
		require.Contains(t, out.String(), `"msg":"starting"`, process)
		require.NotContains(t, out.String(), "secret", "the password is masked")
	}

	var out bytes.Buffer
	cfg.LogLevel = slog.LevelDebug
	startLog(&out, "org", cfg)
	require.Contains(t, out.String(), `"msg":"starting"`, "LOG_LEVEL=debug shows a command's configuration")
}
