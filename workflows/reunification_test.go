package workflows_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

var journeys *activities.Journeys

var shop = casework.OneStopShop

// family has two school-age children, a toddler and the other parent. Anna is 11 and
// Bohdan 15 on 23 November 2026; Bohdan turns 16 on 1 December.
func family() reunification.Family {
	return reunification.Family{
		Reference: "PREF-MI-2026-0042",
		Sponsor:   reunification.Sponsor{GivenName: "Ahmed", FamilyName: "Benali", Phone: "+39 333 0000000", Email: "ahmed@example.org", Comune: enrolment.MilanoISTAT, Address: "Via Padova 10", Municipio: 2},
		Members: []reunification.Member{
			{GivenName: "Anna", FamilyName: "Benali", BirthDate: "2015-03-01", Relation: reunification.RelationChild, Sex: "F", Citizenship: "MA"},
			{GivenName: "Bohdan", FamilyName: "Benali", BirthDate: "2010-12-01", Relation: reunification.RelationChild, Sex: "M", Citizenship: "MA"},
			{GivenName: "Sara", FamilyName: "Benali", BirthDate: "2023-05-01", Relation: reunification.RelationChild, Citizenship: "MA"},
			{GivenName: "Fatima", FamilyName: "Zahra", BirthDate: "1988-01-01", Relation: reunification.RelationSpouse, Citizenship: "MA"},
		},
		NullaOsta: reunification.NullaOsta{Number: "NO-2026-77", IssuedOn: "2026-10-01"},
		Language:  "ar",
	}
}

// journeyRun runs one journey with its activities in memory and the children's
// enrolment cases replaced: their outcome is signalled by the test.
type journeyRun struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	input    workflows.JourneyInput
	mu       sync.Mutex
	saved    []activities.JourneyProgress
	children []workflows.EnrolmentInput
}

func newJourneyRun(t *testing.T, f reunification.Family) *journeyRun {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(monday)
	worker.Register(env, worker.Dependencies{Cases: &activities.Cases{}, Routing: &activities.Routing{}, Policies: &activities.Policies{}, Journeys: &activities.Journeys{}})
	id := reunification.JourneyID("prefettura", f.Reference)
	r := &journeyRun{t: t, env: env, input: workflows.JourneyInput{
		JourneyID: id, Source: casework.Org{Kind: casework.OrgPrefettura}, FamilyHash: f.Hash(), Family: f,
	}}
	env.OnActivity(journeys.JourneyPolicy, mock.Anything).Return(worker.DefaultJourneyPolicy, nil)
	env.OnActivity(journeys.SaveJourney, mock.Anything, mock.Anything).Return(func(_ context.Context, p activities.JourneyProgress) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.saved = append(r.saved, p)
		return nil
	})
	env.OnWorkflow(workflows.EnrolmentWorkflowName, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in workflows.EnrolmentInput) (workflows.EnrolmentResult, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.children = append(r.children, in)
		return workflows.EnrolmentResult{}, nil
	}).Maybe()
	return r
}

func (r *journeyRun) at(after time.Duration, name string, arg any) *outcome {
	o := &outcome{}
	r.env.RegisterDelayedCallback(func() { r.env.UpdateWorkflow(name, "", o, arg) }, after)
	return o
}

func (r *journeyRun) state() workflows.JourneyState {
	r.t.Helper()
	v, err := r.env.QueryWorkflow(workflows.QueryState)
	require.NoError(r.t, err)
	var s workflows.JourneyState
	require.NoError(r.t, v.Get(&s))
	return s
}

func (r *journeyRun) run() workflows.JourneyState {
	r.t.Helper()
	r.env.ExecuteWorkflow(workflows.ReunificationWorkflowName, r.input)
	require.True(r.t, r.env.IsWorkflowCompleted())
	var s workflows.JourneyState
	if err := r.env.GetWorkflowError(); err != nil {
		require.True(r.t, temporal.IsCanceledError(err), "only a test's cancellation ends a journey early: %v", err)
		return r.state()
	}
	require.NoError(r.t, r.env.GetWorkflowResult(&s))
	return s
}

func (r *journeyRun) childOutcome(after time.Duration, i int, stage casework.Stage) {
	r.env.RegisterDelayedCallback(func() {
		r.mu.Lock()
		caseID := r.children[i].CaseID
		r.mu.Unlock()
		r.env.SignalWorkflow(workflows.SignalChildOutcome, workflows.ChildOutcome{CaseID: caseID, Stage: stage})
	}, after)
}

const day = 24 * time.Hour

func TestJourneyFromContactToEnrolledChildrenAndFollowUps(t *testing.T) {
	t.Parallel()
	r := newJourneyRun(t, family())
	contact := r.at(time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: shop, Outcome: "reached"})
	schedule := r.at(2*time.Hour, workflows.UpdateJourneySchedule, workflows.JourneyScheduleInput{Actor: shop, At: monday.Add(3 * day)})
	r.env.RegisterDelayedCallback(func() {
		require.True(t, r.state().InterviewRemind, "the interview is recalled the day before")
	}, 2*day+time.Hour)
	interview := r.at(3*day+time.Hour, workflows.UpdateJourneyInterview, workflows.JourneyInterviewInput{Actor: shop, Held: true, SupportAreas: []string{"school", "legal"}})
	arrival := r.at(12*day, workflows.UpdateJourneyArrival, workflows.JourneyArrivalInput{Actor: shop, Date: "2026-12-04"})
	r.env.RegisterDelayedCallback(func() {
		s := r.state()
		require.Equal(t, workflows.JourneyEnrolling, s.Stage)
		require.Len(t, s.Children, 2, "Anna and Bohdan; not the toddler, not the mother")
	}, 12*day+time.Hour)
	permesso := r.at(14*day, workflows.UpdateJourneyPermesso, workflows.JourneyPermessoInput{Actor: shop, Date: "2026-12-06"})
	r.childOutcome(20*day, 0, casework.StageEnrolled)
	r.childOutcome(21*day, 1, casework.StageEnrolled)
	r.env.RegisterDelayedCallback(func() { require.Equal(t, workflows.JourneyFollowingUp, r.state().Stage) }, 21*day+time.Hour)
	f1 := r.at(52*day, workflows.UpdateJourneyFollowUp, workflows.JourneyFollowUpInput{Actor: shop, Note: "tutto bene"})
	f2 := r.at(83*day, workflows.UpdateJourneyFollowUp, workflows.JourneyFollowUpInput{Actor: shop, PlanComplete: true})
	s := r.run()

	for _, o := range []*outcome{contact, schedule, interview, arrival, permesso, f1, f2} {
		requireApplied(t, o)
	}
	require.Equal(t, workflows.JourneyClosed, s.Stage)
	require.False(t, s.Escalated)
	require.Len(t, r.children, 2)
	anna, bohdan := r.children[0], r.children[1]
	require.Equal(t, "Anna", anna.Request.Minor.GivenName)
	require.Equal(t, enrolment.LevelSecondariaPrimoGrado, anna.Request.Level)
	require.Equal(t, enrolment.OriginFamilyReunification, anna.Request.Origin)
	require.Equal(t, enrolment.MilanoISTAT, anna.Request.Comune)
	require.Equal(t, 2, anna.Request.Residence.Municipio)
	require.Equal(t, "ar", anna.Request.Guardian.PreferredLanguage)
	require.Equal(t, "one_stop_shop:reunification", anna.FiledBy)
	require.Equal(t, anna.Request.Hash(), anna.RequestHash)
	require.Equal(t, "Bohdan", bohdan.Request.Minor.GivenName, "16 on arrival: the right and duty to education still applies")
	require.Equal(t, enrolment.LevelSecondariaSecondoGrado, bohdan.Request.Level)
	last := r.saved[len(r.saved)-1]
	require.Equal(t, workflows.JourneyClosed, last.Stage)
	require.NotNil(t, r.saved[0].Family, "the first report records the family")
	require.Nil(t, last.Family, "later ones do not repeat it")
}

func TestJourneyEscalatesAfterFailedContacts(t *testing.T) {
	t.Parallel()
	r := newJourneyRun(t, family())
	var attempts []*outcome
	for i := 1; i <= 3; i++ {
		attempts = append(attempts, r.at(time.Duration(i)*time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: shop, Outcome: "no_answer"}))
	}
	wrongActor := r.at(4*time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: casework.UST, Outcome: "reached"})
	badOutcome := r.at(5*time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: shop, Outcome: "forse"})
	r.env.RegisterDelayedCallback(func() {
		s := r.state()
		require.True(t, s.Escalated)
		require.Equal(t, "contact_failed", s.EscalationWhy)
		require.Equal(t, workflows.JourneyContacting, s.Stage)
		require.Equal(t, 3, s.FailedContacts)
	}, 6*time.Hour)
	reached := r.at(7*time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: shop, Outcome: "reached"})
	r.env.RegisterDelayedCallback(func() {
		s := r.state()
		require.False(t, s.Escalated, "reaching the family ends the escalation")
		require.Equal(t, workflows.JourneyInterviewToArrange, s.Stage)
		r.env.CancelWorkflow()
	}, 8*time.Hour)
	r.run()
	for _, o := range attempts {
		requireApplied(t, o)
	}
	requireApplied(t, reached)
	requireRejected(t, wrongActor, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, badOutcome, workflows.ErrTypeInvalid, "outcome")
}

func TestExpiredNullaOstaWithoutArrivalRaisesACheck(t *testing.T) {
	t.Parallel()
	f := family()
	f.NullaOsta.IssuedOn = "2026-06-01" // valid 183 days: until 1 December
	r := newJourneyRun(t, f)
	r.env.RegisterDelayedCallback(func() {
		require.False(t, r.state().Escalated)
	}, 7*day)
	r.env.RegisterDelayedCallback(func() {
		s := r.state()
		require.True(t, s.Escalated)
		require.Equal(t, "nulla_osta_expired", s.EscalationWhy)
		require.Equal(t, "nulla_osta_expired", s.Timeline[len(s.Timeline)-1].Kind)
	}, 9*day)
	// The family arrives after all (a late visa): the check is cleared.
	arrival := r.at(10*day, workflows.UpdateJourneyArrival, workflows.JourneyArrivalInput{Actor: shop, Date: "2026-12-02"})
	r.env.RegisterDelayedCallback(func() {
		require.False(t, r.state().Escalated)
		r.env.CancelWorkflow()
	}, 10*day+time.Hour)
	r.run()
	requireApplied(t, arrival)
}

func TestMinorWhoTurnedEighteenBeforeArrivalIsNotEnrolled(t *testing.T) {
	t.Parallel()
	f := family()
	// Youssef turned 18 three days before the family arrived.
	f.Members = []reunification.Member{{GivenName: "Youssef", FamilyName: "Benali", BirthDate: "2008-11-20", Relation: reunification.RelationChild}}
	r := newJourneyRun(t, f)
	arrival := r.at(time.Hour, workflows.UpdateJourneyArrival, workflows.JourneyArrivalInput{Actor: shop, Date: "2026-11-23"})
	r.env.RegisterDelayedCallback(func() {
		s := r.state()
		require.Empty(t, s.Children)
		require.Equal(t, workflows.JourneyContacting, s.Stage, "arrival does not skip the contact and interview")
		r.env.CancelWorkflow()
	}, 2*time.Hour)
	r.run()
	requireApplied(t, arrival)
	require.Empty(t, r.children)
}

func TestJourneyContinuesAsNewWithItsState(t *testing.T) {
	t.Parallel()
	r := newJourneyRun(t, family())
	contact := r.at(time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: shop, Outcome: "no_answer"})
	r.env.RegisterDelayedCallback(func() { r.env.SetContinueAsNewSuggested(true) }, 2*time.Hour)
	// Any event makes the loop look at the suggestion: here a signal that changes nothing.
	r.env.RegisterDelayedCallback(func() {
		r.env.SignalWorkflow(workflows.SignalChildOutcome, workflows.ChildOutcome{CaseID: "not-a-child"})
	}, 3*time.Hour)
	r.env.ExecuteWorkflow(workflows.ReunificationWorkflowName, r.input)
	require.True(t, r.env.IsWorkflowCompleted())
	err := r.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, err, &can)
	requireApplied(t, contact)
	var next workflows.JourneyInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, 1, next.State.FailedContacts, "the state travels to the new run")
	require.True(t, next.State.Recorded)
	require.Equal(t, 1, next.State.ContinuedRuns)
	require.Equal(t, r.input.Family, next.Family)
}
