package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

// TestListsNameTheCallerForTheirQueryOnly proves that a list read in one round trip (the
// caller's name and the query sent as one batch) is read as the caller, and that the name
// ends with it: on a pool of one connection, a comune's list and a hub's inbox see their
// own cases, and the same connection afterwards names nobody and sees none.
func TestListsNameTheCallerForTheirQueryOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner, pool := oneConnectionApp(t)
	app := store.New(pool)

	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct{ comune, hub string }{{"015146", "polo_start:1"}, {"015146", "polo_start:1"}, {"015209", "cti:22"}} {
		id := uuid.NewString()
		_, err := owner.Exec(ctx, `
			INSERT INTO enrolment_case (id, request_id, filed_by, request_hash, workflow_id, comune, level,
			    minor_given_name, minor_family_name, minor_birth_date, stage, created_at, hub,
			    task_kind, task_owner, task_due_at)
			VALUES ($1::uuid, $1::uuid, $2, 'h', 'enrolment-' || $1::text, $2, 'primaria', 'A', 'B', '2015-01-01',
			    'awaiting_proposal', $3, $4, 'propose_school', $4, $3)`, id, c.comune, now, c.hub)
		require.NoError(t, err)
	}
	namedNow := func() string {
		var org string
		require.NoError(t, pool.QueryRow(ctx, "SELECT coalesce(current_setting('approdo.org', true), '')").Scan(&org))
		return org
	}

	cases, _, err := app.ListCases(store.WithOrg(ctx, "comune:015146"), store.CaseFilter{Now: now})
	require.NoError(t, err)
	require.Len(t, cases, 2)
	for _, c := range cases {
		require.Equal(t, "015146", c.Comune)
	}
	require.Empty(t, namedNow(), "the caller's name ends with the list's query")

	hub := casework.Org{Kind: casework.OrgCTI, Code: "22"}
	tasks, err := app.ListTasks(store.WithOrg(ctx, hub.String()), hub, now, 0)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.Equal(t, "015209", tasks[0].Comune)
	require.Empty(t, namedNow(), "the caller's name ends with the inbox's query")

	cases, _, err = app.ListCases(ctx, store.CaseFilter{Now: now})
	require.NoError(t, err)
	require.Empty(t, cases, "a caller that names nobody sees no case")
	all, _, err := app.ListCases(store.WithOrg(ctx, "ust"), store.CaseFilter{Now: now})
	require.NoError(t, err)
	require.Len(t, all, 3)
}

// oneConnectionApp opens a fresh database as its owner, and a pool of one connection as
// the application role, so that a test sees what one connection keeps from one call to
// the next (the caller's name, prepared statements and their plans).
func oneConnectionApp(t *testing.T) (owner, app *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	owner, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	// The URL may carry a query already (a socket folder, sslmode).
	separator := "?"
	if strings.Contains(appURL, "?") {
		separator = "&"
	}
	app, err = store.OpenApp(ctx, appURL+separator+"pool_max_conns=1")
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return owner, app
}
