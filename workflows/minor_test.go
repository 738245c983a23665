package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// enrolDirectly is schoolB's direct enrolment of the harness's minor.
func enrolDirectly(code string) workflows.EnrolDirectlyInput {
	return workflows.EnrolDirectlyInput{
		Actor: school(code), Level: "primaria",
		Placement: workflows.DirectEnrolment{School: code, Year: 4, Section: "B", StartDate: "2026-11-24"},
	}
}

func TestASchoolsDirectEnrolmentClosesTheOpenCaseAsEnrolled(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	merged := h.at(2*time.Hour, workflows.UpdateEnrolDirectly, enrolDirectly(schoolB))
	again := h.at(3*time.Hour, workflows.UpdateEnrolDirectly, enrolDirectly(schoolB))
	var s workflows.State
	h.check(4*time.Hour, func() { s = h.state() })
	h.finish(5 * time.Hour)
	h.run()

	requireApplied(t, merged)
	require.Equal(t, casework.StageEnrolled, merged.result.Stage)
	require.Equal(t, casework.StageEnrolled, s.Stage)
	require.Equal(t, &casework.Placement{School: schoolB, Level: "primaria", Year: 4, Section: "B", StartDate: "2026-11-24", Direct: true}, s.Placement)
	require.Nil(t, s.Proposal)
	require.Nil(t, s.Task, "nobody waits for a proposal or a decision any more")
	require.Len(t, s.FollowUps, 2, "followed up like any placement")
	last := s.Timeline[len(s.Timeline)-1]
	require.Equal(t, casework.EventEnrolledDirectly, last.Kind)
	require.Equal(t, school(schoolB), last.Actor)
	require.Equal(t, []string{"direct_enrolment"}, h.noticesTo(milano), "the comune is told")
	require.Equal(t, []string{"case_assigned", "direct_enrolment"}, h.noticesTo(hubPolo1), "and the hub")
	require.Equal(t, []string{"proposal", "proposal_withdrawn"}, h.noticesTo(school(schoolA)), "the school proposed need not decide")
	require.Equal(t, schoolB, h.lastSaved().School)
	requireRejected(t, again, workflows.ErrTypeWrongStage, "")
}

func TestOnlyTheEnrollingSchoolEnrolsDirectly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	other := enrolDirectly(schoolB)
	other.Actor = school(schoolA)
	byOther := h.at(time.Hour, workflows.UpdateEnrolDirectly, other)
	byComune := enrolDirectly(schoolB)
	byComune.Actor = milano
	fromComune := h.at(time.Hour, workflows.UpdateEnrolDirectly, byComune)
	noSection := enrolDirectly(schoolB)
	noSection.Placement.Section = ""
	withoutSection := h.at(time.Hour, workflows.UpdateEnrolDirectly, noSection)
	var s workflows.State
	h.check(2*time.Hour, func() { s = h.state() })
	h.finish(3 * time.Hour)
	h.run()

	requireRejected(t, byOther, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, fromComune, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, withoutSection, workflows.ErrTypeInvalid, "section")
	require.Equal(t, casework.StageAwaitingProposal, s.Stage)
}

func TestADuplicateFilingIsReportedToUST(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	sestoComune := casework.Org{Kind: casework.OrgComune, Code: "015209"}
	reported := h.at(time.Hour, workflows.UpdateReportDuplicate, workflows.ReportDuplicateInput{Actor: sestoComune})
	var s workflows.State
	h.check(2*time.Hour, func() { s = h.state() })
	h.finish(3 * time.Hour)
	h.run()

	requireApplied(t, reported)
	require.True(t, s.Escalated)
	require.Equal(t, casework.EscalationPossibleDuplicate, s.EscalationReason)
	require.Equal(t, casework.StageAwaitingProposal, s.Stage, "the case goes on waiting for its hub")
	last := s.Timeline[len(s.Timeline)-1]
	require.Equal(t, casework.EventDuplicateFiled, last.Kind)
	require.Equal(t, sestoComune, last.Actor)
	require.Equal(t, []string{"duplicate_filed"}, h.noticesTo(casework.UST))
	require.True(t, h.lastSaved().Escalated)
}

func TestARequestForTheMinorOfAnOpenCaseRecordsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.recordCase = func(context.Context, activities.RecordCaseInput) (activities.RecordCaseResult, error) {
		return activities.RecordCaseResult{DuplicateOf: "0b8f5a3e-0000-4000-8000-000000000001"}, nil
	}
	registered := h.at(0, workflows.UpdateRegister, workflows.RegisterInput{RequestHash: h.input.RequestHash})
	h.run()

	requireApplied(t, registered)
	answer, ok := registered.value.(workflows.RegisterResult)
	require.True(t, ok, "%T", registered.value)
	require.Equal(t, "0b8f5a3e-0000-4000-8000-000000000001", answer.DuplicateOf)
	require.False(t, answer.Created)
	result := h.result()
	require.Equal(t, "0b8f5a3e-0000-4000-8000-000000000001", result.DuplicateOf)
	require.Empty(t, h.saved, "no case row is written")
	require.Empty(t, h.notices, "nobody is told of a case that does not exist")
}
