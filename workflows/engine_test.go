package workflows_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// TestOldInterventionUpdateNamesStillWork: the intervention's Updates took the snake_case
// of every other Update; a running intervention still takes them under the names they had
// (a caller started before the rename), and answers with the one result shape.
func TestOldInterventionUpdateNamesStillWork(t *testing.T) {
	t.Parallel()
	h := newIVHarness(t)
	// The names as they were, spelt out: the constants now hold the new ones.
	taken := h.at(ivAt(2026, 11, 23, 11), "take-charge", ivTakeCharge())
	interviewed := h.at(ivAt(2026, 11, 25, 10), "record-interview",
		workflows.InterventionInterviewInput{Actor: ivOrientation, Date: "2026-11-25"})
	planned := h.at(ivAt(2026, 11, 26, 10), "agree-plan", ivPlan("2026-12-14"))
	reviewed := h.at(ivAt(2026, 12, 15, 10), "record-review",
		workflows.InterventionReviewInput{Actor: ivOrientation, Date: "2026-12-15", Attending: true})
	// The old name is the same Update: its validator still turns a second take-charge away.
	again := h.at(ivAt(2026, 12, 15, 11), "take-charge", ivTakeCharge())
	closed := h.at(ivAt(2026, 12, 16, 10), workflows.UpdateInterventionClose,
		workflows.InterventionCloseInput{Actor: ivOrientation, Outcome: "resolved"})
	h.run()

	for _, o := range []*outcome{taken, interviewed, planned, reviewed, closed} {
		requireApplied(t, o)
	}
	requireRejected(t, again, workflows.ErrTypeWrongStage, "")
	require.Equal(t, workflows.InterventionActionResult{Stage: casework.InterventionTakenInCharge, Seq: 2}, taken.value)
	require.Equal(t, casework.InterventionResolved, h.result().Stage)
	require.Equal(t, []casework.EventKind{
		casework.EventInterventionOpened, casework.EventTakenInCharge, casework.EventInterviewed, casework.EventPlanAgreed,
		casework.EventReviewDue, casework.EventReviewRecorded, casework.EventInterventionClosed,
	}, ivKinds(h.state().Timeline))
}

// TestEveryUpdateNameIsSnakeCase: one naming style for the Updates of the three long
// workflows.
func TestEveryUpdateNameIsSnakeCase(t *testing.T) {
	t.Parallel()
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, name := range []string{
		workflows.UpdateRegister, workflows.UpdatePropose, workflows.UpdateDecide, workflows.UpdateWithdrawProposal,
		workflows.UpdateReassign, workflows.UpdateWithdraw, workflows.UpdateTransfer, workflows.UpdateConfirmAttendance,
		workflows.UpdateAmend, workflows.UpdateReportDropoutRisk, workflows.UpdateEnrolDirectly, workflows.UpdateReportDuplicate,
		workflows.UpdateJourneyRegister, workflows.UpdateJourneyContact, workflows.UpdateJourneySchedule,
		workflows.UpdateJourneyInterview, workflows.UpdateJourneyArrival, workflows.UpdateJourneyPermesso,
		workflows.UpdateJourneyFollowUp, workflows.UpdateJourneyEnrolMember,
		workflows.UpdateInterventionTakeCharge, workflows.UpdateInterventionInterview, workflows.UpdateInterventionPlan,
		workflows.UpdateInterventionReview, workflows.UpdateInterventionClose,
	} {
		require.Regexp(t, snake, name)
	}
}

// TestJourneyActionAnswersWithTheOneResultShape: a journey's action answers, like a case's
// and an intervention's, with the stage after it and the number of the newest event, also
// when the action closes the journey after the answer's event.
func TestJourneyActionAnswersWithTheOneResultShape(t *testing.T) {
	t.Parallel()
	r := newJourneyRun(t, family())
	contact := r.at(time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: shop, Outcome: "reached"})
	r.env.RegisterDelayedCallback(r.env.CancelWorkflow, 2*time.Hour)
	r.run()
	requireApplied(t, contact)
	// 1 opened, 2 the contact attempt.
	require.Equal(t, workflows.JourneyActionResult{Stage: workflows.JourneyInterviewToArrange, Seq: 2}, contact.value)
}

// TestStateCarriedOverBeforeTheDeskStillDecodes: the task and the escalation moved into
// the embedded Desk, but a case's state is encoded as before, so the state that a run
// from before the move carried into continue-as-new, or a query's caller, still reads.
func TestStateCarriedOverBeforeTheDeskStillDecodes(t *testing.T) {
	t.Parallel()
	old := []byte(`{"Stage":"awaiting_proposal","Task":{"Kind":"propose_school","Owner":{"Kind":"polo_start","Code":"1"}},"Escalated":true,"EscalationReason":"deadline_missed","Seq":4}`)
	var s workflows.State
	require.NoError(t, json.Unmarshal(old, &s))
	require.NotNil(t, s.Task)
	require.Equal(t, casework.TaskProposeSchool, s.Task.Kind)
	require.True(t, s.Escalated)
	require.Equal(t, "deadline_missed", s.EscalationReason)
	var iv workflows.InterventionState
	require.NoError(t, json.Unmarshal(old, &iv))
	require.True(t, iv.Escalated)
	require.NotNil(t, iv.Task)

	again, err := json.Marshal(s)
	require.NoError(t, err)
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(again, &fields))
	require.Contains(t, fields, "Task", "encoded at the top level, as before")
	require.Contains(t, fields, "EscalationReason")
	require.NotContains(t, fields, "Desk")
}
