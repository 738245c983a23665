package pgcluster_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pgcluster"
)

// baseDir returns a folder that the postgres user can traverse when the tests run as root
// (t.TempDir's parents are private to us).
func baseDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func stop(t *testing.T, c *pgcluster.Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Stop(ctx))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestFindBinDir(t *testing.T) {
	t.Parallel()
	dir, err := pgcluster.FindBinDir()
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(dir, "initdb"))
}

func TestDataSurvivesARestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := baseDir(t)
	var steps []string
	opts := pgcluster.Options{
		DataDir:   filepath.Join(base, "data"),
		Ephemeral: false,
		Progress:  func(msg string) { steps = append(steps, msg) },
	}
	c, err := pgcluster.Start(ctx, opts)
	require.NoError(t, err)
	require.Len(t, steps, 2, "a new cluster is initialised, then started: %v", steps)
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	stop(t, c)
	require.NoError(t, c.Stop(ctx), "stopping twice is harmless")

	steps = nil
	c, err = pgcluster.Start(ctx, opts)
	require.NoError(t, err)
	defer stop(t, c)
	require.Equal(t, []string{"starting PostgreSQL"}, steps, "an existing cluster is reused, not initialised again")
	conn, err = pgx.Connect(ctx, c.URL("postgres"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var v string
	require.NoError(t, conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v))
	require.Equal(t, "still here", v)
}

func TestTCPPortInUseIsReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Another process can take a free port before we use it; try a few.
	var first *pgcluster.Cluster
	var port int
	var err error
	for range 5 {
		port = freePort(t)
		first, err = pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(baseDir(t), "data"), Port: port, Ephemeral: true})
		if err == nil {
			break
		}
	}
	require.NoError(t, err)
	defer stop(t, first)
	conn, err := pgx.Connect(ctx, first.URL("postgres"))
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	_, err = pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(baseDir(t), "data"), Port: port, Ephemeral: true})
	require.Error(t, err)
	require.Contains(t, err.Error(), "already in use")
}
