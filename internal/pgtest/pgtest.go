// Package pgtest gives each test a fresh PostgreSQL database, cloned from a template that
// is migrated once per test binary. A clone takes about a tenth of a second, so every test
// can have a clean database of its own and run in parallel with the others.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m, store.Migrate) }
//
// With TEST_DATABASE_URL set, the databases live on that server, whose user must be
// allowed to CREATE DATABASE; several test binaries can share it at once, since every
// name carries a random part. Without it, each test binary starts a private, unsynced
// cluster (see pgcluster) in a temporary folder and stops it when its tests end.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/approdo/approdo/internal/pgcluster"
)

// EnvDatabaseURL names the variable that points the tests at an existing server.
const EnvDatabaseURL = "TEST_DATABASE_URL"

// tempPrefix starts the name of every temporary folder holding a private cluster, so
// that the folders of test binaries that crashed can be recognised and removed.
const tempPrefix = "approdo-pgtest-"

// ownerFile, inside such a folder, holds the PID of the test binary using it.
const ownerFile = "owner.pid"

// maxIdentifier is PostgreSQL's limit on names (NAMEDATALEN - 1 bytes); longer names are
// silently truncated, which could make two of ours collide.
const maxIdentifier = 63

// MigrateFunc brings the database at databaseURL to the current schema. It must close
// every connection it opens before returning.
type MigrateFunc func(ctx context.Context, databaseURL string) error

// state is what Run prepares for the tests of this binary. It is written before m.Run
// and only read afterwards, so the tests need no lock to read it.
var state struct {
	ready    bool
	admin    *pgxpool.Pool
	adminURL string
	// prefix starts the name of every database this binary creates: "pgtest_<run id>_".
	prefix   string
	template string
	counter  atomic.Int64
}

// Main runs the tests with a migrated template database and exits with their code.
func Main(m *testing.M, migrate MigrateFunc) {
	os.Exit(Run(m, migrate))
}

// Run is Main for a TestMain that has more to set up or tear down: it returns the exit
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
	// testing.Verbose needs the flags; m.Run would parse them anyway.
	if !flag.Parsed() {
		flag.Parse()
	}
	var cleanups cleanupStack
	defer cleanups.run()
	// An interrupted test binary would otherwise exit without its deferred calls; the
	// server would then stop through pgcluster's parent-death signal, but its folder or,
	// on a shared server, the databases would remain.
	stopSignals := cleanups.onSignal()
	defer stopSignals()

	adminURL := os.Getenv(EnvDatabaseURL)
	if adminURL == "" {
		began := time.Now()
		cluster, dir, err := startPrivateCluster(ctx)
		if err != nil {
			return 0, err
		}
		cleanups.push(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := cluster.Stop(stopCtx); err != nil {
				fmt.Fprintln(os.Stderr, "pgtest: stop PostgreSQL:", err)
			}
			_ = os.RemoveAll(dir)
		})
		adminURL = cluster.URL("postgres")
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "pgtest: private PostgreSQL in %s ready in %v\n", dir, time.Since(began).Round(time.Millisecond))
		}
	}

	admin, err := pgxpool.New(ctx, adminURL)
	if err != nil {
		return 0, fmt.Errorf("connect to the test server: %w", err)
	}
	cleanups.push(admin.Close)

	dropAbandonedDatabases(ctx, admin)
	prefix := "pgtest_" + randomHex(6) + "_"
	template := identifier(prefix + templateMarker + binaryName())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{template}.Sanitize()); err != nil {
		return 0, fmt.Errorf("create the template database (the user of %s needs CREATEDB): %w", EnvDatabaseURL, err)
	}
	// The comment lets a later run drop the template if this process dies before it
	// can (see dropAbandonedDatabases).
	if _, err := admin.Exec(ctx, "COMMENT ON DATABASE "+pgx.Identifier{template}.Sanitize()+" IS "+quoteLiteral(ownerComment())); err != nil {
		return 0, fmt.Errorf("label the template database: %w", err)
	}
	// Clean-ups run last pushed first: the databases tests leaked go, then the template.
	cleanups.push(func() { dropDatabases(admin, template) })
	cleanups.push(func() { dropLeftovers(admin, prefix, template) })

	templateURL, err := withDatabase(adminURL, template)
	if err != nil {
		return 0, err
	}
	began := time.Now()
	if err := migrate(ctx, templateURL); err != nil {
		return 0, fmt.Errorf("migrate the template database: %w", err)
	}
	if err := closeTemplate(ctx, admin, template); err != nil {
		return 0, err
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "pgtest: template %s migrated in %v\n", template, time.Since(began).Round(time.Millisecond))
	}

	state.admin, state.adminURL, state.prefix, state.template = admin, adminURL, prefix, template
	state.ready = true
	return m.Run(), nil
}

// closeTemplate bars new connections to the template and waits for the migration's to
// go: PostgreSQL refuses to copy a database that has other sessions.
func closeTemplate(ctx context.Context, admin *pgxpool.Pool, template string) error {
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{template}.Sanitize()+" WITH ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("close the template database to connections: %w", err)
	}
	// A closed client connection leaves its server process a moment later.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var open int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", template).Scan(&open); err != nil {
			return fmt.Errorf("count connections to the template database: %w", err)
		}
		if open == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "pgtest: the migration left %d connection(s) open to %s; terminating them\n", open, template)
			_, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", template)
			if err != nil {
				return fmt.Errorf("terminate connections to the template database: %w", err)
			}
			deadline = time.Now().Add(5 * time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// templateMarker follows the run's prefix in the name of a template database.
const templateMarker = "template_"

// ownerCommentPrefix starts the comment that names the process owning a template.
const ownerCommentPrefix = "pgtest owner: "

// ownerComment identifies this process across test binaries and containers sharing a
// server: the boot and the PID namespace tell whether its PID can be checked from
// another process, the PID whether it still runs.
func ownerComment() string {
	bootID, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	pidNS, _ := os.Readlink("/proc/self/ns/pid")
	return fmt.Sprintf("%sboot=%s pidns=%s pid=%d", ownerCommentPrefix, strings.TrimSpace(string(bootID)), pidNS, os.Getpid())
}

// abandonedBy reports whether comment names a process that could be checked from here
// and no longer runs.
func abandonedBy(comment string) bool {
	mine := strings.Fields(strings.TrimPrefix(ownerComment(), ownerCommentPrefix))
	theirs := strings.Fields(strings.TrimPrefix(comment, ownerCommentPrefix))
	if !strings.HasPrefix(comment, ownerCommentPrefix) || len(mine) != 3 || len(theirs) != 3 {
		return false
	}
	if mine[0] != theirs[0] || mine[1] != theirs[1] || mine[0] == "boot=" || mine[1] == "pidns=" {
		// Another machine, container or boot: whether it runs cannot be told from here.
		return false
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(theirs[2], "pid="))
	return err == nil && pid > 0 && !alive(pid)
}

// dropAbandonedDatabases drops the databases that test binaries left behind on this
// server when they died before cleaning up (a panic or a timeout ends the process at
// once). Only runs whose process could be checked from here, and ours to drop, are
// touched.
func dropAbandonedDatabases(ctx context.Context, admin *pgxpool.Pool) {
	rows, err := admin.Query(ctx, `
		SELECT datname, shobj_description(oid, 'pg_database')
		FROM pg_database
		WHERE datname LIKE 'pgtest\_%' AND datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)
			AND shobj_description(oid, 'pg_database') LIKE $1`, ownerCommentPrefix+"%")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: look for abandoned databases:", err)
		return
	}
	type labelled struct{ name, comment string }
	templates, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (labelled, error) {
		var l labelled
		return l, row.Scan(&l.name, &l.comment)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: look for abandoned databases:", err)
		return
	}
	for _, t := range templates {
		prefix, _, ok := strings.Cut(t.name, templateMarker)
		if !ok || !abandonedBy(t.comment) {
			continue
		}
		dropLeftovers(admin, prefix, t.name)
		dropDatabases(admin, t.name)
	}
}

// quoteLiteral quotes s as an SQL string literal; COMMENT takes no parameters.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// dropLeftovers drops the databases of this binary that a test failed to drop, for
// example because its cleanup never ran.
func dropLeftovers(admin *pgxpool.Pool, prefix, template string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2", prefix, template)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: list leftover databases:", err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: list leftover databases:", err)
		return
	}
	dropDatabases(admin, names...)
}

func dropDatabases(admin *pgxpool.Pool, names ...string) {
	for _, name := range names {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: drop database %s: %v\n", name, err)
		}
		cancel()
	}
}

// startPrivateCluster starts an ephemeral cluster, reachable only through a unix socket,
// in a new temporary folder that it returns.
func startPrivateCluster(ctx context.Context) (*pgcluster.Cluster, string, error) {
	removeAbandonedFolders()
	// Not simply TMPDIR: run as root, postgres runs as its own user, which may not enter
	// a private TMPDIR.
	dir, err := os.MkdirTemp(pgcluster.TempDir(), tempPrefix)
	if err != nil {
		return nil, "", fmt.Errorf("create a folder for PostgreSQL: %w", err)
	}
	// Run as root, postgres runs as its own user, which must be able to enter the folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", err
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{
		DataDir:   filepath.Join(dir, "data"),
		LogFile:   filepath.Join(dir, "postgres.log"),
		Ephemeral: true,
		// No Port: no TCP at all, so parallel test binaries cannot collide. The socket
		// goes next to the data, or to a short folder under /tmp if that path is too long.
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", fmt.Errorf("start a private PostgreSQL for the tests (or set %s): %w", EnvDatabaseURL, err)
	}
	return cluster, dir, nil
}

// removeAbandonedFolders removes the cluster folders of test binaries that died without
// cleaning up (a panic or a timeout ends the process at once). A folder is abandoned when
// neither the binary that made it nor its postgres is alive.
func removeAbandonedFolders() {
	dirs, _ := filepath.Glob(filepath.Join(pgcluster.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		owner, ok := readPID(filepath.Join(dir, ownerFile))
		if !ok || alive(owner) {
			// Without an owner file the folder is being created, or is not ours.
			continue
		}
		if server, ok := readPID(filepath.Join(dir, "data", "postmaster.pid")); ok && alive(server) {
			// Still shutting down after its parent died; the next run will see to it.
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

func readPID(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	return pid, err == nil && pid > 0
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// NewDatabase creates a database cloned from the migrated template and returns its URL.
// The database is dropped, whoever is still connected, when the test ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	if !state.ready {
		tb.Fatal("pgtest: no test database server: call pgtest.Main (or pgtest.Run) from TestMain in this package")
	}
	waitIfInterrupted()
	name := identifier(state.prefix + strconv.FormatInt(state.counter.Add(1), 10) + "_" + tb.Name())
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE " + pgx.Identifier{state.template}.Sanitize()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for attempt := 1; ; attempt++ {
		_, err := state.admin.Exec(ctx, create)
		if err == nil {
			break
		}
		waitIfInterrupted()
		// "source database is being accessed by other users": PostgreSQL refuses to copy
		// a database that has other sessions. The template takes no new connections, so
		// such a session is on its way out; wait for it, briefly.
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55006" && attempt < 50 {
			time.Sleep(time.Duration(20+attempt*5) * time.Millisecond)
			continue
		}
		tb.Fatalf("pgtest: create test database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE: a test may leave connections open, which must not keep its data.
		if _, err := state.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			waitIfInterrupted()
			tb.Errorf("pgtest: drop test database %s: %v", name, err)
		}
	})
	dbURL, err := withDatabase(state.adminURL, name)
	if err != nil {
		tb.Fatal(err)
	}
	return dbURL
}

// NewPool returns a pool on a fresh database (see NewDatabase), closed when the test ends.
func NewPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), NewDatabase(tb))
	if err != nil {
		tb.Fatalf("pgtest: connect to the test database: %v", err)
	}
	// Cleanups run last-in first-out: the pool closes before its database is dropped.
	tb.Cleanup(pool.Close)
	return pool
}

// withDatabase returns serverURL pointing at the database name. It accepts both forms
// pgx does: a URL, or keyword=value pairs.
func withDatabase(serverURL, name string) (string, error) {
	if !strings.HasPrefix(serverURL, "postgres://") && !strings.HasPrefix(serverURL, "postgresql://") {
		// In keyword=value form the last setting wins. Our names need no quoting.
		return serverURL + " dbname=" + name, nil
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("parse the database URL: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// identifier makes s a database name that needs no quoting and fits PostgreSQL's limit:
// lower-case letters, digits and underscores, cut to 63 bytes. Every caller puts the
// part that makes the name unique first, so cutting the end keeps it unique.
func identifier(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() == maxIdentifier {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// binaryName names the test binary ("store.test" gives "store"), to tell templates
// apart on a shared server.
func binaryName() string {
	return strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux
	return hex.EncodeToString(b)
}

// cleanupStack runs clean-up functions once, last pushed first, at the end of Run or on
// SIGINT/SIGTERM, whichever comes first. A second caller waits for the first to finish,
// so that the process cannot exit halfway through.
type cleanupStack struct {
	mu    sync.Mutex
	funcs []func()
	once  sync.Once
}

func (s *cleanupStack) push(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.funcs = append(s.funcs, f)
}

func (s *cleanupStack) run() {
	s.once.Do(func() {
		s.mu.Lock()
		funcs := s.funcs
		s.mu.Unlock()
		for i := len(funcs) - 1; i >= 0; i-- {
			funcs[i]()
		}
	})
}

// interrupted is set once a signal has started the clean-up: the server is going away,
// so tests asking for databases now just wait for the exit instead of failing by the
// hundred.
var interrupted atomic.Bool

// waitIfInterrupted blocks for good when the binary is being interrupted.
func waitIfInterrupted() {
	if interrupted.Load() {
		select {}
	}
}

// onSignal cleans up and exits when the binary is interrupted; the returned function
// stops listening.
func (s *cleanupStack) onSignal() func() {
	signals := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-signals:
			interrupted.Store(true)
			fmt.Fprintf(os.Stderr, "pgtest: %v: dropping the test databases and stopping\n", sig)
			s.run()
			os.Exit(1)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(signals)
		close(done)
	}
}
