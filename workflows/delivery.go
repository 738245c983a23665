package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/pec"
	"github.com/approdo/approdo/internal/searchattr"
)

// deliveryActivity retries a temporary failure (the mail server busy or down) for three
// days, with growing pauses; an undeliverable notice is not retried. The sender
// heartbeats while it talks to the server, so that a send whose worker was killed is
// retried within seconds, not at the end of the two minutes.
var deliveryActivity = workflow.ActivityOptions{
	StartToCloseTimeout: 2 * time.Minute,
	HeartbeatTimeout:    15 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        10 * time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Hour,
		NonRetryableErrorTypes: []string{activities.ErrTypeUndeliverable},
	},
	ScheduleToCloseTimeout: 72 * time.Hour,
}

// pecReceiptsChange is the GetVersion change ID of waiting for a PEC's receipts. A
// delivery recorded before it ended when the message left, and replays so. Version
// leanDelivery records the outcome in a local activity and leaves the receipt timer to
// end with the workflow (see DeliverNotificationWorkflow); a history with version 1
// replays the scheduled activity and the cancelled timer it recorded. The same marker
// carries both changes: a marker costs two events (the SDK adds an upsert of
// TemporalChangeVersion to each).
const pecReceiptsChange = "pec-receipts"

// leanDelivery is the version of pecReceiptsChange with the fewer events.
const leanDelivery workflow.Version = 2

// SignalPECReceipt is the signal by which the PEC poller hands a receipt to the workflow
// that sent the message.
const SignalPECReceipt = "pec-receipt"

// PECReceiptSignal is a receipt, as the poller recognised it.
type PECReceiptSignal struct {
	// Type is the receipt's type: accettazione, avvenuta-consegna, errore-consegna…
	Type      string
	Recipient string `json:",omitempty"`
}

// SignalNoticeUndelivered tells a case that one of its notices did not reach its
// recipient: the case shows it and alerts UST.
const SignalNoticeUndelivered = "notice-undelivered"

// NoticeUndelivered is the argument of SignalNoticeUndelivered.
type NoticeUndelivered struct {
	Kind      string
	Recipient string
	Reason    string
}

// The stages of a delivery workflow, for the Temporal UI: a PEC waiting for its delivery
// receipt, delivered, or not delivered.
const (
	StageAwaitingReceipt = "awaiting_receipt"
	StageDelivered       = "delivered"
	StageNotDelivered    = "not_delivered"
)

// DeliverNotificationWorkflow sends one queued notification. A PEC then waits for its
// delivery receipt; a notice that cannot be delivered (refused, an error receipt, no
// receipt in time) is recorded and its case told. A refused notice fails the workflow,
// visibly in the Temporal UI; the outbox row says why.
//
// The send stays a scheduled activity: it heartbeats while it talks to the server, so a
// send whose worker died is retried within seconds, and it retries for three days with
// pauses of up to an hour, which a local activity would spend holding workflow tasks
// open. Recording the outcome is a short idempotent write keyed by the notice: a local
// activity (one marker, in the workflow task that has the verdict) rather than a
// scheduled one (three events and a workflow task of three more).
func DeliverNotificationWorkflow(ctx workflow.Context, key string) error {
	var delivery *activities.Delivery
	var sent activities.Sent
	sendErr := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, deliveryActivity), delivery.DeliverNotification, key).Get(ctx, &sent)
	version := workflow.GetVersion(ctx, pecReceiptsChange, workflow.DefaultVersion, leanDelivery)
	if version == workflow.DefaultVersion {
		return sendErr
	}
	lean := version >= leanDelivery
	outcome, err := awaitOutcome(ctx, sent, sendErr, !lean)
	if err != nil || outcome == nil {
		return err
	}
	var undelivered activities.UndeliveredNotice
	var noted workflow.Future
	if lean {
		noted = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, durableLocalActivity), delivery.NoteNotificationOutcome, key, *outcome)
	} else {
		noted = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, durableActivity), delivery.NoteNotificationOutcome, key, *outcome)
	}
	if err := noted.Get(ctx, &undelivered); err != nil {
		return err
	}
	if !outcome.Delivered && undelivered.CaseWorkflowID != "" {
		err := workflow.SignalExternalWorkflow(ctx, undelivered.CaseWorkflowID, "", SignalNoticeUndelivered, NoticeUndelivered{
			Kind: undelivered.Kind, Recipient: undelivered.Recipient, Reason: outcome.Reason,
		}).Get(ctx, nil)
		if err != nil {
			// A closed case cannot be told; the outbox row still says it.
			workflow.GetLogger(ctx).Warn("The case of an undelivered notice could not be told", "Error", err)
		}
	}
	return sendErr
}

// deliveryOutcome waits for the fate of a sent message: nil for ordinary email that left
// (nothing more is known of it), the receipt's verdict for a PEC, "refused" for a
// permanent refusal. Any other error is returned as it is.
func deliveryOutcome(ctx workflow.Context, sent activities.Sent, sendErr error) (*activities.Outcome, error) {
	return awaitOutcome(ctx, sent, sendErr, true)
}

// awaitOutcome is deliveryOutcome; cancelTimer says whether the receipt's timer is
// cancelled once a receipt ends the wait. A workflow that ends right after may leave it:
// a timer still pending when the workflow closes is dropped with no event, and
// cancelling it costs one.
func awaitOutcome(ctx workflow.Context, sent activities.Sent, sendErr error, cancelTimer bool) (*activities.Outcome, error) {
	if sendErr != nil {
		var appErr *temporal.ApplicationError
		if errors.As(sendErr, &appErr) && appErr.Type() == activities.ErrTypeUndeliverable {
			return &activities.Outcome{Reason: activities.ReasonRefused}, setDeliveryStage(ctx, StageNotDelivered)
		}
		return nil, sendErr
	}
	if !sent.PEC || sent.Skipped {
		return nil, nil
	}
	if err := setDeliveryStage(ctx, StageAwaitingReceipt); err != nil {
		return nil, err
	}
	outcome := awaitDeliveryReceipt(ctx, sent, cancelTimer)
	stage := StageDelivered
	if !outcome.Delivered {
		stage = StageNotDelivered
	}
	return &outcome, setDeliveryStage(ctx, stage)
}

func setDeliveryStage(ctx workflow.Context, stage string) error {
	return workflow.UpsertTypedSearchAttributes(ctx, searchattr.Stage.ValueSet(stage))
}

// awaitDeliveryReceipt waits for the delivery receipt of a PEC until its timeout. The
// acceptance receipt and the 12-hour warning only say it is on its way; a delivery
// receipt ends the wait, and so does a final error receipt or the timeout.
func awaitDeliveryReceipt(ctx workflow.Context, sent activities.Sent, cancelTimer bool) activities.Outcome {
	logger := workflow.GetLogger(ctx)
	receipts := workflow.GetSignalChannel(ctx, SignalPECReceipt)
	timerCtx, cancel := workflow.WithCancel(ctx)
	if cancelTimer {
		defer cancel()
	}
	timer := workflow.NewTimer(timerCtx, sent.ReceiptTimeout)
	var outcome *activities.Outcome
	for outcome == nil {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(receipts, func(ch workflow.ReceiveChannel, _ bool) {
			var r PECReceiptSignal
			// Not Receive: a signal that does not decode (e.g. an unsealed, forged one)
			// is dropped, and Receive would then wait here for the next, past the timer.
			if !ch.ReceiveAsync(&r) {
				return
			}
			switch t := pec.Type(r.Type); {
			case t == pec.AvvenutaConsegna:
				outcome = &activities.Outcome{Delivered: true}
			case t.IsFailure() && t != pec.PreavvisoErroreConsegna:
				outcome = &activities.Outcome{Reason: r.Type}
			default:
				logger.Info("PEC receipt", "Type", r.Type)
			}
		})
		sel.AddFuture(timer, func(workflow.Future) {
			outcome = &activities.Outcome{Reason: activities.ReasonNoReceipt}
		})
		sel.Select(ctx)
	}
	return *outcome
}
