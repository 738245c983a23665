package pgcluster_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pgcluster"
)

// baseDir returns a new folder the postgres user can enter when the tests run as root:
// t.TempDir's parents are private to us, so it would not do.
func baseDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(pgcluster.TempDir(), "pgcluster-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func start(t *testing.T, o pgcluster.Options) *pgcluster.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	c, err := pgcluster.Start(ctx, o)
	require.NoError(t, err)
	t.Logf("Start took %v", time.Since(began).Round(time.Millisecond))
	// Registered so that a failing test does not leave a server behind; the tests stop
	// clusters themselves too, which makes this a no-op.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
	})
	return c
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

func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func queryString(t *testing.T, url, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var s string
	require.NoError(t, conn.QueryRow(ctx, sql).Scan(&s))
	return s
}

func TestFindBinDir(t *testing.T) {
	t.Parallel()
	dir, err := pgcluster.FindBinDir()
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(dir, "initdb"))
	require.FileExists(t, filepath.Join(dir, "postgres"))
}

func TestDataSurvivesARestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var steps []string
	opts := pgcluster.Options{
		DataDir:  filepath.Join(baseDir(t), "data"),
		Progress: func(msg string) { steps = append(steps, msg) },
	}

	c := start(t, opts)
	require.Len(t, steps, 2, "a new cluster is initialised, then started: %q", steps)
	require.Contains(t, steps[0], "initialising")
	require.Equal(t, "", queryString(t, c.URL("postgres"), "SHOW listen_addresses"), "without a port there is no TCP")
	require.Equal(t, "UTF8", queryString(t, c.URL("postgres"), "SHOW server_encoding"))
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	pid := c.PID()
	stop(t, c)
	require.True(t, processGone(pid), "postgres %d still runs after Stop", pid)
	stop(t, c) // a second Stop is harmless

	steps = nil
	c = start(t, opts)
	require.Equal(t, []string{"starting PostgreSQL…"}, steps, "an existing cluster is reused, not initialised again")
	require.Equal(t, "still here", queryString(t, c.URL("postgres"), "SELECT v FROM kept"))
	stop(t, c)
}

func TestSecondClusterOnTheSamePortFails(t *testing.T) {
	t.Parallel()
	// Another process can take a free port before we use it; try a few.
	var first *pgcluster.Cluster
	var port int
	var err error
	for range 5 {
		port = freePort(t)
		first, err = pgcluster.Start(context.Background(), pgcluster.Options{DataDir: filepath.Join(baseDir(t), "data"), Port: port, Ephemeral: true})
		if err == nil {
			break
		}
	}
	require.NoError(t, err)
	defer stop(t, first)
	require.Equal(t, "127.0.0.1", queryString(t, first.URL("postgres"), "SHOW listen_addresses"))
	require.Equal(t, "off", queryString(t, first.URL("postgres"), "SHOW fsync"), "an ephemeral cluster skips fsync")

	_, err = pgcluster.Start(context.Background(), pgcluster.Options{DataDir: filepath.Join(baseDir(t), "data"), Port: port, Ephemeral: true})
	require.Error(t, err)
	t.Logf("reported: %v", err)
	require.Contains(t, err.Error(), "port "+strconv.Itoa(port))
	require.Contains(t, err.Error(), "already in use")
}

// A server that exits during start-up is reported with the end of its log. A second
// server on a running cluster's data folder is the reliable way to get one: postgres
// finds the first one's lock file.
func TestEarlyExitShowsTheLog(t *testing.T) {
	t.Parallel()
	base := baseDir(t)
	opts := pgcluster.Options{DataDir: filepath.Join(base, "data"), Ephemeral: true}
	first := start(t, opts)

	_, err := pgcluster.Start(context.Background(), opts)
	require.Error(t, err)
	t.Logf("reported: %v", err)
	require.Contains(t, err.Error(), "exited during start-up")
	require.Contains(t, err.Error(), filepath.Join(base, "postgres.log"))
	require.Contains(t, err.Error(), `lock file "postmaster.pid" already exists`)

	// The failed attempt left the first server alone.
	require.Equal(t, "1", queryString(t, first.URL("postgres"), "SELECT '1'"))
	stop(t, first)
}

func TestLongDataDirGetsAShortSocketDir(t *testing.T) {
	t.Parallel()
	base := baseDir(t)
	deep := filepath.Join(base, strings.Repeat("a-rather-long-folder-name/", 5))
	require.NoError(t, os.MkdirAll(deep, 0o755))
	for dir := deep; dir != base; dir = filepath.Dir(dir) {
		require.NoError(t, os.Chmod(dir, 0o755), "whatever the umask, postgres must get through")
	}
	c := start(t, pgcluster.Options{DataDir: filepath.Join(deep, "data"), Ephemeral: true})
	require.True(t, strings.HasPrefix(c.SocketDir(), "/tmp/"), "socket folder %s", c.SocketDir())
	require.Equal(t, "1", queryString(t, c.URL("postgres"), "SELECT '1'"))
	stop(t, c)
	require.NoDirExists(t, c.SocketDir(), "a made-up socket folder is removed by Stop")
}

func TestStopPastTheDeadlineStillEndsTheServer(t *testing.T) {
	t.Parallel()
	c := start(t, pgcluster.Options{DataDir: filepath.Join(baseDir(t), "data"), Ephemeral: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// With no time left, Stop escalates at once; whether the fast shutdown won the race
	// decides between nil and an error, but either way the server is gone.
	_ = c.Stop(ctx)
	require.True(t, processGone(c.PID()))
}

// privateDir returns a new folder closed to everyone but us, as root's home folder or a
// private TMPDIR is.
func privateDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(pgcluster.TempDir(), "pgcluster-private-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o700))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// Run as root, PostgreSQL runs as the postgres user; a data folder below a folder closed
// to it is refused before initdb, naming that folder, instead of initdb failing with
// "fork/exec …: permission denied".
func TestDataBelowAPrivateFolderIsExplained(t *testing.T) {
	t.Parallel()
	private := privateDir(t)
	dataDir := filepath.Join(private, "approdo", ".dev", "postgres", "data")
	if os.Geteuid() != 0 {
		require.NoError(t, pgcluster.CheckReachable(dataDir), "PostgreSQL runs as ourselves: our own folders are always reachable")
		return
	}
	var unreachable *pgcluster.UnreachableError
	require.ErrorAs(t, pgcluster.CheckReachable(dataDir), &unreachable)
	require.Equal(t, private, unreachable.Closed)
	require.Equal(t, "postgres", unreachable.User)

	_, err := pgcluster.Start(context.Background(), pgcluster.Options{DataDir: dataDir, Ephemeral: true})
	require.ErrorAs(t, err, &unreachable)
	t.Logf("reported: %v", err)
	require.NotContains(t, err.Error(), "fork/exec")
	require.Contains(t, err.Error(), "may not enter "+private+" (mode 0700)")
	require.NoFileExists(t, filepath.Join(dataDir, "PG_VERSION"), "nothing was initialised")

	require.NoError(t, pgcluster.CheckReachable(filepath.Join(baseDir(t), "data")), "a folder open to others is reachable")
}

// A private TMPDIR, as root, would hide the clusters of pgtest and of these tests from
// the postgres user; TempDir then points elsewhere.
func TestTempDirIsReachableWithAPrivateTMPDIR(t *testing.T) {
	private := privateDir(t)
	t.Setenv("TMPDIR", private)
	require.NoError(t, pgcluster.CheckReachable(filepath.Join(pgcluster.TempDir(), "cluster", "data")))
	if os.Geteuid() == 0 {
		require.Equal(t, "/tmp", pgcluster.TempDir())
	} else {
		require.Equal(t, private, pgcluster.TempDir(), "without root the TMPDIR is kept")
	}
}
