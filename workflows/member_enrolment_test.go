package workflows_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/workflows"
)

// TestOneStopShopEnrolsAMemberAfterArrival: after the arrival, the one-stop shop opens an
// infanzia case for Sara (3 years old on 23 November 2026), whom the arrival left out,
// pre-filled from the journey as the arrival's cases are. Every refusal leaves no trace.
func TestOneStopShopEnrolsAMemberAfterArrival(t *testing.T) {
	t.Parallel()
	r := newJourneyRun(t, family())
	enrol := func(member int, level string) workflows.JourneyEnrolMemberInput {
		return workflows.JourneyEnrolMemberInput{Actor: shop, Member: member, Level: level, Note: "la famiglia chiede la scuola dell'infanzia"}
	}
	sara := enrol(2, "infanzia")
	beforeArrival := r.at(time.Hour, workflows.UpdateJourneyEnrolMember, sara)
	arrival := r.at(2*time.Hour, workflows.UpdateJourneyArrival, workflows.JourneyArrivalInput{Actor: shop, Date: "2026-11-23"})
	byUST := r.at(3*time.Hour, workflows.UpdateJourneyEnrolMember, workflows.JourneyEnrolMemberInput{Actor: casework.UST, Member: 2, Level: "infanzia"})
	bySchool := r.at(3*time.Hour, workflows.UpdateJourneyEnrolMember, workflows.JourneyEnrolMemberInput{Actor: casework.Org{Kind: casework.OrgSchool, Code: "MIIC8AB001"}, Member: 2, Level: "infanzia"})
	unknown := r.at(4*time.Hour, workflows.UpdateJourneyEnrolMember, enrol(4, "infanzia"))
	negative := r.at(4*time.Hour, workflows.UpdateJourneyEnrolMember, enrol(-1, "infanzia"))
	adult := r.at(4*time.Hour, workflows.UpdateJourneyEnrolMember, enrol(3, "cpia"))
	hasCase := r.at(4*time.Hour, workflows.UpdateJourneyEnrolMember, enrol(0, "primaria"))
	badLevel := r.at(4*time.Hour, workflows.UpdateJourneyEnrolMember, enrol(2, "nido"))
	accepted := r.at(5*time.Hour, workflows.UpdateJourneyEnrolMember, sara)
	// The same request sent twice at once (two operators, two keys): one case.
	twin := r.at(5*time.Hour, workflows.UpdateJourneyEnrolMember, sara)
	again := r.at(6*time.Hour, workflows.UpdateJourneyEnrolMember, sara)
	r.env.RegisterDelayedCallback(func() {
		s := r.state()
		require.Len(t, s.Children, 3, "Anna and Bohdan at arrival, Sara on request")
		require.Equal(t, casework.JourneyChild{Member: 2, CaseID: s.Children[2].CaseID}, s.Children[2])
		last := s.Timeline[len(s.Timeline)-1]
		require.Equal(t, "enrolment_requested", last.Kind)
		require.Equal(t, shop, last.Actor)
		require.Equal(t, "infanzia", last.Reason)
		require.Equal(t, "la famiglia chiede la scuola dell'infanzia", last.Note)
		// Sara's case counts among the children: the journey follows it to the end.
		r.childOutcome(0, 2, casework.StageEnrolled)
	}, 7*time.Hour)
	r.env.RegisterDelayedCallback(func() {
		s := r.state()
		require.Equal(t, casework.StageEnrolled, s.Children[2].Stage)
		r.env.CancelWorkflow()
	}, 8*time.Hour)
	r.run()

	requireRejected(t, beforeArrival, workflows.ErrTypeWrongStage, "")
	requireApplied(t, arrival)
	requireRejected(t, byUST, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, bySchool, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, unknown, workflows.ErrTypeInvalid, "member")
	requireRejected(t, negative, workflows.ErrTypeInvalid, "member")
	requireRejected(t, adult, workflows.ErrTypeInvalid, "member")
	requireRejected(t, hasCase, workflows.ErrTypeInvalid, "member")
	requireRejected(t, badLevel, workflows.ErrTypeInvalid, "level")
	requireApplied(t, accepted)
	requireRejected(t, again, workflows.ErrTypeInvalid, "member")
	require.True(t, twin.done)
	var twinErr *temporal.ApplicationError
	require.ErrorAs(t, errors.Join(twin.rejected, twin.err), &twinErr, "the second of two requests at once opens nothing")
	require.Equal(t, workflows.ErrTypeInvalid, twinErr.Type())

	require.Len(t, r.children, 3)
	anna, saraCase := r.children[0], r.children[2]
	require.Equal(t, "Sara", saraCase.Request.Minor.GivenName)
	require.Equal(t, enrolment.LevelInfanzia, saraCase.Request.Level)
	require.Equal(t, "one_stop_shop:reunification", saraCase.FiledBy)
	require.Equal(t, saraCase.Request.Hash(), saraCase.RequestHash)
	// Pre-filled as the arrival's cases are: only the minor and the level differ.
	want := anna.Request
	want.RequestID, want.Level, want.Minor = saraCase.Request.RequestID, enrolment.LevelInfanzia, saraCase.Request.Minor
	require.Equal(t, want, saraCase.Request)
	require.Empty(t, saraCase.Request.Notes, "the team's note stays on the journey")
	require.Equal(t, enrolment.CaseID("one_stop_shop:reunification", saraCase.Request.RequestID), saraCase.CaseID)
}

// TestEnrolMemberRefusedOnAClosedJourney: a closed journey takes no request.
func TestEnrolMemberRefusedOnAClosedJourney(t *testing.T) {
	t.Parallel()
	f := family()
	f.Members = f.Members[2:3] // Sara only: the arrival opens nothing
	r := newJourneyRun(t, f)
	r.at(time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: shop, Outcome: "reached"})
	r.at(2*time.Hour, workflows.UpdateJourneySchedule, workflows.JourneyScheduleInput{Actor: shop, At: monday.Add(day)})
	r.at(day+time.Hour, workflows.UpdateJourneyInterview, workflows.JourneyInterviewInput{Actor: shop, Held: true, SupportAreas: []string{"school"}})
	r.at(day+2*time.Hour, workflows.UpdateJourneyArrival, workflows.JourneyArrivalInput{Actor: shop, Date: "2026-11-24"})
	closing := r.at(day+3*time.Hour, workflows.UpdateJourneyFollowUp, workflows.JourneyFollowUpInput{Actor: shop, PlanComplete: true})
	// Sent with the closing follow-up, before the run ends: afterwards the workflow is gone
	// and the API answers that the journey is over.
	closed := r.at(day+3*time.Hour, workflows.UpdateJourneyEnrolMember, workflows.JourneyEnrolMemberInput{Actor: shop, Member: 0, Level: "infanzia"})
	s := r.run()
	requireApplied(t, closing)
	require.Equal(t, workflows.JourneyClosed, s.Stage)
	requireRejected(t, closed, workflows.ErrTypeWrongStage, "")
	require.Empty(t, r.children)
}
