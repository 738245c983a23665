package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
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
	h.env.OnGetVersion("record-in-first-task", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
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
	h.env.OnGetVersion("record-in-first-task", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
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

// activityKinds records which activities a test environment ran, and how: local or
// scheduled.
type activityKinds struct {
	mu               sync.Mutex
	local, scheduled []string
}

func (h *harness) watchActivities() *activityKinds {
	k := &activityKinds{}
	h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.local = append(k.local, info.ActivityType.Name)
	})
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.scheduled = append(k.scheduled, info.ActivityType.Name)
	})
	return k
}

// TestANewCaseIsRecordedByALocalActivity checks the path of a new case: the recording is
// a local activity of the first workflow task, with the filing time for the class it
// suggests, and leanChange is implied rather than asked. The register Update answers once
// the case is recorded, as before.
func TestANewCaseIsRecordedByALocalActivity(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	kinds := h.watchActivities()
	var filedAt time.Time
	h.recordCase = func(_ context.Context, in activities.RecordCaseInput) (activities.RecordCaseResult, error) {
		filedAt = in.FiledAt
		return activities.RecordCaseResult{Stage: in.Stage, SuggestedLevel: "primaria", SuggestedYear: 4}, nil
	}
	leanAsked := false
	h.env.OnGetVersion("lean-case", workflow.DefaultVersion, 1).Run(func(mock.Arguments) { leanAsked = true }).Return(workflow.Version(1)).Maybe()
	reg := h.register(0, h.input.RequestHash)
	h.finish(time.Hour)
	h.run()

	require.True(t, reg.done)
	require.NoError(t, reg.err)
	require.Equal(t, workflows.RegisterResult{CaseID: h.input.CaseID, Created: true, Stage: workflows.StageRegistered}, reg.result)
	require.Contains(t, kinds.local, "RecordCase")
	require.NotContains(t, kinds.scheduled, "RecordCase")
	require.Empty(t, kinds.scheduled, "a new case schedules no activity")
	require.True(t, filedAt.Equal(monday), "the class is suggested as of the filing, %s, not %s", monday, filedAt)
	require.False(t, leanAsked, "the new path implies leanChange: no second marker")
	s := h.state()
	require.True(t, s.Recorded)
	require.Equal(t, 4, s.Year)
	require.Equal(t, casework.StageAwaitingProposal, s.Stage, "routed in the same run")
}

// TestACaseOfTheScheduledRecordingKeepsIt runs the path of a history without the
// record-in-first-task marker: the recording stays a scheduled activity, leanChange is
// asked after it, and the case goes on as a lean case.
func TestACaseOfTheScheduledRecordingKeepsIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	kinds := h.watchActivities()
	h.env.OnGetVersion("record-in-first-task", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	leanAsked := false
	h.env.OnGetVersion("lean-case", workflow.DefaultVersion, 1).Run(func(mock.Arguments) { leanAsked = true }).Return(workflow.Version(1))
	reg := h.register(0, h.input.RequestHash)
	h.finish(time.Hour)
	h.run()

	require.True(t, reg.done)
	require.NoError(t, reg.err)
	require.True(t, reg.result.Created)
	require.Equal(t, []string{"RecordCase"}, kinds.scheduled)
	require.NotContains(t, kinds.local, "RecordCase")
	require.True(t, leanAsked)
	require.Equal(t, casework.StageAwaitingProposal, h.state().Stage)
}

// TestANewCaseRecordingADuplicateClosesInItsFirstTask: a local recording that finds an
// open case of the minor records nothing, and the register Update answers with that case.
func TestANewCaseRecordingADuplicateClosesInItsFirstTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	kinds := h.watchActivities()
	const open = "0b8f5a3e-0000-4000-8000-000000000002"
	h.recordCase = func(context.Context, activities.RecordCaseInput) (activities.RecordCaseResult, error) {
		return activities.RecordCaseResult{DuplicateOf: open}, nil
	}
	reg := h.register(0, h.input.RequestHash)
	h.run()

	require.True(t, reg.done)
	require.NoError(t, reg.err)
	require.Equal(t, workflows.RegisterResult{CaseID: h.input.CaseID, Stage: workflows.StageDuplicate, DuplicateOf: open}, reg.result)
	require.Equal(t, []string{"RecordCase"}, kinds.local)
	require.Empty(t, kinds.scheduled)
	require.Equal(t, workflows.EnrolmentResult{Stage: workflows.StageDuplicate, DuplicateOf: open}, h.result())
	h.env.AssertActivityNotCalled(t, "RouteCase", mock.Anything, mock.Anything)
	h.env.AssertActivityNotCalled(t, "SaveProgressAndNotify", mock.Anything, mock.Anything)
}
