package pgtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, databaseURL string) error {
		conn, err := pgx.Connect(ctx, databaseURL)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE TABLE note (body text NOT NULL)")
		return err
	})
}

// databaseName is the name of the database a URL from NewDatabase points at.
func databaseName(t *testing.T, dbURL string) string {
	t.Helper()
	config, err := pgx.ParseConfig(dbURL)
	require.NoError(t, err)
	return config.Database
}

// adminConn connects to the server's postgres database, apart from any test database.
func adminConn(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	config, err := pgx.ParseConfig(dbURL)
	require.NoError(t, err)
	config.Database = "postgres"
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, config)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	return conn
}

func databaseExists(t *testing.T, admin *pgx.Conn, name string) bool {
	t.Helper()
	var exists bool
	require.NoError(t, admin.QueryRow(context.Background(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists))
	return exists
}

// Two parallel tests, each with its own database; the one that inserts waits until the
// other has looked, so that the check means something.
func TestEachTestHasItsOwnDatabase(t *testing.T) {
	t.Parallel()
	inserted, looked := make(chan struct{}), make(chan struct{})
	t.Run("writes", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		pool := pgtest.NewPool(t)
		_, err := pool.Exec(ctx, "INSERT INTO note VALUES ('written by the other test')")
		require.NoError(t, err, "the template's migration is in every clone")
		close(inserted)
		select {
		case <-looked:
		case <-time.After(time.Minute):
			t.Fatal("the reading test never looked")
		}
		var n int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM note").Scan(&n))
		require.Equal(t, 1, n)
	})
	t.Run("reads", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		pool := pgtest.NewPool(t)
		defer close(looked)
		select {
		case <-inserted:
		case <-time.After(time.Minute):
			t.Fatal("the writing test never inserted")
		}
		var n int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM note").Scan(&n), "the migrated table comes from the template")
		require.Zero(t, n, "the other test's row is in its own database only")
	})
}

func TestDatabaseIsDroppedAfterTheTest(t *testing.T) {
	t.Parallel()
	var name, dbURL string
	t.Run("uses a database", func(t *testing.T) {
		dbURL = pgtest.NewDatabase(t)
		name = databaseName(t, dbURL)
		conn, err := pgx.Connect(context.Background(), dbURL)
		require.NoError(t, err)
		// Left open on purpose: the drop must not depend on the test's manners.
		_ = conn
	})
	require.NotEmpty(t, name)
	admin := adminConn(t, dbURL)
	require.False(t, databaseExists(t, admin, name), "database %s should be gone after its test", name)
}

func TestNamesAreUniqueAndReadable(t *testing.T) {
	t.Parallel()
	a := databaseName(t, pgtest.NewDatabase(t))
	b := databaseName(t, pgtest.NewDatabase(t))
	require.NotEqual(t, a, b)
	require.Contains(t, a, "testnamesareuniqueandreadable", "the test's name helps find a leftover")
	require.LessOrEqual(t, len(a), 63)
}

func TestManyParallelClones(t *testing.T) {
	t.Parallel()
	for i := range 8 {
		t.Run(fmt.Sprint("clone ", i), func(t *testing.T) {
			t.Parallel()
			began := time.Now()
			pool := pgtest.NewPool(t)
			t.Logf("NewPool took %v", time.Since(began).Round(time.Millisecond))
			_, err := pool.Exec(context.Background(), "INSERT INTO note VALUES ($1)", fmt.Sprint(i))
			require.NoError(t, err)
		})
	}
}

func TestNewDatabaseTiming(t *testing.T) {
	// Not parallel: measures one clone on an idle server.
	for range 3 {
		began := time.Now()
		pgtest.NewDatabase(t)
		t.Logf("NewDatabase took %v", time.Since(began).Round(time.Millisecond))
	}
}
