package surge

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
)

type updateCallback struct {
	err  error
	done bool
}

func (u *updateCallback) Accept()                   {}
func (u *updateCallback) Reject(err error)          { u.err, u.done = err, true }
func (u *updateCallback) Complete(_ any, err error) { u.err, u.done = err, true }

// The baseline runs two activities per update and ends after the third update.
func TestBaselineRunsTwoActivitiesPerUpdateAndEndsAfterThree(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(NoOp)
	calls := 0
	env.SetOnActivityStartedListener(func(_ *activity.Info, _ context.Context, _ converter.EncodedValues) { calls++ })
	updates := make([]*updateCallback, 3)
	for i := range updates {
		updates[i] = &updateCallback{}
		env.RegisterDelayedCallback(func() { env.UpdateWorkflow(baselineUpdate, "", updates[i]) }, time.Duration(i+1)*time.Second)
	}
	env.ExecuteWorkflow(BaselineWorkflow)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	for _, u := range updates {
		require.True(t, u.done)
		require.NoError(t, u.err)
	}
	require.Equal(t, 6, calls)
}

// Each request names a different minor: Approdo refuses a second open case for one.
func TestRequestBodiesNameDifferentMinors(t *testing.T) {
	require.NotEqual(t, RequestBody("a"), RequestBody("a"))
}
