package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
)

// readinessTimeout bounds each dependency check, so that a hung dependency makes /readyz
// answer "not ready" quickly instead of hanging the orchestrator's probe.
const readinessTimeout = 2 * time.Second

// healthz says the process is alive. It checks nothing else: a process that answers is
// alive even while its dependencies are down.
func healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz says whether the process can serve requests: PostgreSQL and Temporal answer.
func (s *Server) readyz(c *gin.Context) {
	checks := map[string]string{}
	ready := true
	check := func(name string, probe func(context.Context) error) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), readinessTimeout)
		defer cancel()
		if err := probe(ctx); err != nil {
			// The reason goes to the log; the body says only which dependency failed, since
			// a driver error can carry a host name or a user.
			s.log.WarnContext(c.Request.Context(), "readiness check failed", "dependency", name, "error", err)
			checks[name] = "non raggiungibile"
			ready = false
			return
		}
		checks[name] = "ok"
	}
	check("postgres", s.store.Ping)
	check("temporal", func(ctx context.Context) error {
		_, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	})
	if !ready {
		p := newProblem(http.StatusServiceUnavailable, problemUnavailable, "Servizio non pronto",
			"Una o più dipendenze non rispondono.")
		c.Header("Content-Type", problemContentType)
		c.JSON(http.StatusServiceUnavailable, struct {
			Problem
			Checks map[string]string `json:"checks"`
		}{p, checks})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": checks})
}
