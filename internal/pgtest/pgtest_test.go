package pgtest_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

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

func TestEachTestHasItsOwnDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := pgtest.NewPool(t), pgtest.NewPool(t)

	_, err := a.Exec(ctx, "INSERT INTO note VALUES ('only in a')")
	require.NoError(t, err, "the template's migration is in every clone")

	var inA, inB int
	require.NoError(t, a.QueryRow(ctx, "SELECT count(*) FROM note").Scan(&inA))
	require.NoError(t, b.QueryRow(ctx, "SELECT count(*) FROM note").Scan(&inB))
	require.Equal(t, 1, inA)
	require.Equal(t, 0, inB)
}

func TestDatabaseIsDroppedAfterTheTest(t *testing.T) {
	t.Parallel()
	var name string
	var adminURL string
	t.Run("uses a database", func(t *testing.T) {
		dbURL := pgtest.NewDatabase(t)
		u, err := url.Parse(dbURL)
		require.NoError(t, err)
		name = strings.TrimPrefix(u.Path, "/")
		u.Path = "/postgres"
		adminURL = u.String()
	})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var exists bool
	require.NoError(t, conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists))
	require.False(t, exists, "database %s should be gone", name)
	require.NotEmpty(t, name)
}

func TestManyParallelClones(t *testing.T) {
	t.Parallel()
	for i := range 8 {
		t.Run("clone", func(t *testing.T) {
			t.Parallel()
			pool := pgtest.NewPool(t)
			_, err := pool.Exec(context.Background(), "INSERT INTO note VALUES ($1)", fmt.Sprint(i))
			require.NoError(t, err)
		})
	}
}
