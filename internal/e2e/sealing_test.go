package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// Anyone who reaches the Temporal frontend can send an Update. Without the payload key
// they can only send it unsealed, and the worker refuses it: claiming to be UST and
// withdrawing a running case changes nothing, and leaves no trace in its history. The
// same Update sealed, as the API sends it, is taken.
func TestAPlainUpdateClaimingToBeUSTIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	plain, err := client.Dial(client.Options{HostPort: temporalServer.HostPort(), Namespace: namespace, Logger: sdkLogger})
	require.NoError(t, err)
	t.Cleanup(plain.Close)

	withdraw := func(tc client.Client, key string) error {
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		h, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: c.WorkflowId, UpdateID: key, UpdateName: workflows.UpdateWithdraw,
			Args:         []any{workflows.WithdrawInput{Actor: casework.UST, Reason: "duplicate"}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err != nil {
			return err
		}
		return h.Get(ctx, nil)
	}
	historyLength := func() int64 {
		d, err := b.temporal.DescribeWorkflowExecution(b.ctx, c.WorkflowId, "")
		require.NoError(t, err)
		return d.GetWorkflowExecutionInfo().GetHistoryLength()
	}

	before := b.getCase(t, c.Id)
	length := historyLength()
	require.ErrorContains(t, withdraw(plain, "forged"), "unsealed payload refused")
	after := b.getCase(t, c.Id)
	require.Equal(t, before.Stage, after.Stage)
	require.Equal(t, timelineKinds(before), timelineKinds(after))
	require.Equal(t, length, historyLength(), "a refused Update leaves no history")

	require.NoError(t, withdraw(b.temporal, "sealed"), "the same Update sealed is UST's")
	require.Equal(t, "withdrawn", b.getCase(t, c.Id).Stage)
}
