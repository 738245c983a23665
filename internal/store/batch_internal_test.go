package store

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pgtest"
)

// batchInOrg's statements are one implicit transaction: a failing one undoes those
// before it, and the caller's name holds for every statement, then ends with them.
func TestBatchInOrgIsAllOrNothing(t *testing.T) {
	t.Parallel()
	// One connection, so that the last check reads the connection the batches ran on.
	url := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	pool, err := Open(context.Background(), url+sep+"pool_max_conns=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s := New(pool)
	ctx := WithOrg(context.Background(), "ust")
	audit := func(action string) pgx.NamedArgs {
		return pgx.NamedArgs{"actor": "test", "organisation": "ust", "action": action, "case_id": nil,
			"request_id": "r", "outcome": "ok", "client_address": "127.0.0.1", "subject": ""}
	}
	count := func(action string) (n int) {
		require.NoError(t, s.pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log WHERE action = $1", action).Scan(&n))
		return n
	}

	b := &pgx.Batch{}
	b.Queue(insertAuditSQL, audit("undone"))
	b.Queue("SELECT 1 / 0")
	require.Error(t, s.batchInOrg(ctx, b, nil))
	require.Zero(t, count("undone"), "the failure rolled back the insert before it")

	var first, second string
	b = &pgx.Batch{}
	b.Queue("SELECT current_setting('approdo.org', true)")
	b.Queue(insertAuditSQL, audit("kept"))
	b.Queue("SELECT current_setting('approdo.org', true)")
	require.NoError(t, s.batchInOrg(ctx, b, func(br pgx.BatchResults) error {
		if err := br.QueryRow().Scan(&first); err != nil {
			return err
		}
		if _, err := br.Exec(); err != nil {
			return err
		}
		return br.QueryRow().Scan(&second)
	}))
	require.Equal(t, "ust", first)
	require.Equal(t, "ust", second)
	require.Equal(t, 1, count("kept"))

	var after *string
	require.NoError(t, s.pool.QueryRow(context.Background(), "SELECT nullif(current_setting('approdo.org', true), '')").Scan(&after))
	require.Nil(t, after, "the caller's name ended with the batch")
}
