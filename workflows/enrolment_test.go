package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/workflows"
)

// registerCallback records the outcome of one register Update.
type registerCallback struct {
	rejected error
	result   workflows.RegisterResult
	err      error
	done     bool
}

func (u *registerCallback) Accept()          {}
func (u *registerCallback) Reject(err error) { u.rejected = err; u.done = true }
func (u *registerCallback) Complete(v any, err error) {
	u.done = true
	u.err = err
	if r, ok := v.(workflows.RegisterResult); ok {
		u.result = r
	}
}

func (h *harness) register(at time.Duration, hash string) *registerCallback {
	into := &registerCallback{}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.UpdateRegister, "", into, workflows.RegisterInput{RequestHash: hash})
	}, at)
	return into
}

// finish cancels a case that would otherwise wait for people for ever.
func (h *harness) finish(at time.Duration) {
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, at)
}

func TestRegisterAnswersOnceRecordedThenAsRepeat(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var recorded activities.RecordCaseInput
	calls := 0
	h.recordCase = func(_ context.Context, in activities.RecordCaseInput) (activities.RecordCaseResult, error) {
		recorded = in
		calls++
		return activities.RecordCaseResult{Stage: in.Stage}, nil
	}

	first := h.register(0, h.input.RequestHash)
	second := h.register(time.Minute, h.input.RequestHash)
	h.finish(time.Hour)
	h.run()

	require.True(t, first.done)
	require.NoError(t, first.err)
	require.Equal(t, workflows.RegisterResult{CaseID: h.input.CaseID, Created: true, Stage: workflows.StageRegistered}, first.result)
	require.True(t, second.done)
	require.NoError(t, second.err)
	require.False(t, second.result.Created, "a repeated request must not count as a new case")
	require.Equal(t, string(casework.StageAwaitingProposal), second.result.Stage, "by then the case was routed")

	require.Equal(t, 1, calls, "the case is recorded once")
	require.Equal(t, h.input.CaseID, recorded.CaseID)
	require.Equal(t, enrolment.WorkflowID(h.input.CaseID), recorded.WorkflowID, "the activity records the workflow ID the API started")
	require.Equal(t, workflows.StageRegistered, recorded.Stage)
	s := h.state()
	require.True(t, s.Recorded)
	require.Equal(t, 2, s.Registrations)
}

func TestStageSearchAttributeIsSetWhenRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// The first upsert is the one the first slice made; cases recorded before routing
	// existed replay against it. A lean case leaves it to its first commit.
	h.env.OnGetVersion("lean-case", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(searchattr.Stage.ValueSet(workflows.StageRegistered))).Return(nil).Once()
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil)
	h.finish(time.Hour)
	h.run()
	h.env.AssertExpectations(t)
}

// TestALeanCaseSetsItsSearchAttributesOnceWhenStarted checks that a new case upserts its
// search attributes once in the workflow task after its recording: the stage it reached
// (waiting for the hub's proposal) with the hub and the rest, and no stage of its own.
func TestALeanCaseSetsItsSearchAttributesOnceWhenStarted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var upserts []temporal.SearchAttributes
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		upserts = append(upserts, args.Get(0).(temporal.SearchAttributes))
	}).Return(nil)
	h.finish(time.Hour)
	h.run()
	require.Len(t, upserts, 1, "one upsert until the case is finished")
	stage, _ := upserts[0].GetKeyword(searchattr.Stage)
	require.Equal(t, string(casework.StageAwaitingProposal), stage)
	hub, _ := upserts[0].GetKeyword(searchattr.HubID)
	require.Equal(t, hubPolo1.String(), hub)
}

func TestRegisterWithDifferentRequestIsRejectedWithoutHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	conflicting := h.register(time.Minute, "another-hash")
	h.finish(time.Hour)
	h.run()

	require.True(t, conflicting.done)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(conflicting.rejected, &appErr), "want a validator rejection, got %v", conflicting.rejected)
	require.Equal(t, workflows.ErrTypeRequestConflict, appErr.Type())
	require.Zero(t, h.state().Registrations)
}

func TestRecordingIsRetriedUntilTheDatabaseAnswers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	attempts := 0
	h.recordCase = func(_ context.Context, in activities.RecordCaseInput) (activities.RecordCaseResult, error) {
		attempts++
		if attempts < 5 {
			return activities.RecordCaseResult{}, errors.New("connection refused")
		}
		return activities.RecordCaseResult{Stage: in.Stage}, nil
	}
	reg := h.register(0, h.input.RequestHash)
	h.finish(24 * time.Hour)
	h.run()

	require.Equal(t, 5, attempts)
	require.True(t, reg.done)
	require.NoError(t, reg.err)
	require.True(t, reg.result.Created)
}

func TestContinuedCaseDoesNotRecordOrRouteAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// A run started by continue-as-new carries the state: recording or routing again
	// would be wasted work, and the registration count carries on from where it was.
	policy := defaultPolicy()
	h.input.State = workflows.State{
		Stage: casework.StageAwaitingProposal, Recorded: true, Registrations: 1, Policy: &policy,
		Comune: enrolment.MilanoISTAT, Municipio: 2, Level: "primaria", Hub: hubPolo1, Territory: territories[hubPolo1],
		Desk: workflows.Desk{Task: &casework.Task{Kind: casework.TaskProposeSchool, Owner: hubPolo1, Since: monday, DueAt: rome(2026, time.December, 1, 0)}},
		Seq:  2,
	}
	again := h.register(time.Minute, h.input.RequestHash)
	proposed := h.at(time.Hour, workflows.UpdatePropose, workflows.ProposeInput{Actor: hubPolo1, School: schoolA})
	h.finish(2 * time.Hour)
	h.run()

	require.True(t, again.done)
	require.NoError(t, again.err)
	require.False(t, again.result.Created)
	requireApplied(t, proposed)
	require.Equal(t, int64(3), proposed.result.Seq, "event numbers carry on")
	h.env.AssertActivityNotCalled(t, "RecordCase", mock.Anything, mock.Anything)
	h.env.AssertActivityNotCalled(t, "RouteCase", mock.Anything, mock.Anything)
	h.env.AssertActivityNotCalled(t, "CasePolicy", mock.Anything)
}

// TestFirstSliceCaseMovesOnWhenUSTAssignsAHub runs the code path of a case whose history
// was written before routing existed (GetVersion answers DefaultVersion): it must issue no
// new command until UST assigns it a hub, then continue as new with the hub requested.
func TestFirstSliceCaseMovesOnWhenUSTAssignsAHub(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env.OnGetVersion("lean-case", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.env.OnGetVersion("routing", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	byHub := h.at(time.Hour, workflows.UpdateReassign, workflows.ReassignInput{Actor: hubPolo1, Hub: hubCTI21})
	byUST := h.at(2*time.Hour, workflows.UpdateReassign, workflows.ReassignInput{Actor: casework.UST, Hub: hubPolo1})
	h.run()

	requireRejected(t, byHub, workflows.ErrTypeNotAllowed, "")
	requireApplied(t, byUST)
	require.True(t, h.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "want continue-as-new, got %v", h.env.GetWorkflowError())
	h.env.AssertActivityNotCalled(t, "RouteCase", mock.Anything, mock.Anything)
	h.env.AssertActivityNotCalled(t, "SaveProgress", mock.Anything, mock.Anything)
	h.env.AssertActivityNotCalled(t, "SaveProgressAndNotify", mock.Anything, mock.Anything)
}
