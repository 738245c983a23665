package workflows_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
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
			sealFirstTaskMarkers(t, codec, history)

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

// sealFirstTaskMarkers seals the markers recorded by a history's first workflow task, as
// the worker that recorded them did. Only code that always seals records markers there
// (DeliverNotification since its local send, workflows/delivery.go localSendChange; the
// enrolment case since its recording in the first task, recordInFirstTaskChange): a
// deployment before sealing never wrote one, so such a history was never unsealed there,
// even when its input was (a workflow started by a release before sealing). The SDK
// reads a task's markers before the workflow's input, so unsealed ones would be refused.
func sealFirstTaskMarkers(t *testing.T, codec *payloadcrypt.Codec, history *historypb.History) {
	t.Helper()
	tasks := 0
	for _, e := range history.GetEvents() {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			tasks++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if tasks != 1 {
				continue
			}
			for _, details := range e.GetMarkerRecordedEventAttributes().GetDetails() {
				sealed, err := codec.Encode(details.GetPayloads())
				require.NoError(t, err)
				details.Payloads = sealed
			}
		}
		if tasks > 1 {
			return
		}
	}
}
