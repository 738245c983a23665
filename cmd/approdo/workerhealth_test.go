package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/config"
	"github.com/approdo/approdo/internal/devtemporal"
)

// WORKER_HEALTH_ADDR turns the worker's probes on: unset, nothing listens; set, /healthz
// answers until the worker stops, and a port already taken stops the worker at start.
func TestWorkerHealthServesOnlyWhenConfiguredAndStopsWithTheWorker(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	pool, err := pgxpool.New(context.Background(), "postgres://approdo@127.0.0.1:1/approdo?connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	cfg := config.Config{ShutdownTimeout: 5 * time.Second}

	done, err := serveWorkerHealth(context.Background(), cfg, log, pool, tc)
	require.NoError(t, err)
	select {
	case <-done:
	default:
		t.Fatal("with WORKER_HEALTH_ADDR unset nothing is served")
	}

	port, err := devtemporal.FreePort("127.0.0.1")
	require.NoError(t, err)
	cfg.WorkerHealthAddr = fmt.Sprintf("127.0.0.1:%d", port)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done, err = serveWorkerHealth(ctx, cfg, log, pool, tc)
	require.NoError(t, err)

	res, err := http.Get("http://" + cfg.WorkerHealthAddr + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))

	_, err = serveWorkerHealth(context.Background(), cfg, log, pool, tc)
	require.ErrorContains(t, err, "WORKER_HEALTH_ADDR", "the port is taken")

	stop()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the health server did not stop with the worker")
	}
	_, err = net.DialTimeout("tcp", cfg.WorkerHealthAddr, time.Second)
	require.Error(t, err, "nothing listens once the worker stopped")
}
