// Package config is Approdo's configuration: one struct, read once from environment
// variables by the command that starts a process. Every variable is listed in the README.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config holds every setting of the api, worker and migrate processes.
type Config struct {
	// DatabaseURL is the PostgreSQL connection URL. The dev stack starts its own cluster
	// when it is empty; the production processes require it.
	DatabaseURL string `env:"DATABASE_URL"`

	TemporalAddress   string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233"`
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default"`
	TaskQueue         string `env:"TEMPORAL_TASK_QUEUE" envDefault:"approdo"`

	// HTTPAddr is where the API listens. Loopback by default: exposing it is a decision
	// for whoever deploys it, behind a TLS-terminating proxy.
	HTTPAddr string `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// RegisterTimeout bounds how long POST /api/v1/enrolments waits for the new case to be
	// recorded before answering 503 (the caller then retries the same request).
	RegisterTimeout time.Duration `env:"API_REGISTER_TIMEOUT" envDefault:"15s"`

	// ShutdownTimeout is how long a process waits for work in flight on SIGINT/SIGTERM.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`

	LogLevel  slog.Level `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string     `env:"LOG_FORMAT" envDefault:"auto"`
}

// Load reads the configuration from the environment and checks it.
func Load() (Config, error) {
	cfg, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("read configuration: %w", namedByVariable(err))
	}
	return cfg, cfg.check()
}

// namedByVariable rewrites the library's parse errors, which name the Go field, to name
// the environment variable the operator actually set.
func namedByVariable(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	fields := reflect.TypeFor[Config]()
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := fields.FieldByName(pe.Name); ok {
				name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
				msgs = append(msgs, fmt.Sprintf("%s: %v", name, pe.Err))
				continue
			}
		}
		msgs = append(msgs, e.Error())
	}
	return errors.New(strings.Join(msgs, "; "))
}

func (c Config) check() error {
	switch c.LogFormat {
	case "auto", "json", "text":
	default:
		return fmt.Errorf("LOG_FORMAT must be auto, json or text, not %q", c.LogFormat)
	}
	for name, d := range map[string]time.Duration{"API_REGISTER_TIMEOUT": c.RegisterTimeout, "SHUTDOWN_TIMEOUT": c.ShutdownTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s must be a positive duration such as 15s", name)
		}
	}
	if c.TemporalAddress == "" || c.TemporalNamespace == "" || c.TaskQueue == "" {
		return fmt.Errorf("TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_TASK_QUEUE must not be empty")
	}
	return nil
}

// RequireDatabase fails when no database is configured, for processes that cannot start
// their own.
func (c Config) RequireDatabase() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is required")
	}
	return nil
}

// LogValue lets the whole configuration be logged at start-up with the database password
// masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", MaskURL(c.DatabaseURL)),
		slog.String("temporal_address", c.TemporalAddress),
		slog.String("temporal_namespace", c.TemporalNamespace),
		slog.String("task_queue", c.TaskQueue),
		slog.String("http_addr", c.HTTPAddr),
		slog.Duration("register_timeout", c.RegisterTimeout),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
	)
}

// MaskURL hides the password of a connection URL.
func MaskURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Unparseable: it may still hold a secret, so show nothing of it.
		return "(unparseable)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
