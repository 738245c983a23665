package e2e_test

import (
	"context"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/activities"
)

// maxEventsPerCase bounds the Temporal history events one case costs from filing to
// acceptance: its own workflow's and those of the workflows that deliver its notices.
// Each event is a write to Temporal's database, so a change that adds events is a
// regression in throughput even when every test still passes. Lower the bound when a
// change saves events; raise it only for a reason written here.
//
// Measured: 196–199 with a scheduled activity per database write (the case's workflow
// 103, its notices 5×13 and the comune's PEC 28–31, the receipts arriving in one
// workflow task or several); 137–140 once the case's short writes after its recording
// ran as local activities (workflows/progress.go), the case's workflow down to 44; 75
// once the five email notices went out from the worker's dispatcher with no workflow
// each (internal/dispatch), the comune's PEC keeping its workflow of 28–31; 57–60 once the
// case asked one GetVersion for its four earlier changes, upserted its search attributes
// once a step and kept one timer (workflows/progress.go, leanChange; the case's workflow
// down to 35), and the PEC recorded its outcome in a local activity and left its receipt
// timer uncancelled (workflows/delivery.go; 22–25, the two receipts arriving in one
// workflow task or two); 51 once the PEC was sent by a local activity in its first
// workflow task and the poller signalled only its delivery receipt (workflows/delivery.go
// localSendChange: 16 events, two workflow tasks); 46 once the case was recorded by a
// local activity in its first workflow task (workflows/enrolment.go
// recordInFirstTaskChange: the case's workflow 30 events, three workflow tasks).
const maxEventsPerCase = 47

// caseEvents counts the history events of a case's workflow and of the workflows that
// delivered its notices, once every notice is delivered or given up.
type caseEvents struct {
	Case    int
	Notices map[string]int // by notice workflow ID
}

func (e caseEvents) total() int {
	n := e.Case
	for _, v := range e.Notices {
		n += v
	}
	return n
}

// countCaseEvents waits for the delivery of every notice of the case, then counts.
func (b *bundle) countCaseEvents(t *testing.T, caseID, workflowID string) caseEvents {
	t.Helper()
	rows, err := b.pool.Query(b.ctx, `SELECT key FROM notification WHERE case_id = $1`, caseID)
	require.NoError(t, err)
	var keys []string
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		keys = append(keys, k)
	}
	require.NoError(t, rows.Err())
	sort.Strings(keys)
	e := caseEvents{Case: b.historyLength(t, workflowID), Notices: map[string]int{}}
	for _, k := range keys {
		var dispatched bool
		require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT dispatched FROM notification WHERE key = $1`, k).Scan(&dispatched))
		id := activities.NoticeWorkflowID(k)
		if dispatched {
			// Sent by the worker's dispatcher: no workflow, no event. Once it is settled,
			// there is still none.
			require.Eventually(t, func() bool {
				var due bool
				err := b.pool.QueryRow(b.ctx, `SELECT dispatch_due IS NOT NULL FROM notification WHERE key = $1`, k).Scan(&due)
				return err == nil && !due
			}, 60*time.Second, 100*time.Millisecond, "notice %s settled", k)
			_, err := b.temporal.DescribeWorkflowExecution(b.ctx, id, "")
			require.Error(t, err, "an email notice has no workflow")
			e.Notices[id] = 0
			continue
		}
		// A notice refused for good fails its workflow; it is counted all the same.
		_ = b.temporal.GetWorkflow(b.ctx, id, "").Get(b.ctx, nil)
		e.Notices[id] = b.historyLength(t, id)
	}
	return e
}

func (b *bundle) historyLength(t *testing.T, workflowID string) int {
	t.Helper()
	iter := b.temporal.GetWorkflowHistory(b.ctx, workflowID, "", false, 0)
	n := 0
	for iter.HasNext() {
		_, err := iter.Next()
		require.NoError(t, err)
		n++
	}
	return n
}

// TestACaseCostsABoundedNumberOfEvents runs one case from filing to acceptance with every
// notice really sent (the comune's by PEC, until its delivery receipt) and bounds the
// history events it costs in Temporal.
func TestACaseCostsABoundedNumberOfEvents(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{mail: pecMail()})
	body := validBody()
	body["guardian"].(map[string]any)["email"] = "iryna@example.org"
	c := b.fileCase(t, body)
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})
	b.actOK(t, "school:"+schoolA, c.Id, "decision", map[string]any{"accept": true, "section": "B", "startDate": time.Now().Format(time.DateOnly)})
	delivered, _ := b.placementNotice(t, c.Id)
	require.True(t, delivered)

	e := b.countCaseEvents(t, c.Id, c.WorkflowId)
	// Nothing dropped: the hub's assignment, the school's proposal and the placement to
	// comune, hub, school and family.
	require.Len(t, e.Notices, 6, "one delivery per notice")
	sent := 0
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT count(*) FROM notification WHERE case_id = $1 AND sent_at IS NOT NULL`, c.Id).Scan(&sent))
	require.Equal(t, 6, sent, "every notice sent")
	got := b.getCase(t, c.Id)
	require.Equal(t, "enrolled", got.Stage)
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/api/v1/enrolments/"+c.Id, "", "").status)
	t.Logf("events per case: %d (case workflow %d, notices %v)", e.total(), e.Case, e.Notices)
	require.LessOrEqual(t, e.total(), maxEventsPerCase, "case workflow %d, notices %v", e.Case, e.Notices)
	// One workflow task per human step: the filing (recorded by a local activity in the
	// first, workflows/enrolment.go recordInFirstTaskChange), the proposal, the decision.
	counts := b.eventCounts(t, c.WorkflowId)
	require.Equal(t, 3, counts[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED], "workflow tasks: %v", counts)
	require.Zero(t, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED], "scheduled activities: %v", counts)
	if *updateHistories {
		// New names: the histories of the paths before (enrolment_accepted_with_local_activities.json,
		// enrolment_accepted_lean_case.json, delivery_pec_delivered_by_receipt.json,
		// delivery_pec_delivered_lean.json) stay, for the cases still running on them.
		writeHistory(t, b.temporal, c.WorkflowId, "enrolment_accepted_recorded_in_first_task.json")
		var key string
		require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT key FROM notification WHERE case_id = $1 AND kind = 'placement_confirmed' AND recipient = 'comune:015146'`, c.Id).Scan(&key))
		writeHistory(t, b.temporal, activities.NoticeWorkflowID(key), "delivery_pec_delivered_local_send.json")
	}
}

// TestALeanCaseCancelledWhileWaitingEndsCancelled cancels a new case while it sleeps
// until its hub's deadline (one timer kept across its steps, workflows/engine.go sleep)
// and checks it ends as cancelled, at once.
func TestALeanCaseCancelledWhileWaitingEndsCancelled(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	require.NoError(t, b.temporal.CancelWorkflow(b.ctx, c.WorkflowId, ""))
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	err := b.temporal.GetWorkflow(ctx, c.WorkflowId, "").Get(ctx, nil)
	var canceled *temporal.CanceledError
	require.ErrorAs(t, err, &canceled, "a cancelled case ends with a cancellation")
	if *updateHistories {
		// enrolment_lean_routed_then_cancelled.json is the same story with the recording
		// scheduled.
		writeHistory(t, b.temporal, c.WorkflowId, "enrolment_first_task_routed_then_cancelled.json")
	}
}
