package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/devtemporal/devtemporaltest"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
)

func TestMain(m *testing.M) { pgtest.Main(m, store.Migrate) }

type healthAnswer struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func get(t *testing.T, h http.Handler, path string) (int, healthAnswer, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Get(srv.URL + path)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var a healthAnswer
	if res.StatusCode != http.StatusNotFound {
		require.Equal(t, "application/json", res.Header.Get("Content-Type"))
		require.NoError(t, json.Unmarshal(body, &a), string(body))
	}
	return res.StatusCode, a, string(body)
}

// A worker whose PostgreSQL and Temporal both answer is ready; the probes are the real
// ones the process wires (a pgx pool's Ping, the SDK's CheckHealth).
func TestWorkerIsReadyWhenPostgresAndTemporalAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := devtemporaltest.Start(ctx, devtemporaltest.Options{})
	require.NoError(t, err)
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Stop(stopCtx)
	})
	tc, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort()})
	require.NoError(t, err)
	t.Cleanup(tc.Close)

	h := &worker.Health{Checks: worker.ReadinessChecks(pgtest.NewPool(t), tc)}
	status, a, _ := get(t, h.Handler(), worker.ReadyPath)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ready", a.Status)
	require.Equal(t, map[string]string{"postgres": "ok", "temporal": "ok"}, a.Checks)
}

// With PostgreSQL and Temporal unreachable the worker is alive (restarting it would not
// bring them back) but not ready, and the answer names the dependencies, not the error.
func TestWorkerIsAliveButNotReadyWithoutItsDependencies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Port 1 on loopback: nothing listens there, so both connections are refused.
	pool, err := pgxpool.New(ctx, "postgres://approdo:secret-password@127.0.0.1:1/approdo?connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	t.Cleanup(tc.Close)

	h := &worker.Health{Checks: worker.ReadinessChecks(pool, tc), Timeout: 3 * time.Second}
	status, a, _ := get(t, h.Handler(), worker.LivePath)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok", a.Status)

	status, a, body := get(t, h.Handler(), worker.ReadyPath)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "not ready", a.Status)
	require.Equal(t, map[string]string{"postgres": "unreachable", "temporal": "unreachable"}, a.Checks)
	require.NotContains(t, body, "secret-password")
	require.NotContains(t, body, "127.0.0.1")
}

// A dependency that hangs makes the worker not ready within the check's timeout, instead
// of hanging the orchestrator's probe; one failing dependency is named alone.
func TestAHungDependencyMakesTheWorkerNotReadyInTime(t *testing.T) {
	t.Parallel()
	h := &worker.Health{Timeout: 100 * time.Millisecond, Checks: []worker.Check{
		{Name: "postgres", Probe: func(context.Context) error { return nil }},
		{Name: "temporal", Probe: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}},
	}}
	began := time.Now()
	status, a, _ := get(t, h.Handler(), worker.ReadyPath)
	require.Less(t, time.Since(began), 2*time.Second)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, map[string]string{"postgres": "ok", "temporal": "unreachable"}, a.Checks)

	h.Checks[1].Probe = func(context.Context) error { return errors.New("boom") }
	h.Checks[0].Probe = h.Checks[1].Probe
	status, _, _ = get(t, h.Handler(), worker.ReadyPath)
	require.Equal(t, http.StatusServiceUnavailable, status)

	status, _, _ = get(t, h.Handler(), "/api/v1/cases")
	require.Equal(t, http.StatusNotFound, status, "the health server serves nothing else")
}
