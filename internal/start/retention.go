package start

import (
	"time"

	"go.temporal.io/sdk/client"
)

// RetentionName is the registered type name of the retention workflow, which
// pseudonymises closed records after the retention period.
const RetentionName = "Retention"

// RetentionScheduleID is the ID of the Schedule that runs the retention workflow, and the
// ID its runs start under.
const RetentionScheduleID = "approdo-retention"

// retentionTimeout ends a stuck run before the next day's is due.
const retentionTimeout = 23 * time.Hour

// Retention is what the retention Schedule starts, on taskQueue with input: a Schedule
// starts its runs itself, so this is the Schedule's action rather than a Spec.
func Retention(taskQueue string, input any) *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{
		ID:                       RetentionScheduleID,
		Workflow:                 RetentionName,
		Args:                     []any{input},
		TaskQueue:                taskQueue,
		WorkflowExecutionTimeout: retentionTimeout,
	}
}
