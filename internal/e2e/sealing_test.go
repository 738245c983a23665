package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
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
	// The case's own work (routing, notices) may still be adding events while the test
	// runs, so the history is searched for the forged Update rather than measured.
	updateIDsInHistory := func() []string {
		var ids []string
		it := b.temporal.GetWorkflowHistory(b.ctx, c.WorkflowId, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			require.NoError(t, err)
			if a := e.GetWorkflowExecutionUpdateAdmittedEventAttributes(); a != nil {
				ids = append(ids, a.GetRequest().GetMeta().GetUpdateId())
			}
			if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
				ids = append(ids, a.GetAcceptedRequest().GetMeta().GetUpdateId())
			}
		}
		return ids
	}

	before := b.getCase(t, c.Id)
	require.ErrorContains(t, withdraw(plain, "forged"), "unsealed payload refused")
	after := b.getCase(t, c.Id)
	require.Equal(t, before.Stage, after.Stage)
	require.Equal(t, timelineKinds(before), timelineKinds(after))
	require.NotContains(t, updateIDsInHistory(), "forged", "a refused Update leaves no history")

	require.NoError(t, withdraw(b.temporal, "sealed"), "the same Update sealed is UST's")
	require.Equal(t, "withdrawn", b.getCase(t, c.Id).Stage)
	require.Contains(t, updateIDsInHistory(), "sealed", "a taken Update is found in the history the same way")
}
