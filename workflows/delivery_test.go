package workflows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/mailer"
	"github.com/approdo/approdo/worker"
)

var delivery *activities.Delivery

func runDelivery(t *testing.T, attempt func(int) error) (int, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	worker.Register(env, worker.Dependencies{Cases: &activities.Cases{}, Routing: &activities.Routing{}, Policies: &activities.Policies{}, Delivery: &activities.Delivery{}})
	calls := 0
	env.OnActivity(delivery.DeliverNotification, mock.Anything, "case/3/proposal/school:X").Return(func(context.Context, string) error {
		calls++
		return attempt(calls)
	})
	env.ExecuteWorkflow(activities.DeliverNotificationWorkflowName, "case/3/proposal/school:X")
	require.True(t, env.IsWorkflowCompleted())
	return calls, env.GetWorkflowError()
}

func TestDeliveryRetriesATemporaryFailure(t *testing.T) {
	t.Parallel()
	calls, err := runDelivery(t, func(n int) error {
		if n < 3 {
			return &mailer.Error{Code: 451, Temporary: true, Err: errors.New("try later")}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, calls)
}

func TestUndeliverableNoticeIsNotRetried(t *testing.T) {
	t.Parallel()
	calls, err := runDelivery(t, func(int) error {
		return temporal.NewNonRetryableApplicationError("notification not deliverable", activities.ErrTypeUndeliverable, nil)
	})
	require.Error(t, err, "the workflow fails, visibly in the Temporal UI")
	require.Equal(t, 1, calls)
}
