package workflows_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// interventionsOf replaces the intervention cases the enrolment case opens, and keeps
// their inputs.
func interventionsOf(h *harness) func() []workflows.InterventionInput {
	var mu sync.Mutex
	var opened []workflows.InterventionInput
	h.env.OnWorkflow(workflows.InterventionWorkflowName, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in workflows.InterventionInput) (workflows.InterventionResult, error) {
			mu.Lock()
			defer mu.Unlock()
			opened = append(opened, in)
			return workflows.InterventionResult{}, nil
		}).Maybe()
	return func() []workflows.InterventionInput {
		mu.Lock()
		defer mu.Unlock()
		return append([]workflows.InterventionInput(nil), opened...)
	}
}

func TestNotAttendingOpensAnInterventionCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	opened := interventionsOf(h)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.at(2*time.Hour, workflows.UpdateDecide, accept(schoolA, "2026-11-30"))
	notAttending := h.at(since(rome(2026, time.December, 30, 10)), workflows.UpdateConfirmAttendance, attending(schoolA, false))
	h.check(since(rome(2026, time.December, 30, 11)), func() {
		got := opened()
		require.Len(t, got, 1)
		require.Equal(t, workflows.InterventionInput{CaseID: h.input.CaseID, Referral: "check-1", School: schoolA, Comune: milano.Code, Reason: "not_attending"}, got[0])
		h.env.CancelWorkflow()
	})
	h.run()
	requireApplied(t, notAttending)
}

func TestSchoolReportsADropoutRisk(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	opened := interventionsOf(h)
	early := h.at(30*time.Minute, workflows.UpdateReportDropoutRisk, workflows.ReportDropoutRiskInput{Actor: school(schoolA)})
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.at(2*time.Hour, workflows.UpdateDecide, accept(schoolA, "2026-11-30"))
	other := h.at(3*24*time.Hour, workflows.UpdateReportDropoutRisk, workflows.ReportDropoutRiskInput{Actor: school(schoolB)})
	report := h.at(4*24*time.Hour, workflows.UpdateReportDropoutRisk, workflows.ReportDropoutRiskInput{Actor: school(schoolA), Note: "assenze ripetute"})
	h.check(4*24*time.Hour+time.Hour, func() {
		s := h.state()
		require.True(t, s.DropoutRisk)
		require.Equal(t, casework.StageEnrolled, s.Stage, "the pupil stays enrolled")
		got := opened()
		require.Len(t, got, 1)
		require.Equal(t, "report-1", got[0].Referral)
		require.Equal(t, "school_report", got[0].Reason)
		require.Equal(t, "assenze ripetute", got[0].Note)
		require.Equal(t, 101, h.referrals[0].Check, "a school's reports are numbered from 100")
		require.Empty(t, h.noticesTo(casework.Orientation), "the intervention case tells the orientation service")
		require.Equal(t, []string{"placement_confirmed", "dropout_referral"}, h.noticesTo(milano))
		h.env.CancelWorkflow()
	})
	h.run()
	requireRejected(t, early, workflows.ErrTypeWrongStage, "")
	requireRejected(t, other, workflows.ErrTypeNotAllowed, "")
	requireApplied(t, report)
}

func TestSchoolChangeSendsTheCaseBackToItsHub(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.at(2*time.Hour, workflows.UpdateDecide, accept(schoolA, "2026-11-30"))
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalSchoolChange, workflows.SchoolChange{InterventionID: "intervention-x-check-1", Note: "cambio concordato"})
	}, 40*24*time.Hour)
	proposed := h.at(41*24*time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolB))
	h.check(40*24*time.Hour+time.Hour, func() {
		s := h.state()
		require.Equal(t, casework.StageAwaitingProposal, s.Stage)
		require.Nil(t, s.Placement)
		require.Equal(t, casework.TaskProposeSchool, s.Task.Kind)
		require.Equal(t, hubPolo1, s.Task.Owner)
		last := s.Timeline[len(s.Timeline)-1]
		require.Equal(t, casework.EventSchoolChange, last.Kind)
		require.Equal(t, schoolA, last.School)
		require.Contains(t, h.noticesTo(hubPolo1), "school_change")
	})
	h.check(41*24*time.Hour+time.Hour, func() {
		require.Equal(t, casework.StageAwaitingDecision, h.state().Stage, "the hub proposes another school")
		h.env.CancelWorkflow()
	})
	h.run()
	requireApplied(t, proposed)
}
