package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
)

// RetentionWorkflowName is the registered name of the retention run: it pseudonymises
// what closed more than the retention period ago and deletes what is no longer needed.
// A Temporal Schedule (RetentionScheduleID, made by `approdo migrate`) starts it daily.
const RetentionWorkflowName = "Retention"

// RetentionScheduleID is the ID of the Schedule that runs the retention workflow, and the
// prefix of its runs' workflow IDs.
const RetentionScheduleID = "approdo-retention"

// QueryRetentionProgress returns a run's RetentionResult so far.
const QueryRetentionProgress = "progress"

// The stages of a retention run, in the Stage search attribute.
const (
	RetentionPseudonymising = "pseudonymising"
	RetentionPurging        = "purging"
	RetentionDone           = "retention_done"
)

// Defaults of a retention batch: rows per activity, and per kind and transaction.
const (
	DefaultRetentionBatchRows = 1000
	DefaultRetentionBatchSize = 100
)

// RetentionInput is what the Schedule passes to each run (and a run to itself across
// continue-as-new).
type RetentionInput struct {
	// Period is how long after closing personal data is kept.
	Period time.Duration
	// BatchRows is how many rows one activity pseudonymises at most, BatchSize how many
	// of each kind one transaction does; zero takes the defaults.
	BatchRows int `json:",omitempty"`
	BatchSize int `json:",omitempty"`

	// Before is the cut-off of a run that continued as new, and Done what it did so far;
	// the Schedule leaves them empty.
	Before time.Time           `json:",omitzero"`
	Done   store.Pseudonymised `json:",omitzero"`
}

// RetentionResult is what a run did, as counts.
type RetentionResult struct {
	// Before is the cut-off: rows closed before it were pseudonymised.
	Before        time.Time
	Stage         string
	Pseudonymised store.Pseudonymised
	// Batches counts the activities of this run (since its last continue-as-new).
	Batches int
	Purged  store.Purged
}

// retentionActivity may take a while on a large backlog; it heartbeats after each
// transaction, so a stuck worker is noticed well before its timeout.
var retentionActivity = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Minute,
	HeartbeatTimeout:    time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    5 * time.Minute,
		MaximumAttempts:    10,
	},
}

// RetentionWorkflow pseudonymises, batch after batch, the cases, journeys, interventions
// and family imports that closed before now minus the period, then deletes the raw PEC
// messages, account messages, spent sessions and used tokens. Every step skips what is
// done already, so a run that fails or overlaps another is harmless.
func RetentionWorkflow(ctx workflow.Context, in RetentionInput) (RetentionResult, error) {
	if in.Period <= 0 {
		return RetentionResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("retention period %s is not positive", in.Period), "InvalidRetention", nil)
	}
	if in.BatchRows <= 0 {
		in.BatchRows = DefaultRetentionBatchRows
	}
	if in.BatchSize <= 0 {
		in.BatchSize = DefaultRetentionBatchSize
	}
	if in.Before.IsZero() {
		in.Before = workflow.Now(ctx).Add(-in.Period)
	}
	res := RetentionResult{Before: in.Before, Pseudonymised: in.Done}
	if err := workflow.SetQueryHandler(ctx, QueryRetentionProgress, func() (RetentionResult, error) { return res, nil }); err != nil {
		return res, err
	}
	stage := func(s string) error {
		res.Stage = s
		return workflow.UpsertTypedSearchAttributes(ctx, searchattr.Stage.ValueSet(s))
	}
	if err := stage(RetentionPseudonymising); err != nil {
		return res, err
	}
	var acts *activities.Retention
	actx := workflow.WithActivityOptions(ctx, retentionActivity)
	for {
		var n store.Pseudonymised
		err := workflow.ExecuteActivity(actx, acts.PseudonymiseClosed, activities.RetentionBatch{
			Before: in.Before, Rows: in.BatchRows, Size: in.BatchSize,
		}).Get(ctx, &n)
		if err != nil {
			return res, err
		}
		res.Batches++
		res.Pseudonymised = res.Pseudonymised.Add(n)
		if n.Total() < in.BatchRows {
			break
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			in.Done = res.Pseudonymised
			return res, workflow.NewContinueAsNewError(ctx, RetentionWorkflowName, in)
		}
	}
	if err := stage(RetentionPurging); err != nil {
		return res, err
	}
	if err := workflow.ExecuteActivity(actx, acts.PurgeRetention, in.Before, workflow.Now(ctx)).Get(ctx, &res.Purged); err != nil {
		return res, err
	}
	if err := stage(RetentionDone); err != nil {
		return res, err
	}
	workflow.GetLogger(ctx).Info("retention done", "cases", res.Pseudonymised.Cases, "journeys", res.Pseudonymised.Journeys,
		"interventions", res.Pseudonymised.Interventions, "imports", res.Pseudonymised.Imports,
		"pec_messages", res.Purged.PECMessages, "account_messages", res.Purged.AccountMessages,
		"sessions", res.Purged.Sessions, "tokens", res.Purged.Tokens)
	return res, nil
}
