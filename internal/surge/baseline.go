package surge

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// BaselineWorkflowName is the bare workflow a case is compared with: the minimum shape of
// a case's three human steps (three updates) and its notices (six activities), doing
// nothing else.
const BaselineWorkflowName = "SurgeBaseline"

// baselineUpdate is the baseline's one update; each runs two no-op activities.
const baselineUpdate = "step"

// BaselineWorkflow waits for three updates, each running two no-op activities, and ends.
func BaselineWorkflow(ctx workflow.Context) error {
	steps := 0
	if err := workflow.SetUpdateHandler(ctx, baselineUpdate, func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
		for range 2 {
			if err := workflow.ExecuteActivity(ctx, NoOp).Get(ctx, nil); err != nil {
				return err
			}
		}
		steps++
		return nil
	}); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return steps == 3 && workflow.AllHandlersFinished(ctx) })
}

// NoOp is the baseline's activity: it does nothing.
func NoOp(context.Context) error { return nil }

// BaselineRun is what running the baseline measured.
type BaselineRun struct {
	Workflows, Concurrency int
	Elapsed                time.Duration
	Completed, Failed      int
	// Whole are the latencies from the update-with-start to the third update's result.
	Whole []time.Duration
	// IDs are the workflows started.
	IDs []string
	// FirstError is the first failure, if any.
	FirstError string
}

// RunBaseline runs n baseline workflows, c at a time, on a worker of its own (task
// queue taskQueue, in this process), each driven as a case is: an update-with-start,
// then two updates, each waited for until completed.
func RunBaseline(ctx context.Context, c client.Client, taskQueue string, n, conc int, progress Progress) (BaselineRun, error) {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(BaselineWorkflow, workflow.RegisterOptions{Name: BaselineWorkflowName})
	w.RegisterActivity(NoOp)
	if err := w.Start(); err != nil {
		return BaselineRun{}, fmt.Errorf("start the baseline worker: %w", err)
	}
	defer w.Stop()

	run := BaselineRun{Workflows: n, Concurrency: conc}
	var mu sync.Mutex
	start := time.Now()
	runPool(ctx, n, conc, progress, func() {
		id := "surge-baseline-" + uuid.NewString()
		began := time.Now()
		err := baselineOnce(ctx, c, taskQueue, id)
		mu.Lock()
		defer mu.Unlock()
		run.IDs = append(run.IDs, id)
		if err != nil {
			run.Failed++
			if run.FirstError == "" {
				run.FirstError = err.Error()
			}
		} else {
			run.Completed++
			run.Whole = append(run.Whole, time.Since(began))
		}
	})
	run.Elapsed = time.Since(start)
	return run, nil
}

func baselineOnce(ctx context.Context, c client.Client, taskQueue, id string) error {
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, BaselineWorkflowName)
	handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: baselineUpdate, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return err
	}
	if err := handle.Get(ctx, nil); err != nil {
		return err
	}
	for range 2 {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: baselineUpdate, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err != nil {
			return err
		}
		if err := h.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}
