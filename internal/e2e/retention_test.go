package e2e_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

// TestUSTErasesAClosedCaseOnRequest erases a case's personal data through the API: refused
// while the case runs, refused to the comune that filed it and hidden from another one,
// then done for UST, recorded on the timeline with its reason and in the audit log.
func TestUSTErasesAClosedCaseOnRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	reason := map[string]any{"reason": "richiesta della famiglia, prot. 123/2026"}

	b.actProblem(t, "ust", c.Id, "erasure", reason, http.StatusConflict)
	b.actOK(t, orgComune, c.Id, "withdrawal", map[string]any{"reason": "moved_abroad"})
	require.Eventually(t, func() bool { return b.getCase(t, c.Id).Stage == "withdrawn" }, 20*time.Second, 100*time.Millisecond)

	b.actProblem(t, orgComune, c.Id, "erasure", reason, http.StatusForbidden)
	b.actProblem(t, orgOtherComune, c.Id, "erasure", reason, http.StatusNotFound)
	r := b.as(t, "ust", http.MethodPost, "/api/v1/enrolments/"+c.Id+"/erasure", map[string]any{})
	require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
	require.Equal(t, "Olena", b.getCase(t, c.Id).Minor.GivenName, "nothing was erased so far")

	erased := b.actOK(t, "ust", c.Id, "erasure", reason)
	require.Empty(t, erased.Minor.GivenName)
	require.Empty(t, erased.Minor.FamilyName)
	require.Equal(t, "2017-01-01", erased.Minor.BirthDate, "the year stays")
	require.Nil(t, erased.Minor.CodiceFiscale)
	require.Equal(t, "withdrawn", erased.Stage)
	require.Equal(t, "015146", erased.Comune)
	last := (*erased.Timeline)[len(*erased.Timeline)-1]
	require.Equal(t, "personal_data_erased", last.Kind)
	require.Equal(t, "richiesta della famiglia, prot. 123/2026", *last.Note)

	again := b.actOK(t, "ust", c.Id, "erasure", reason)
	require.Len(t, *again.Timeline, len(*erased.Timeline), "erasing again records nothing")

	entries, err := store.New(b.pool).AuditLog(store.WithOrg(b.ctx, "ust"), store.AuditFilter{CaseID: c.Id})
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(entries, func(e store.AuditEntry) bool {
		return e.Action == "POST /api/v1/enrolments/:id/erasure" && e.Organisation == "ust"
	}), "the erasure is audited: %+v", entries)
}

// TestMigrateSchedulesRetention makes the retention Schedule twice (the second time
// updates it), sets the namespace retention, and triggers a run: the real worker
// pseudonymises the withdrawn case and reports its counts.
func TestMigrateSchedulesRetention(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	b.actOK(t, orgComune, c.Id, "withdrawal", map[string]any{"reason": "moved_abroad"})
	require.Eventually(t, func() bool { return b.getCase(t, c.Id).Stage == "withdrawn" }, 20*time.Second, 100*time.Millisecond)

	require.NoError(t, worker.SetNamespaceRetention(b.ctx, b.temporal, namespace, 720*time.Hour))
	ns, err := b.temporal.WorkflowService().DescribeNamespace(b.ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	require.NoError(t, err)
	require.Equal(t, 720*time.Hour, ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())

	require.NoError(t, worker.EnsureRetentionSchedule(b.ctx, b.temporal, b.taskQueue, workflows.RetentionInput{Period: 17520 * time.Hour}))
	// A second migrate, with a period short enough for the case just withdrawn.
	require.NoError(t, worker.EnsureRetentionSchedule(b.ctx, b.temporal, b.taskQueue, workflows.RetentionInput{Period: time.Millisecond}))
	handle := b.temporal.ScheduleClient().GetHandle(b.ctx, workflows.RetentionScheduleID)
	t.Cleanup(func() { _ = handle.Delete(b.ctx) })
	desc, err := handle.Describe(b.ctx)
	require.NoError(t, err)
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	require.Equal(t, b.taskQueue, action.TaskQueue)

	require.NoError(t, handle.Trigger(b.ctx, client.ScheduleTriggerOptions{}))
	var runID string
	require.Eventually(t, func() bool {
		desc, err := handle.Describe(b.ctx)
		require.NoError(t, err)
		if len(desc.Info.RecentActions) == 0 {
			return false
		}
		runID = desc.Info.RecentActions[0].StartWorkflowResult.WorkflowID
		return true
	}, 20*time.Second, 200*time.Millisecond)
	var res workflows.RetentionResult
	require.NoError(t, b.temporal.GetWorkflow(b.ctx, runID, "").Get(b.ctx, &res))
	require.Equal(t, workflows.RetentionDone, res.Stage)
	require.Equal(t, 1, res.Pseudonymised.Cases)
	require.Empty(t, b.getCase(t, c.Id).Minor.GivenName)
}
