package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// TestListsArePlannedOncePerConnection proves that the unfiltered lists of every kind of
// reader, their next pages and the inbox keep one plan per prepared statement
// (PostgreSQL's generic plan) instead of planning each call, which cost more than running
// them at a million cases (list.go), and that a filtered list is left to PostgreSQL's
// choice. On a pool of one connection, pg_prepared_statements counts the plans: no custom
// plan for the former, and the five PostgreSQL makes with the values before it weighs a
// generic one for the latter.
func TestListsArePlannedOncePerConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner, pool := oneConnectionApp(t)
	app := store.New(pool)

	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		id := uuid.NewString()
		_, err := owner.Exec(ctx, `
			INSERT INTO enrolment_case (id, request_id, filed_by, request_hash, workflow_id, comune, level,
			    minor_given_name, minor_family_name, minor_birth_date, stage, created_at, hub, school,
			    task_kind, task_owner, task_due_at)
			VALUES ($1::uuid, $1::uuid, '015146', 'h', 'enrolment-' || $1::text, '015146', 'primaria', 'A', 'B', '2015-01-01',
			    'awaiting_proposal', $2, 'polo_start:1', 'MIIC90001A', 'propose_school', 'polo_start:1', $2)`,
			id, now.Add(-time.Duration(i)*time.Hour))
		require.NoError(t, err)
	}

	// plans returns the generic and custom plans made for the prepared statements of the
	// one connection whose text contains marker.
	plans := func(marker string) (generic, custom int) {
		require.NoError(t, pool.QueryRow(ctx, `
			SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)
			FROM pg_prepared_statements WHERE statement LIKE '%' || $1 || '%'`, marker).Scan(&generic, &custom))
		return generic, custom
	}
	const calls = 7
	for _, org := range []string{"ust", "comune:015146", "polo_start:1", "school:MIIC90001A"} {
		for range calls {
			cases, next, err := app.ListCases(store.WithOrg(ctx, org), store.CaseFilter{Now: now, Limit: 2})
			require.NoError(t, err)
			require.Len(t, cases, 2, org)
			// The next page has a cursor: a statement of its own, planned once as well.
			cases, _, err = app.ListCases(store.WithOrg(ctx, org), store.CaseFilter{Now: now, Limit: 2, After: next})
			require.NoError(t, err)
			require.Len(t, cases, 1, org)
		}
	}
	generic, custom := plans("FROM enrolment_case c WHERE true")
	require.Zero(t, custom, "custom plans of the unfiltered lists")
	// Four readers, two pages each; each statement planned once and reused.
	require.Equal(t, 4*2*calls, generic)

	hub := casework.Org{Kind: casework.OrgPoloStart, Code: "1"}
	for range calls {
		tasks, err := app.ListTasks(store.WithOrg(ctx, hub.String()), hub, now, 0)
		require.NoError(t, err)
		require.Len(t, tasks, 3)
	}
	generic, custom = plans("task_owner = $1")
	require.Zero(t, custom, "custom plans of the inbox")
	require.Equal(t, calls, generic)

	// A filter's selectivity depends on its value: PostgreSQL plans the first five
	// executions with the values, as it does for any prepared statement.
	for range calls {
		cases, _, err := app.ListCases(store.WithOrg(ctx, "ust"), store.CaseFilter{Now: now, Stage: casework.StageAwaitingProposal})
		require.NoError(t, err)
		require.Len(t, cases, 3)
	}
	_, custom = plans("c.stage = $1")
	require.GreaterOrEqual(t, custom, 5, "custom plans of a filtered list")
}
