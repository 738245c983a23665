package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/config"
)

func TestTemporalGRPCCompressionIsOffByDefaultAndChecked(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	cfg, err := config.Load()
	require.NoError(t, err)
	require.Equal(t, "none", cfg.TemporalConnection().Compression, "sealed payloads do not shrink")

	t.Setenv("TEMPORAL_GRPC_COMPRESSION", "gzip")
	cfg, err = config.Load()
	require.NoError(t, err)
	require.Equal(t, "gzip", cfg.TemporalConnection().Compression)

	t.Setenv("TEMPORAL_GRPC_COMPRESSION", "zstd")
	_, err = config.Load()
	require.ErrorContains(t, err, "TEMPORAL_GRPC_COMPRESSION must be none or gzip")
}
