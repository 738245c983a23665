package config_test

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/config"
)

func TestLoadDefaults(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	cfg, err := config.Load()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7233", cfg.TemporalAddress)
	require.Equal(t, "approdo", cfg.TaskQueue)
	require.Equal(t, 20*time.Second, cfg.ShutdownTimeout)
	require.Error(t, cfg.RequireDatabase())
}

func TestLoadRejectsBadValues(t *testing.T) {
	t.Setenv("LOG_FORMAT", "xml")
	_, err := config.Load()
	require.ErrorContains(t, err, "LOG_FORMAT")

	t.Setenv("LOG_FORMAT", "json")
	t.Setenv("SHUTDOWN_TIMEOUT", "soon")
	_, err = config.Load()
	require.ErrorContains(t, err, "SHUTDOWN_TIMEOUT")

	t.Setenv("SHUTDOWN_TIMEOUT", "-1s")
	_, err = config.Load()
	require.ErrorContains(t, err, "SHUTDOWN_TIMEOUT")
}

func TestLoggedConfigMasksThePassword(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://approdo:s3cret@db.example:5432/approdo?sslmode=require")
	cfg, err := config.Load()
	require.NoError(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", cfg)
	require.NotContains(t, buf.String(), "s3cret")
	require.Contains(t, buf.String(), "approdo:xxxxx@db.example")
}

func TestMaskURLHidesQueryPasswords(t *testing.T) {
	t.Parallel()
	require.NotContains(t, config.MaskURL("postgres://db/approdo?user=a&password=hunter2"), "hunter2")
	require.Equal(t, "(unparseable)", config.MaskURL("postgres://a:b@[::1"))
}
