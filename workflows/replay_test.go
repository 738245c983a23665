package workflows_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

// TestReplayCommittedHistories replays histories recorded from a real Temporal server
// (`make histories`) against the current workflow code. A change that would make running
// cases fail on their next workflow task fails here first.
func TestReplayCommittedHistories(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no committed histories to replay")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			replayer := sdkworker.NewWorkflowReplayer()
			worker.RegisterWorkflows(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}

// TestCommittedHistoriesKeepTheirRequestHash decodes the request that opened each recorded
// case and checks that today's code computes the same fingerprint. If it did not, a
// comune repeating a request it filed before an upgrade would get a 409 instead of its
// case.
func TestCommittedHistoriesKeepTheirRequestHash(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "enrolment_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		history, err := client.HistoryFromJSON(mustOpen(t, file), client.HistoryJSONOptions{})
		require.NoError(t, err)
		started := history.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
		require.NotNil(t, started, file)
		var input workflows.EnrolmentInput
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(started.GetInput(), &input))
		require.NotEmpty(t, input.RequestHash)
		require.Equal(t, input.RequestHash, input.Request.Hash(), file)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}
