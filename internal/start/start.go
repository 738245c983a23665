// Package start is the one place that knows how each of Approdo's workflows is started:
// its registered type name, its workflow ID, its ID reuse and conflict policies, its task
// queue, its timeouts and the search attributes it starts with. The API, the activities,
// the worker's Schedule and `approdo` all start workflows through it, and
// TestNoOtherPlaceBuildsStartOptions fails if another non-test file builds start options
// of its own.
//
// It holds names, IDs and options, not the workflows' inputs. The input types live in
// package workflows, which imports package activities, and the activities start the
// deliveries of notices: so this package sits below both and cannot name those types. A
// caller passes the input with the start (Spec.Execute, Spec.UpdateWithStart); where the
// input is a plain key (the deliveries) the starter takes it itself and is fully typed.
// The options of the children that workflows start (ChildOptions in each file) live here
// too, so that a child and a start from outside agree on the ID.
//
// Workflow IDs are made of codes and of IDs that Approdo derives (UUIDs, hashes of keys),
// never of personal data: they are shown in the Temporal Web UI and in logs. The initial
// search attributes are codes and stages only, for the same reason.
package start

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"go.temporal.io/sdk/client"
)

// Spec is one start of one workflow: the registered type name and the options the start
// uses. A starter function of this package builds it; callers do not change it.
type Spec struct {
	Name    string
	Options client.StartWorkflowOptions
}

// Executor is the part of the Temporal client that a plain start uses.
type Executor interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
}

// UpdateWithStarter is the part of the Temporal client that an update-with-start uses.
type UpdateWithStarter interface {
	NewWithStartWorkflowOperation(options client.StartWorkflowOptions, workflow any, args ...any) client.WithStartWorkflowOperation
	UpdateWithStartWorkflow(ctx context.Context, options client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// Execute starts the workflow with input. What a start that finds the workflow already
// there returns depends on the Spec's policies, see each starter.
func (s Spec) Execute(ctx context.Context, c Executor, input any) (client.WorkflowRun, error) {
	return c.ExecuteWorkflow(ctx, s.Options, s.Name, input)
}

// UpdateWithStart starts the workflow with input, or finds it running, and sends it
// update, in one call: the caller learns the update's outcome whether the workflow was
// new or not.
func (s Spec) UpdateWithStart(ctx context.Context, c UpdateWithStarter, input any, update client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: c.NewWithStartWorkflowOperation(s.Options, s.Name, input),
		UpdateOptions:          update,
	})
}

// hashedID is prefix followed by half a SHA-256 of key: an ID per key that is short and
// shows nothing of the key, which may name a case and a recipient.
func hashedID(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + hex.EncodeToString(sum[:16])
}
