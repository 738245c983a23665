package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

var retention *activities.Retention

// TestRetentionRunsInBatchesUntilNoneIsLeft pseudonymises a backlog of 25 rows in
// batches of 10 rows, then purges, and reports the counts, its stages and its progress.
func TestRetentionRunsInBatchesUntilNoneIsLeft(t *testing.T) {
	t.Parallel()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	start := time.Date(2028, 12, 1, 3, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	worker.Register(env, worker.Dependencies{Cases: &activities.Cases{}, Routing: &activities.Routing{}, Policies: &activities.Policies{}, Retention: &activities.Retention{}})

	period := 17520 * time.Hour
	left := store.Pseudonymised{Cases: 16, Journeys: 4, Interventions: 3, Imports: 2}
	var batches []activities.RetentionBatch
	var seen []workflows.RetentionResult
	env.OnActivity(retention.PseudonymiseClosed, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RetentionBatch) (store.Pseudonymised, error) {
			batches = append(batches, in)
			seen = append(seen, progress(t, env))
			var n store.Pseudonymised
			take := func(k *int, d *int) {
				m := min(*k, in.Rows-n.Total())
				*k -= m
				*d += m
			}
			take(&left.Cases, &n.Cases)
			take(&left.Journeys, &n.Journeys)
			take(&left.Interventions, &n.Interventions)
			take(&left.Imports, &n.Imports)
			return n, nil
		})
	env.OnActivity(retention.PurgeRetention, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, before, now time.Time) (store.Purged, error) {
			require.True(t, before.Equal(start.Add(-period)))
			require.False(t, now.Before(start))
			seen = append(seen, progress(t, env))
			return store.Purged{PECMessages: 7, AccountMessages: 2, Sessions: 30, Tokens: 4}, nil
		})
	var stages []string
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if stage, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(searchattr.Stage); ok {
			stages = append(stages, stage)
		}
	}).Return(nil)
	env.ExecuteWorkflow(workflows.RetentionWorkflowName, workflows.RetentionInput{Period: period, BatchRows: 10, BatchSize: 5})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.RetentionResult
	require.NoError(t, env.GetWorkflowResult(&res))

	require.Equal(t, workflows.RetentionResult{
		Before:        start.Add(-period),
		Stage:         workflows.RetentionDone,
		Pseudonymised: store.Pseudonymised{Cases: 16, Journeys: 4, Interventions: 3, Imports: 2},
		Batches:       3,
		Purged:        store.Purged{PECMessages: 7, AccountMessages: 2, Sessions: 30, Tokens: 4},
	}, res)
	require.Len(t, batches, 3, "10, 10, then the last 5: fewer than a batch means none is left")
	for _, b := range batches {
		require.Equal(t, activities.RetentionBatch{Before: start.Add(-period), Rows: 10, Size: 5}, b)
	}
	require.Equal(t, []string{workflows.RetentionPseudonymising, workflows.RetentionPurging, workflows.RetentionDone}, stages)
	// Progress can be asked while the run works: before each batch, and before the purge.
	require.Len(t, seen, 4)
	for i, want := range []int{0, 10, 20, 25} {
		require.Equal(t, want, seen[i].Pseudonymised.Total(), "progress before activity %d", i+1)
	}
	require.Equal(t, workflows.RetentionPurging, seen[3].Stage)
}

func progress(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.RetentionResult {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.QueryRetentionProgress)
	require.NoError(t, err)
	var p workflows.RetentionResult
	require.NoError(t, v.Get(&p))
	return p
}

func TestRetentionRefusesAPeriodOfZero(t *testing.T) {
	t.Parallel()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	worker.Register(env, worker.Dependencies{Cases: &activities.Cases{}, Routing: &activities.Routing{}, Policies: &activities.Policies{}, Retention: &activities.Retention{}})
	env.ExecuteWorkflow(workflows.RetentionWorkflowName, workflows.RetentionInput{})
	require.ErrorContains(t, env.GetWorkflowError(), "not positive")
}
