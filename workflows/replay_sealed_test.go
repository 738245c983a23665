package workflows_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/worker"
)

// The committed histories were recorded without sealing, like the histories a deployment
// made before sealing was turned on. A worker that seals replays them when
// TEMPORAL_PAYLOAD_PLAIN_BEFORE is after their start, and refuses them otherwise.
func TestCommittedHistoriesReplayOnASealingWorkerWithTheCutoff(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	codec, err := payloadcrypt.FromSettings(payloadcrypt.Settings{Key: payloadcrypt.NewKey()})
	require.NoError(t, err)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			history, err := client.HistoryFromJSON(mustOpen(t, file), client.HistoryJSONOptions{})
			require.NoError(t, err)
			started := history.GetEvents()[0].GetEventTime().AsTime()

			replay := func(c *payloadcrypt.Codec) error {
				r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: c.DataConverter()})
				require.NoError(t, err)
				worker.RegisterWorkflows(r)
				return r.ReplayWorkflowHistory(nil, history)
			}
			require.NoError(t, replay(codec.PlainBefore(started.Add(time.Second))))
			require.Error(t, replay(codec.PlainBefore(started)), "a workflow started at the cutoff is not before it")
		})
	}
}
