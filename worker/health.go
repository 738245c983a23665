package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
)

// The worker's health paths are the API's, so that an orchestrator probes both processes
// the same way (deploy/k8s and internal/deploycheck rely on it).
const (
	// LivePath answers 200 while the process serves HTTP at all.
	LivePath = "/healthz"
	// ReadyPath answers 200 only while PostgreSQL and Temporal answer.
	ReadyPath = "/readyz"
)

// Check is one dependency the worker needs in order to do its work.
type Check struct {
	Name  string
	Probe func(context.Context) error
}

// Pinger is what the readiness check needs of a PostgreSQL pool (*pgxpool.Pool has it).
type Pinger interface {
	Ping(context.Context) error
}

// ReadinessChecks are the worker's dependencies: PostgreSQL, which every activity
// writes to, and the Temporal frontend, which it polls.
func ReadinessChecks(db Pinger, tc client.Client) []Check {
	return []Check{
		{Name: "postgres", Probe: db.Ping},
		{Name: "temporal", Probe: func(ctx context.Context) error {
			_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}},
	}
}

// DefaultCheckTimeout bounds each dependency check, so that a hung dependency makes the
// readiness probe answer "not ready" within the orchestrator's probe timeout instead of
// hanging it.
const DefaultCheckTimeout = 2 * time.Second

// Health serves the worker's liveness and readiness. The worker has no other HTTP
// surface: this exists only for an orchestrator's probes (Kubernetes, a load balancer's
// health check, systemd's watchdog scripts).
type Health struct {
	Checks []Check
	// Timeout bounds each check; zero means DefaultCheckTimeout.
	Timeout time.Duration
	Log     *slog.Logger
}

// Handler returns the HTTP handler of LivePath and ReadyPath; any other path is 404.
func (h *Health) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+LivePath, func(w http.ResponseWriter, _ *http.Request) {
		// Alive means able to answer: a worker whose dependencies are down is still alive,
		// and restarting it would not bring them back.
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET "+ReadyPath, h.ready)
	return mux
}

func (h *Health) ready(w http.ResponseWriter, r *http.Request) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	checks := make(map[string]string, len(h.Checks))
	ready := true
	for _, c := range h.Checks {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		err := c.Probe(ctx)
		cancel()
		if err != nil {
			// The reason goes to the log only: a driver's error can name a host or a user.
			if h.Log != nil {
				h.Log.WarnContext(r.Context(), "readiness check failed", "dependency", c.Name, "error", err)
			}
			checks[c.Name] = "unreachable"
			ready = false
			continue
		}
		checks[c.Name] = "ok"
	}
	if !ready {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "checks": checks})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": checks})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
