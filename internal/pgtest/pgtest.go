// Package pgtest gives each test a fresh PostgreSQL database, cloned from a template that
// was migrated once per test binary. Cloning takes about a tenth of a second, so every test
// can have a clean database of its own and run in parallel with the others.
//
// Without TEST_DATABASE_URL, each test binary starts a private cluster (see pgcluster) in a
// temporary folder and stops it when its tests end.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/approdo/approdo/internal/pgcluster"
)

// MigrateFunc brings the database at databaseURL to the current schema.
type MigrateFunc func(ctx context.Context, databaseURL string) error

// server is set by Run for the tests of this binary.
var server struct {
	admin    *pgxpool.Pool
	adminURL string
	template string
}

// Main runs the tests with a migrated template database and exits. Use it as
//
//	func TestMain(m *testing.M) { pgtest.Main(m, store.Migrate) }
func Main(m *testing.M, migrate MigrateFunc) {
	os.Exit(Run(m, migrate))
}

// Run is Main for a TestMain that has more to set up and tear down: it returns the exit
// code instead of exiting.
func Run(m *testing.M, migrate MigrateFunc) int {
	code, err := run(m, migrate)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	return code
}

func run(m *testing.M, migrate MigrateFunc) (int, error) {
	ctx := context.Background()
	adminURL := os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		cluster, cleanup, err := startPrivateCluster(ctx)
		if err != nil {
			return 0, err
		}
		defer cleanup()
		adminURL = cluster.URL("postgres")
	}

	admin, err := pgxpool.New(ctx, adminURL)
	if err != nil {
		return 0, fmt.Errorf("connect to the test server: %w", err)
	}
	defer admin.Close()

	template := "approdo_template_" + randomSuffix()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{template}.Sanitize()); err != nil {
		return 0, fmt.Errorf("create template database: %w", err)
	}
	defer func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{template}.Sanitize()+" WITH (FORCE)")
	}()
	templateURL, err := withDatabase(adminURL, template)
	if err != nil {
		return 0, err
	}
	if err := migrate(ctx, templateURL); err != nil {
		return 0, fmt.Errorf("migrate template database: %w", err)
	}

	server.admin, server.adminURL, server.template = admin, adminURL, template
	return m.Run(), nil
}

func startPrivateCluster(ctx context.Context) (*pgcluster.Cluster, func(), error) {
	// A short folder under the system temp dir, readable by the postgres user when we run
	// as root, and short enough for a unix socket path.
	base, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, nil, err
	}
	removeBase := func() { os.RemoveAll(base) }
	if err := os.Chmod(base, 0o755); err != nil {
		removeBase()
		return nil, nil, err
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{
		DataDir:   filepath.Join(base, "data"),
		SocketDir: filepath.Join(base, "run"),
		LogFile:   filepath.Join(base, "postgres.log"),
		Ephemeral: true,
	})
	if err != nil {
		removeBase()
		return nil, nil, fmt.Errorf("start a private PostgreSQL for the tests (or set TEST_DATABASE_URL): %w", err)
	}
	return cluster, func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cluster.Stop(stopCtx); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop PostgreSQL:", err)
		}
		removeBase()
	}, nil
}

// NewDatabase creates a database cloned from the migrated template and returns its URL.
// The database is dropped when the test ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	if server.admin == nil {
		tb.Fatal("pgtest: call pgtest.Main or pgtest.Run from TestMain first")
	}
	ctx := context.Background()
	name := "approdo_test_" + randomSuffix()
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE " + pgx.Identifier{server.template}.Sanitize()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := server.admin.Exec(ctx, create)
		if err == nil {
			break
		}
		// PostgreSQL refuses to copy a template while another session is connected to
		// it; such a session is short-lived, so wait for it.
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55006" && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		tb.Fatalf("pgtest: create test database: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := server.admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop test database: %v", err)
		}
	})
	dbURL, err := withDatabase(server.adminURL, name)
	if err != nil {
		tb.Fatal(err)
	}
	return dbURL
}

// NewPool returns a pool on a fresh database, closed when the test ends.
func NewPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), NewDatabase(tb))
	if err != nil {
		tb.Fatalf("pgtest: connect to test database: %v", err)
	}
	// Registered after NewDatabase's cleanup, so it runs first: the pool is closed before
	// its database is dropped.
	tb.Cleanup(pool.Close)
	return pool
}

func withDatabase(serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("parse database URL: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
