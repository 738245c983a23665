package app_test

import (
	"testing"

	"github.com/caarlos0/env/v11"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/config"
)

func TestSuppressHidesOneToThreeBelowTheDefault(t *testing.T) {
	t.Parallel()
	var cfg config.Config
	require.NoError(t, env.Parse(&cfg))
	require.Equal(t, app.DefaultMinCell, cfg.MonitoringMinCell, "MONITORING_MIN_CELL defaults to 4")
	want := map[int]string{0: "0", 1: "<4", 2: "<4", 3: "<4", 4: "4", 5: "5", 1000: "1000"}
	for n, shown := range want {
		require.Equal(t, shown, app.Suppress(n, cfg.MonitoringMinCell), n)
	}
}

func TestSuppressThresholdComesFromConfiguration(t *testing.T) {
	t.Setenv("MONITORING_MIN_CELL", "10")
	var cfg config.Config
	require.NoError(t, env.Parse(&cfg))
	require.Equal(t, "<10", app.Suppress(9, cfg.MonitoringMinCell))
	require.Equal(t, "10", app.Suppress(10, cfg.MonitoringMinCell))
	require.Equal(t, "3", app.Suppress(3, 1), "1 shows every count")
}
