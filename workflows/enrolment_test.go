package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

// cases names the activity for OnActivity; its methods are mocked, never run.
var cases *activities.Cases

type bundle struct {
	env   *testsuite.TestWorkflowEnvironment
	input workflows.EnrolmentInput
}

func setup(t *testing.T) bundle {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	worker.Register(env, worker.Dependencies{Cases: &activities.Cases{}})
	req := enrolment.Request{
		RequestID: "3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f",
		Comune:    "015146",
		Level:     enrolment.LevelPrimaria,
		Minor:     enrolment.Minor{GivenName: "Olena", FamilyName: "Kovalenko", BirthDate: "2017-04-12"},
	}
	caseID := enrolment.CaseID(req.Comune, req.RequestID)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: enrolment.WorkflowID(caseID)})
	return bundle{env: env, input: workflows.EnrolmentInput{CaseID: caseID, FiledBy: req.Comune, RequestHash: req.Hash(), Request: req}}
}

// updateCallback records the outcome of one Update sent through the test environment.
type updateCallback struct {
	rejected error
	result   workflows.RegisterResult
	err      error
	done     bool
}

func (u *updateCallback) Accept()          {}
func (u *updateCallback) Reject(err error) { u.rejected = err; u.done = true }
func (u *updateCallback) Complete(v any, err error) {
	u.done = true
	u.err = err
	if r, ok := v.(workflows.RegisterResult); ok {
		u.result = r
	}
}

func (b bundle) register(at time.Duration, hash string, into *updateCallback) {
	b.env.RegisterDelayedCallback(func() {
		b.env.UpdateWorkflow(workflows.UpdateRegister, "", into, workflows.RegisterInput{RequestHash: hash})
	}, at)
}

// finish cancels the case after the interesting part: the workflow waits for routing,
// which this slice does not have yet, so it would otherwise never end.
func (b bundle) finish(at time.Duration) {
	b.env.RegisterDelayedCallback(b.env.CancelWorkflow, at)
}

func TestRegisterAnswersOnceRecordedThenAsRepeat(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var recorded activities.RecordCaseInput
	b.env.OnActivity(cases.RecordCase, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordCaseInput) (activities.RecordCaseResult, error) {
			recorded = in
			return activities.RecordCaseResult{Stage: in.Stage}, nil
		}).Once()

	var first, second updateCallback
	b.register(0, b.input.RequestHash, &first)
	b.register(time.Minute, b.input.RequestHash, &second)
	b.finish(time.Hour)
	b.env.ExecuteWorkflow(workflows.EnrolmentWorkflowName, b.input)

	require.True(t, first.done)
	require.NoError(t, first.err)
	require.Equal(t, workflows.RegisterResult{CaseID: b.input.CaseID, Created: true, Stage: workflows.StageRegistered}, first.result)
	require.True(t, second.done)
	require.NoError(t, second.err)
	require.False(t, second.result.Created, "a repeated request must not count as a new case")

	require.Equal(t, b.input.CaseID, recorded.CaseID)
	require.Equal(t, enrolment.WorkflowID(b.input.CaseID), recorded.WorkflowID, "the activity records the workflow ID the API started")
	require.Equal(t, workflows.StageRegistered, recorded.Stage)

	stage, err := b.env.QueryWorkflow(workflows.QueryState)
	require.NoError(t, err)
	var state workflows.State
	require.NoError(t, stage.Get(&state))
	require.Equal(t, workflows.State{Stage: workflows.StageRegistered, Recorded: true, Registrations: 2}, state)
}

func TestStageSearchAttributeIsRegistered(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.OnActivity(cases.RecordCase, mock.Anything, mock.Anything).Return(activities.RecordCaseResult{Stage: workflows.StageRegistered}, nil)
	b.env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(searchattr.Stage.ValueSet(workflows.StageRegistered))).Return(nil).Once()
	b.finish(time.Hour)
	b.env.ExecuteWorkflow(workflows.EnrolmentWorkflowName, b.input)
	b.env.AssertExpectations(t)
}

func TestRegisterWithDifferentRequestIsRejectedWithoutHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.OnActivity(cases.RecordCase, mock.Anything, mock.Anything).Return(activities.RecordCaseResult{Stage: workflows.StageRegistered}, nil)
	var conflicting updateCallback
	b.register(time.Minute, "another-hash", &conflicting)
	b.finish(time.Hour)
	b.env.ExecuteWorkflow(workflows.EnrolmentWorkflowName, b.input)

	require.True(t, conflicting.done)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(conflicting.rejected, &appErr), "want a validator rejection, got %v", conflicting.rejected)
	require.Equal(t, workflows.ErrTypeRequestConflict, appErr.Type())

	state, err := b.env.QueryWorkflow(workflows.QueryState)
	require.NoError(t, err)
	var s workflows.State
	require.NoError(t, state.Get(&s))
	require.Zero(t, s.Registrations)
}

func TestRecordingIsRetriedUntilTheDatabaseAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	attempts := 0
	b.env.OnActivity(cases.RecordCase, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordCaseInput) (activities.RecordCaseResult, error) {
			attempts++
			if attempts < 5 {
				return activities.RecordCaseResult{}, errors.New("connection refused")
			}
			return activities.RecordCaseResult{Stage: in.Stage}, nil
		})
	var reg updateCallback
	b.register(0, b.input.RequestHash, &reg)
	b.finish(24 * time.Hour)
	b.env.ExecuteWorkflow(workflows.EnrolmentWorkflowName, b.input)

	require.Equal(t, 5, attempts)
	require.True(t, reg.done)
	require.NoError(t, reg.err)
	require.True(t, reg.result.Created)
}

func TestContinuedCaseDoesNotRecordAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// A run started by continue-as-new carries the state; recording again would be a
	// wasted activity, and the registration count must carry on from where it was.
	b.input.State = workflows.State{Stage: workflows.StageRegistered, Recorded: true, Registrations: 1}
	var again updateCallback
	b.register(time.Minute, b.input.RequestHash, &again)
	b.finish(time.Hour)
	b.env.ExecuteWorkflow(workflows.EnrolmentWorkflowName, b.input)

	require.True(t, again.done)
	require.NoError(t, again.err)
	require.False(t, again.result.Created)
	b.env.AssertActivityNotCalled(t, "RecordCase", mock.Anything, mock.Anything)
}
