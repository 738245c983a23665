package workflows_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

var onboardingActs *activities.Onboarding

// onboardingRun runs one comune's onboarding; the delivery of each account message is
// answered by deliver, by key.
type onboardingRun struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	account   activities.ComuneAccount
	deliver   func(key string) activities.Outcome
	loggedIn  bool
	mu        sync.Mutex
	issued    []string
	reminders []string
	delivered []string
	stages    []string
	escalated []bool
}

func newOnboardingRun(t *testing.T) *onboardingRun {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(monday)
	worker.Register(env, worker.Dependencies{Cases: &activities.Cases{}, Routing: &activities.Routing{}, Policies: &activities.Policies{},
		Delivery: &activities.Delivery{}, Onboarding: &activities.Onboarding{}})
	r := &onboardingRun{
		t: t, env: env,
		account: activities.ComuneAccount{UserID: "u-1", HasPEC: true},
		deliver: func(string) activities.Outcome { return activities.Outcome{Delivered: true} },
	}
	env.OnActivity(onboardingActs.OnboardingPolicyFor, mock.Anything).Return(activities.OnboardingPolicy{ReminderEvery: 7 * 24 * time.Hour, Reminders: 2}, nil)
	env.OnActivity(onboardingActs.CreateComuneAccount, mock.Anything, "015146").Return(
		func(context.Context, string) (activities.ComuneAccount, error) { return r.account, nil })
	env.OnActivity(onboardingActs.IssueCredentials, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.IssueCredentialsInput) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.issued = append(r.issued, in.Key)
			return nil
		}).Maybe()
	env.OnActivity(onboardingActs.QueueLoginReminder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.IssueCredentialsInput) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.reminders = append(r.reminders, in.Key)
			return nil
		}).Maybe()
	env.OnActivity(onboardingActs.HasLoggedIn, mock.Anything, "u-1").Return(
		func(context.Context, string) (bool, error) { return r.loggedIn, nil }).Maybe()
	env.OnWorkflow(workflows.DeliverAccountMessageWorkflowName, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, key string) (activities.Outcome, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.delivered = append(r.delivered, key)
			return r.deliver(key), nil
		}).Maybe()
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		r.mu.Lock()
		defer r.mu.Unlock()
		if stage, ok := sa.GetKeyword(searchattr.Stage); ok && (len(r.stages) == 0 || r.stages[len(r.stages)-1] != stage) {
			r.stages = append(r.stages, stage)
		}
		if esc, ok := sa.GetBool(searchattr.Escalated); ok {
			r.escalated = append(r.escalated, esc)
		}
	}).Return(nil).Maybe()
	return r
}

func (r *onboardingRun) signal(after time.Duration, name string) {
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(name, nil) }, after)
}

func (r *onboardingRun) run() workflows.OnboardingState {
	r.t.Helper()
	r.env.ExecuteWorkflow(workflows.OnboardingWorkflowName, workflows.OnboardingInput{Istat: "015146"})
	require.True(r.t, r.env.IsWorkflowCompleted())
	require.NoError(r.t, r.env.GetWorkflowError())
	var s workflows.OnboardingState
	require.NoError(r.t, r.env.GetWorkflowResult(&s))
	return s
}

func (r *onboardingRun) query() workflows.OnboardingState {
	r.t.Helper()
	v, err := r.env.QueryWorkflow(workflows.QueryOnboarding)
	require.NoError(r.t, err)
	var s workflows.OnboardingState
	require.NoError(r.t, v.Get(&s))
	return s
}

func TestOnboardingSendsCredentialsAndEndsAtTheFirstLogin(t *testing.T) {
	t.Parallel()
	r := newOnboardingRun(t)
	r.env.RegisterDelayedCallback(func() {
		s := r.query()
		require.Equal(t, workflows.OnboardingAwaitingLogin, s.Stage)
		require.Equal(t, monday.Add(7*24*time.Hour), s.NextReminder.In(monday.Location()))
	}, time.Hour)
	r.signal(3*24*time.Hour, workflows.SignalFirstLogin)
	s := r.run()
	require.Equal(t, workflows.OnboardingDone, s.Stage)
	require.Equal(t, []string{"onboarding/015146/default-test-run-id/credentials/1"}, r.issued)
	require.Equal(t, []string{"onboarding/015146/default-test-run-id/credentials/1"}, r.delivered)
	require.Empty(t, r.reminders, "logged in before the first reminder")
	require.Equal(t, []string{workflows.OnboardingCreatingAccount, workflows.OnboardingCredentialsSent, workflows.OnboardingAwaitingLogin, workflows.OnboardingDone}, r.stages)
}

func TestOnboardingRemindsThenAlertsUST(t *testing.T) {
	t.Parallel()
	r := newOnboardingRun(t)
	week := 7 * 24 * time.Hour
	r.env.RegisterDelayedCallback(func() {
		s := r.query()
		require.Equal(t, 2, s.Reminders)
		require.False(t, s.Escalated, "two reminders are allowed before UST is alerted")
	}, 2*week+time.Hour)
	r.env.RegisterDelayedCallback(func() {
		s := r.query()
		require.True(t, s.Escalated)
		require.Equal(t, workflows.EscalationFirstLoginOverdue, s.Reason)
		require.Equal(t, workflows.OnboardingAwaitingLogin, s.Stage)
		// The API's signal was lost: the weekly look at the database finds the login.
		r.loggedIn = true
	}, 3*week+time.Hour)
	s := r.run()
	require.Equal(t, workflows.OnboardingDone, s.Stage)
	require.False(t, s.Escalated)
	require.Equal(t, []string{"onboarding/015146/default-test-run-id/reminder/1/1", "onboarding/015146/default-test-run-id/reminder/1/2"}, r.reminders)
	require.Equal(t, []string{"onboarding/015146/default-test-run-id/credentials/1", "onboarding/015146/default-test-run-id/reminder/1/1", "onboarding/015146/default-test-run-id/reminder/1/2"}, r.delivered)
	require.Contains(t, r.escalated, true, "the Temporal UI showed the escalation")
}

func TestOnboardingWhoseCredentialsWereNotDeliveredWaitsForUST(t *testing.T) {
	t.Parallel()
	r := newOnboardingRun(t)
	r.deliver = func(key string) activities.Outcome {
		if key == "onboarding/015146/default-test-run-id/credentials/1" {
			return activities.Outcome{Reason: "errore-consegna"}
		}
		return activities.Outcome{Delivered: true}
	}
	r.env.RegisterDelayedCallback(func() {
		s := r.query()
		require.Equal(t, workflows.OnboardingNotDelivered, s.Stage)
		require.True(t, s.Escalated)
		require.Equal(t, "errore-consegna", s.Reason)
	}, time.Hour)
	r.signal(2*24*time.Hour, workflows.SignalResendCredentials) // UST corrected the address
	r.signal(3*24*time.Hour, workflows.SignalFirstLogin)
	s := r.run()
	require.Equal(t, workflows.OnboardingDone, s.Stage)
	require.Equal(t, 2, s.Round)
	require.Equal(t, []string{"onboarding/015146/default-test-run-id/credentials/1", "onboarding/015146/default-test-run-id/credentials/2"}, r.issued, "new credentials for the new PEC")
}

func TestOnboardingOfAComuneWithoutPECWaitsForItsAddress(t *testing.T) {
	t.Parallel()
	r := newOnboardingRun(t)
	r.account = activities.ComuneAccount{HasPEC: false}
	r.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.OnboardingNoPECAddress, r.query().Stage)
		r.account = activities.ComuneAccount{UserID: "u-1", HasPEC: true} // the reference data now has it
	}, time.Hour)
	r.signal(2*time.Hour, workflows.SignalResendCredentials)
	r.signal(3*time.Hour, workflows.SignalFirstLogin)
	s := r.run()
	require.Equal(t, workflows.OnboardingDone, s.Stage)
	require.Equal(t, []string{"onboarding/015146/default-test-run-id/credentials/1"}, r.issued)
}

func TestOnboardingOfAnAccountAlreadyInUseEndsAtOnce(t *testing.T) {
	t.Parallel()
	r := newOnboardingRun(t)
	r.account = activities.ComuneAccount{UserID: "u-1", HasPEC: true, LoggedIn: true}
	s := r.run()
	require.Equal(t, workflows.OnboardingDone, s.Stage)
	require.Empty(t, r.issued, "no new password for an account in use")
}

func TestResendWhileAwaitingTheLoginIssuesNewCredentials(t *testing.T) {
	t.Parallel()
	r := newOnboardingRun(t)
	r.signal(2*24*time.Hour, workflows.SignalResendCredentials)
	r.env.RegisterDelayedCallback(func() {
		s := r.query()
		require.Equal(t, workflows.OnboardingAwaitingLogin, s.Stage)
		require.Equal(t, 2, s.Round, "a second round of credentials")
		require.Equal(t, monday.Add(9*24*time.Hour), s.NextReminder.In(monday.Location()), "the reminders start over from the resend")
	}, 2*24*time.Hour+time.Hour)
	r.signal(3*24*time.Hour, workflows.SignalFirstLogin)
	s := r.run()
	require.Equal(t, workflows.OnboardingDone, s.Stage)
	require.Equal(t, []string{"onboarding/015146/default-test-run-id/credentials/1", "onboarding/015146/default-test-run-id/credentials/2"}, r.issued,
		"new credentials, whose password replaces the first")
	require.Equal(t, r.issued, r.delivered)
	require.Empty(t, r.reminders)
}

func TestOrgOnboardingCreatesTheAccountWithTheAddressItWasGiven(t *testing.T) {
	t.Parallel()
	r := newOnboardingRun(t)
	school := activities.OrgAccountInput{Org: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}, Name: "IC Esempio", Email: "miic90001a@pec.example.org"}
	r.env.OnActivity(onboardingActs.CreateOrgAccount, mock.Anything, school).Return(activities.ComuneAccount{UserID: "u-1", HasPEC: true}, nil).Once()
	r.signal(3*24*time.Hour, workflows.SignalFirstLogin)
	r.env.ExecuteWorkflow(workflows.OrgOnboardingWorkflowName, workflows.OrgOnboardingInput{Org: school.Org, Name: school.Name, Email: school.Email})
	require.True(t, r.env.IsWorkflowCompleted())
	require.NoError(t, r.env.GetWorkflowError())
	var s workflows.OnboardingState
	require.NoError(t, r.env.GetWorkflowResult(&s))
	require.Equal(t, workflows.OnboardingDone, s.Stage)
	require.Equal(t, []string{"onboarding/school:MIIC90001A/default-test-run-id/credentials/1"}, r.issued)
	require.Equal(t, "onboarding-school-MIIC90001A", workflows.OrgOnboardingWorkflowID(school.Org))
	require.Equal(t, workflows.OnboardingWorkflowID("015146"), workflows.OrgOnboardingWorkflowID(casework.Org{Kind: casework.OrgComune, Code: "015146"}),
		"a comune's first login finds its onboarding by either name")
}

func TestAResendSubmittedTwiceResendsOnce(t *testing.T) {
	t.Parallel()
	r := newOnboardingRun(t)
	for _, after := range []time.Duration{2 * 24 * time.Hour, 2*24*time.Hour + time.Minute, 2*24*time.Hour + 2*time.Hour} {
		r.env.RegisterDelayedCallback(func() {
			r.env.SignalWorkflow(workflows.SignalResendCredentials, workflows.ResendRequest{Key: "form-1"})
		}, after)
	}
	r.signal(3*24*time.Hour, workflows.SignalFirstLogin)
	s := r.run()
	require.Equal(t, workflows.OnboardingDone, s.Stage)
	require.Len(t, r.issued, 2, "the first credentials, and one resend for the key however often it came")
}
