package payloadcrypt_test

// These tests run workers and clients against a real Temporal server (approdo-devserver):
// what the SDK hands the data converter, and what a refused payload does to an Update, a
// signal or a workflow, is the SDK's and the server's behaviour, not this package's.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/devtemporal/devtemporaltest"
	"github.com/approdo/approdo/internal/payloadcrypt"
)

var (
	serverOnce sync.Once
	server     *devtemporal.Server
	serverErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = server.Stop(ctx)
		cancel()
	}
	os.Exit(code)
}

// temporalServer starts the package's server at the first test that needs one: the
// others do not wait for it.
func temporalServer(t *testing.T) *devtemporal.Server {
	t.Helper()
	serverOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		server, serverErr = devtemporaltest.Start(ctx, devtemporaltest.Options{})
	})
	require.NoError(t, serverErr)
	return server
}

var quietSDK = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))

// dial connects with dc; nil is a client without any codec, as anyone who can reach the
// frontend could write.
func dial(t *testing.T, dc converter.DataConverter) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: temporalServer(t).HostPort(), Namespace: "default", DataConverter: dc, Logger: quietSDK})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// The test workflow keeps a list of notes: its input, then one per "add" Update or
// "note" signal; an activity echoes the input, so activity payloads are crossed too.
// "finish" ends it with the list.
const (
	wfName       = "sealing-test"
	updateAdd    = "add"
	signalNote   = "note"
	signalFinish = "finish"
	queryNotes   = "notes"
)

// echoed holds what the echo activity was given, to tell a workflow that never ran.
var echoed sync.Map

func sealingWorkflow(ctx workflow.Context, first string) ([]string, error) {
	var notes []string // the input joins once echoed: a test reading it knows the activity is done
	if err := workflow.SetQueryHandler(ctx, queryNotes, func() ([]string, error) { return notes, nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, updateAdd, func(ctx workflow.Context, note string) (int, error) {
		notes = append(notes, note)
		return len(notes), nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, note string) error {
		if note == "" {
			return fmt.Errorf("empty note")
		}
		return nil
	}}); err != nil {
		return nil, err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var echoed string
	if err := workflow.ExecuteActivity(actx, "echo", first).Get(ctx, &echoed); err != nil {
		return nil, err
	}
	notes = append([]string{echoed}, notes...)
	// One coroutine reads the notes and the finish, notes first: a note signalled just
	// before finish, in the same workflow task, is taken before returning. A signal that
	// does not decode (a forged, unsealed one) is dropped by ReceiveAsync.
	noteCh, finishCh := workflow.GetSignalChannel(ctx, signalNote), workflow.GetSignalChannel(ctx, signalFinish)
	for finished := false; !finished; {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(noteCh, func(ch workflow.ReceiveChannel, _ bool) {
			var note string
			if ch.ReceiveAsync(&note) {
				notes = append(notes, note)
			}
		})
		sel.AddReceive(finishCh, func(ch workflow.ReceiveChannel, _ bool) {
			ch.ReceiveAsync(nil)
			finished = true
		})
		sel.Select(ctx)
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return nil, err
	}
	return notes, nil
}

func echo(_ context.Context, s string) (string, error) {
	echoed.Store(s, true)
	return s, nil
}

// startWorker runs the test workflow on taskQueue with c's converter, until the test ends
// or the returned stop is called.
func startWorker(t *testing.T, c client.Client, taskQueue string) (stop func()) {
	t.Helper()
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(sealingWorkflow, workflow.RegisterOptions{Name: wfName})
	w.RegisterActivityWithOptions(echo, activity.RegisterOptions{Name: "echo"})
	require.NoError(t, w.Start())
	var once sync.Once
	stop = func() { once.Do(w.Stop) }
	t.Cleanup(stop)
	return stop
}

func start(t *testing.T, c client.Client, taskQueue, first string) client.WorkflowRun {
	t.Helper()
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: "sealing-" + uuid.NewString(), TaskQueue: taskQueue, WorkflowExecutionTimeout: 2 * time.Minute,
	}, wfName, first)
	require.NoError(t, err)
	return run
}

func add(c client.Client, workflowID, note string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: updateAdd, Args: []any{note}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// notes waits until the workflow's notes are want, and fails if they never are.
func notes(t *testing.T, c client.Client, workflowID string, want ...string) {
	t.Helper()
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		var got []string
		v, err := c.QueryWorkflow(context.Background(), workflowID, "", queryNotes)
		require.NoError(ct, err)
		require.NoError(ct, v.Get(&got))
		require.Equal(ct, want, got)
	}, 20*time.Second, 100*time.Millisecond)
}

func finish(t *testing.T, c client.Client, run client.WorkflowRun) []string {
	t.Helper()
	require.NoError(t, c.SignalWorkflow(context.Background(), run.GetID(), "", signalFinish, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []string
	require.NoError(t, c.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &got))
	return got
}

// historyLength is the length of a workflow's history once nothing is under way: no
// workflow task or activity pending.
func historyLength(t *testing.T, c client.Client, workflowID string) int64 {
	t.Helper()
	var n int64
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		d, err := c.DescribeWorkflowExecution(context.Background(), workflowID, "")
		require.NoError(ct, err)
		require.Nil(ct, d.GetPendingWorkflowTask())
		require.Empty(ct, d.GetPendingActivities())
		n = d.GetWorkflowExecutionInfo().GetHistoryLength()
	}, 20*time.Second, 100*time.Millisecond)
	return n
}

// keyIDsInHistory counts the payloads of a workflow's history as Temporal keeps them, by
// the key ID each names (empty for an unsealed one).
func keyIDsInHistory(t *testing.T, c client.Client, workflowID string) map[string]int {
	t.Helper()
	ids := map[string]int{}
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		var ps []*commonpb.Payload
		if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			ps = append(ps, a.GetInput().GetPayloads()...)
		}
		if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			ps = append(ps, a.GetAcceptedRequest().GetInput().GetArgs().GetPayloads()...)
		}
		if a := e.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			ps = append(ps, a.GetInput().GetPayloads()...)
		}
		if a := e.GetActivityTaskCompletedEventAttributes(); a != nil {
			ps = append(ps, a.GetResult().GetPayloads()...)
		}
		for _, p := range ps {
			ids[string(p.GetMetadata()["approdo-key-id"])]++
		}
	}
	return ids
}

func startInput(t *testing.T, c client.Client, workflowID string) *commonpb.Payloads {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	e, err := it.Next()
	require.NoError(t, err)
	return e.GetWorkflowExecutionStartedEventAttributes().GetInput()
}

// replay replays a workflow's history with dc, as a worker without it in its cache would,
// and returns the replay's error (its log, a panic's stack included, is dropped).
func replay(t *testing.T, c client.Client, workflowID string, dc converter.DataConverter) error {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, e)
	}
	r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: dc})
	require.NoError(t, err)
	r.RegisterWorkflowWithOptions(sealingWorkflow, workflow.RegisterOptions{Name: wfName})
	return r.ReplayWorkflowHistory(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), hist)
}

func sealed(t *testing.T, keys ...[]byte) *payloadcrypt.Codec {
	t.Helper()
	return codec(t, keys...)
}

// A client without the codec, as anyone who reaches the frontend could write one, sends
// an Update and a signal to a running workflow: the Update is refused before its
// validator and leaves no trace, the signal is dropped, and the workflow goes on. The
// same through the codec works.
func TestPlainUpdatesAndSignalsAreRefusedOnceSealingIsOn(t *testing.T) {
	t.Parallel()
	taskQueue := "sealing-" + uuid.NewString()
	c := dial(t, sealed(t).DataConverter())
	plain := dial(t, nil)
	startWorker(t, c, taskQueue)
	run := start(t, c, taskQueue, "first")
	notes(t, c, run.GetID(), "first")
	before := historyLength(t, c, run.GetID())

	err := add(plain, run.GetID(), "claims to be UST")
	require.ErrorContains(t, err, "unsealed payload refused")
	require.Equal(t, before, historyLength(t, c, run.GetID()), "a refused Update leaves no history")
	notes(t, c, run.GetID(), "first")

	// Nor with no payload at all, which would otherwise pass as the zero value.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h, err := plain.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: run.GetID(), UpdateName: updateAdd, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	require.ErrorContains(t, err, "1 values expected, 0 payloads given")
	require.Equal(t, before, historyLength(t, c, run.GetID()))

	require.NoError(t, plain.SignalWorkflow(context.Background(), run.GetID(), "", signalNote, "forged"))
	_, err = plain.WorkflowService().SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: run.GetID()}, SignalName: signalNote,
	})
	require.NoError(t, err, "a signal with no payload is recorded, and dropped by the worker")
	require.NoError(t, add(c, run.GetID(), "sealed"), "an Update through the codec is taken")
	notes(t, c, run.GetID(), "first", "sealed") // the forged signals were dropped
	require.NoError(t, c.SignalWorkflow(context.Background(), run.GetID(), "", signalNote, "sealed signal"))
	require.Equal(t, []string{"first", "sealed", "sealed signal"}, finish(t, c, run))
	require.Equal(t, 1, keyIDsInHistory(t, c, run.GetID())[""], "the forged signal's is the history's only unsealed payload")
}

// A workflow started by a client without the codec, after sealing was turned on, does
// not run: its input is refused before its code starts.
func TestAPlainWorkflowStartIsRefused(t *testing.T) {
	t.Parallel()
	taskQueue := "sealing-" + uuid.NewString()
	c := dial(t, sealed(t).DataConverter())
	startWorker(t, c, taskQueue)
	run := start(t, dial(t, nil), taskQueue, "forged start")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run.Get(ctx, nil)
	require.ErrorContains(t, err, "unsealed payload refused")
	_, ran := echoed.Load("forged start")
	require.False(t, ran, "the workflow's code did not run")
}

// A workflow started before sealing was turned on holds unsealed payloads (its input, an
// Update); with TEMPORAL_PAYLOAD_PLAIN_BEFORE after its start, a sealing worker replays
// and runs it. A workflow started unsealed after the cutoff is still refused.
func TestWorkflowsStartedBeforeSealingStillRunAndReplay(t *testing.T) {
	t.Parallel()
	taskQueue := "sealing-" + uuid.NewString()
	plain := dial(t, nil)
	stopPlain := startWorker(t, plain, taskQueue)
	run := start(t, plain, taskQueue, "before sealing")
	require.NoError(t, add(plain, run.GetID(), "plain update"))
	notes(t, plain, run.GetID(), "before sealing", "plain update")
	stopPlain()

	cutoff := time.Now()
	keyring := sealed(t).PlainBefore(cutoff)
	c := dial(t, keyring.DataConverter())
	startWorker(t, c, taskQueue)
	require.NoError(t, add(c, run.GetID(), "sealed update"), "a new worker replays the unsealed history, then takes a sealed Update")
	notes(t, c, run.GetID(), "before sealing", "plain update", "sealed update")

	// The exception is per workflow: the one started before the cutoff still takes an
	// unsealed Update; one started after it refuses it, as it refuses an unsealed start.
	require.NoError(t, add(plain, run.GetID(), "plain again"))
	notes(t, c, run.GetID(), "before sealing", "plain update", "sealed update", "plain again")
	sealedRun := start(t, c, taskQueue, "sealed start")
	notes(t, c, sealedRun.GetID(), "sealed start")
	require.ErrorContains(t, add(plain, sealedRun.GetID(), "forged"), "only workflows started before TEMPORAL_PAYLOAD_PLAIN_BEFORE")
	require.Equal(t, []string{"sealed start"}, finish(t, c, sealedRun))

	late := start(t, plain, taskQueue, "after sealing")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.ErrorContains(t, late.Get(ctx, nil), "only workflows started before TEMPORAL_PAYLOAD_PLAIN_BEFORE")

	require.Equal(t, []string{"before sealing", "plain update", "sealed update", "plain again"}, finish(t, c, run))
	require.NoError(t, replay(t, c, run.GetID(), keyring.DataConverter()))
	// Without the cutoff the workflow's input is refused, its code does not run, and the
	// replay parts from the history at its first command.
	require.Error(t, replay(t, c, run.GetID(), sealed(t).DataConverter()))
}

// The rotation of the README: a new key is first added to every process for opening
// only, then made the sealing key, the old one kept for opening. At each step every
// payload opens, whichever process sealed it; a key nobody was given is a clear error.
func TestRotatedKeysStillOpenWhatTheySealed(t *testing.T) {
	t.Parallel()
	taskQueue := "sealing-" + uuid.NewString()
	k1, k2, stranger := newKey(t), newKey(t), newKey(t)

	c1 := dial(t, sealed(t, k1).DataConverter())
	stop1 := startWorker(t, c1, taskQueue)
	run := start(t, c1, taskQueue, "under k1")
	require.NoError(t, add(c1, run.GetID(), "k1 update"))
	notes(t, c1, run.GetID(), "under k1", "k1 update")
	stop1()

	// Step 1: k2 opens, k1 still seals. A process already at step 2 seals with k2.
	c2 := dial(t, sealed(t, k1, k2).DataConverter())
	stop2 := startWorker(t, c2, taskQueue)
	ahead := dial(t, sealed(t, k2, k1).DataConverter())
	require.NoError(t, add(ahead, run.GetID(), "k2 update"))
	notes(t, c2, run.GetID(), "under k1", "k1 update", "k2 update")
	stop2()

	// Step 2: k2 seals, k1 only opens.
	c3 := dial(t, sealed(t, k2, k1).DataConverter())
	startWorker(t, c3, taskQueue)
	require.NoError(t, add(c3, run.GetID(), "after rotation"))
	notes(t, c3, run.GetID(), "under k1", "k1 update", "k2 update", "after rotation")

	before := historyLength(t, c3, run.GetID())
	err := add(dial(t, sealed(t, stranger).DataConverter()), run.GetID(), "stranger")
	require.ErrorContains(t, err, "sealed with a key this process does not have")
	require.ErrorContains(t, err, payloadcrypt.KeyID(stranger), "the unknown key is named by its ID")
	require.Equal(t, before, historyLength(t, c3, run.GetID()), "and changes nothing")

	require.Equal(t, []string{"under k1", "k1 update", "k2 update", "after rotation"}, finish(t, c3, run))
	ids := keyIDsInHistory(t, c3, run.GetID())
	require.Positive(t, ids[payloadcrypt.KeyID(k1)])
	require.Positive(t, ids[payloadcrypt.KeyID(k2)])
	require.Zero(t, ids[""], "nothing unsealed")

	require.NoError(t, replay(t, c3, run.GetID(), sealed(t, k2, k1).DataConverter()))
	require.Error(t, replay(t, c3, run.GetID(), sealed(t, k2).DataConverter()), "k1 removed too early: the workflow's input does not open")
	var input string
	err = sealed(t, k2).DataConverter().FromPayloads(startInput(t, c3, run.GetID()), &input)
	require.ErrorIs(t, err, payloadcrypt.ErrUnknownKey)
	require.ErrorContains(t, err, payloadcrypt.KeyID(k1), "the missing key is named by its ID")
}
