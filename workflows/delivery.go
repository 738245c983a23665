package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
)

// deliveryActivity retries a temporary failure (the mail server busy or down) for three
// days, with growing pauses; an undeliverable notice is not retried.
var deliveryActivity = workflow.ActivityOptions{
	StartToCloseTimeout: 2 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        30 * time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Hour,
		NonRetryableErrorTypes: []string{activities.ErrTypeUndeliverable},
	},
	ScheduleToCloseTimeout: 72 * time.Hour,
}

// DeliverNotificationWorkflow sends one queued notification. It fails, visibly in the
// Temporal UI, when the notification cannot be delivered; the outbox row says why.
func DeliverNotificationWorkflow(ctx workflow.Context, key string) error {
	var delivery *activities.Delivery
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, deliveryActivity), delivery.DeliverNotification, key).Get(ctx, nil)
}
