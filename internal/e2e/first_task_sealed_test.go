package e2e_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"

	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

// TestANewCaseRecordedInItsFirstTaskReplaysSealed runs new cases on a worker that seals,
// with TEMPORAL_PAYLOAD_PLAIN_BEFORE set, and replays their histories from scratch with
// the same settings, as a worker that lost its cache does. A new case records a version
// marker and its recording's local activity marker in its first workflow task, and the
// SDK reads a task's version markers before the workflow's input: the converter then
// knows nothing of the workflow, and accepts only sealed payloads (an unsealed marker
// would be refused, and the replay would take another path; the last check shows it).
// The worker seals every marker, so the replay passes both for a case started after the
// cutoff and for one started unsealed before it whose first task the new code ran.
func TestANewCaseRecordedInItsFirstTaskReplaysSealed(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{noWorker: true})

	// run files a case through a worker and a client that seal with cutoff (the client
	// of a release before sealing, when plainClient), and returns the case's history.
	run := func(t *testing.T, cutoff time.Time, plainClient bool) *historypb.History {
		codec := payloadCodec.PlainBefore(cutoff)
		sealing, err := client.Dial(client.Options{HostPort: temporalServer.HostPort(), Namespace: namespace, Logger: sdkLogger, DataConverter: codec.DataConverter()})
		require.NoError(t, err)
		defer sealing.Close()
		w := worker.New(sealing, b.taskQueue, sdkworker.Options{}, b.workerDeps(t))
		require.NoError(t, w.Start())
		defer w.Stop()

		filer := sealing
		if plainClient {
			plain, err := client.Dial(client.Options{HostPort: temporalServer.HostPort(), Namespace: namespace, Logger: sdkLogger, DataConverter: converter.GetDefaultDataConverter()})
			require.NoError(t, err)
			defer plain.Close()
			filer = plain
		}
		var req enrolment.Request
		body, err := json.Marshal(validBody())
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(body, &req))
		caseID := enrolment.CaseID(req.Comune, req.RequestID)
		in := workflows.EnrolmentInput{CaseID: caseID, FiledBy: req.Comune, RequestHash: req.Hash(), Request: req}
		h, err := start.Enrolment(b.taskQueue, caseID, req.Comune, string(req.Origin)).UpdateWithStart(b.ctx, filer, in, client.UpdateWorkflowOptions{
			UpdateName: workflows.UpdateRegister, Args: []any{workflows.RegisterInput{RequestHash: in.RequestHash}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		require.NoError(t, err)
		// The answer is sealed: read by the sealing client.
		h = sealing.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{WorkflowID: enrolment.WorkflowID(caseID), UpdateID: h.UpdateID()})
		var registered workflows.RegisterResult
		require.NoError(t, h.Get(b.ctx, &registered))
		require.True(t, registered.Created)

		var history historypb.History
		iter := b.temporal.GetWorkflowHistory(b.ctx, enrolment.WorkflowID(caseID), "", false, 0)
		for iter.HasNext() {
			e, err := iter.Next()
			require.NoError(t, err)
			history.Events = append(history.Events, e)
		}
		return &history
	}
	replay := func(t *testing.T, history *historypb.History, cutoff time.Time) error {
		r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: payloadCodec.PlainBefore(cutoff).DataConverter()})
		require.NoError(t, err)
		worker.RegisterWorkflows(r)
		return r.ReplayWorkflowHistory(nil, history)
	}

	t.Run("started after the cutoff", func(t *testing.T) {
		cutoff := time.Now().Add(-time.Hour)
		history := run(t, cutoff, false)
		markers := firstTaskMarkers(t, history)
		require.Equal(t, []string{"Version record-in-first-task", "LocalActivity RecordCase"}, firstMarkers(t, markers), "the new version, then the recording")
		for _, m := range markers {
			for _, p := range m.GetDetails() {
				for _, payload := range p.GetPayloads() {
					require.True(t, payloadcrypt.Sealed(payload), "marker %s holds an unsealed payload", m.GetMarkerName())
				}
			}
		}
		require.NoError(t, replay(t, history, cutoff))
		require.NoError(t, replay(t, history, time.Time{}), "with no cutoff at all")

		// The same history with its first task's markers unsealed, which no worker of
		// this code writes, does not replay: the SDK drops the refused version marker
		// (it ignores the error) and the replay takes the scheduled recording's path.
		unsealed := proto.Clone(history).(*historypb.History)
		for _, m := range firstTaskMarkers(t, unsealed) {
			for _, p := range m.GetDetails() {
				opened, err := payloadCodec.Decode(p.GetPayloads())
				require.NoError(t, err)
				p.Payloads = opened
			}
		}
		started := history.GetEvents()[0].GetEventTime().AsTime()
		require.Error(t, replay(t, unsealed, started.Add(time.Hour)), "unsealed first-task markers are read before the input, and refused")
	})

	t.Run("started unsealed before the cutoff", func(t *testing.T) {
		cutoff := time.Now().Add(time.Hour)
		history := run(t, cutoff, true)
		input := history.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
		require.NotEmpty(t, input)
		require.False(t, payloadcrypt.Sealed(input[0]), "a filing of a release before sealing")
		require.Equal(t, []string{"Version record-in-first-task", "LocalActivity RecordCase"}, firstMarkers(t, firstTaskMarkers(t, history)))
		require.NoError(t, replay(t, history, cutoff))
	})
}

// firstTaskMarkers are the markers the first workflow task of history recorded, checking
// that the register Update completed in that task and that no activity was scheduled.
func firstTaskMarkers(t *testing.T, history *historypb.History) []*historypb.MarkerRecordedEventAttributes {
	t.Helper()
	var markers []*historypb.MarkerRecordedEventAttributes
	tasks, completedIn := 0, 0
	for _, e := range history.GetEvents() {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			tasks++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if tasks == 1 {
				markers = append(markers, e.GetMarkerRecordedEventAttributes())
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			completedIn = tasks
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			t.Errorf("activity %s scheduled: a new case schedules none", e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
		}
	}
	require.Equal(t, 1, completedIn, "the register Update completes in the first workflow task")
	return markers
}

// firstMarkers names the first two markers: the version and the change ID of a version
// marker, the activity type of a local activity's.
func firstMarkers(t *testing.T, markers []*historypb.MarkerRecordedEventAttributes) []string {
	t.Helper()
	open := func(p *commonpb.Payloads, field string) string {
		opened, err := payloadCodec.Decode(p.GetPayloads())
		require.NoError(t, err)
		var value map[string]any
		if field == "" {
			var s string
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(opened[0], &s))
			return s
		}
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(opened[0], &value))
		return value[field].(string)
	}
	var names []string
	for _, m := range markers[:min(2, len(markers))] {
		switch m.GetMarkerName() {
		case "Version":
			names = append(names, "Version "+open(m.GetDetails()["change-id"], ""))
		case "LocalActivity":
			names = append(names, "LocalActivity "+open(m.GetDetails()["data"], "ActivityType"))
		default:
			names = append(names, m.GetMarkerName())
		}
	}
	return names
}
