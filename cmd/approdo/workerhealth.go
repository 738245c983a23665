package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/config"
	"github.com/approdo/approdo/worker"
)

// serveWorkerHealth answers the worker's liveness and readiness probes on
// WORKER_HEALTH_ADDR until ctx ends; with the variable unset it serves nothing. The
// returned channel closes when the server has stopped. A port that cannot be bound stops
// the worker from starting: an orchestrator told to probe it would kill it anyway.
func serveWorkerHealth(ctx context.Context, cfg config.Config, log *slog.Logger, pool *pgxpool.Pool, tc client.Client) (<-chan struct{}, error) {
	done := make(chan struct{})
	if cfg.WorkerHealthAddr == "" {
		close(done)
		return done, nil
	}
	listener, err := net.Listen("tcp", cfg.WorkerHealthAddr)
	if err != nil {
		close(done)
		return done, fmt.Errorf("listen on WORKER_HEALTH_ADDR %s: %w", cfg.WorkerHealthAddr, err)
	}
	log = log.With("part", "health")
	health := &worker.Health{Checks: worker.ReadinessChecks(pool, tc), Log: log}
	log.Info("worker health listening", "addr", listener.Addr().String(), "live", worker.LivePath, "ready", worker.ReadyPath)
	go func() {
		defer close(done)
		if err := api.Serve(ctx, listener, health.Handler(), cfg.ShutdownTimeout, log); err != nil {
			log.Error("worker health server stopped", "error", err)
		}
	}()
	return done, nil
}
