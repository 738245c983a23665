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

// localSendChange is the GetVersion change ID of sending in the first workflow task, as a
// local activity (deliverWithLocalSend). It is the workflow's first call: the first
// command differs (a local activity marker instead of a scheduled activity), and a
// history recorded before it has no marker of it, so it replays the code after it.
//
// The first workflow task then holds markers, which the SDK reads before the workflow's
// input. A worker that seals payloads accepts an unsealed marker only in a workflow
// whose input it has read (payloadcrypt.DataConverter, and the RecordCase comment in
// enrolment.go), so an unsealed history with markers in its first task could not be
// replayed there. That cannot happen here: those markers are written by the worker that
// runs this code, and this code cannot run without sealing (TEMPORAL_PAYLOAD_KEY is
// required by the worker). A DeliverNotification started unsealed, by a release before
// sealing (its Notify activity starts it with the worker's client), still gets sealed
// markers from the worker that runs its first task; its unsealed input is accepted
// under TEMPORAL_PAYLOAD_PLAIN_BEFORE as before.
const localSendChange = "pec-local-send"

// localSend is the version of localSendChange that sends in a local activity.
const localSend workflow.Version = 1

// localDelivery bounds the send in the first workflow task: a local activity holds the
// task open while it runs and retries, so it gets a minute and a few attempts, not the
// three days of deliveryActivity. A send still failing for a reason that may pass is
// then handed to the scheduled activity (deliverWithLocalSend). An undeliverable notice
// is not retried. A local activity does not heartbeat (activity.RecordHeartbeat is a
// no-op there); an attempt cut short by its timeout is settled by the next one as any
// attempt in doubt is: by the provider's acceptance receipt (Delivery.send).
var localDelivery = workflow.LocalActivityOptions{
	StartToCloseTimeout:    30 * time.Second,
	ScheduleToCloseTimeout: time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        2 * time.Second,
		BackoffCoefficient:     2,
		MaximumAttempts:        3,
		NonRetryableErrorTypes: []string{activities.ErrTypeUndeliverable},
	},
}

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
// Since localSendChange the send is first tried as a local activity, for a minute, and
// only then as a scheduled one (deliverWithLocalSend). A history recorded before it has no
// marker of that change and replays the code below it exactly: there the send is a
// scheduled activity, which heartbeats while it talks to the server, so a send whose
// worker died is retried within seconds, and retries for three days with pauses of up
// to an hour, which a local activity would spend holding workflow tasks open. Recording
// the outcome is a short idempotent write keyed by the notice: a local activity (one
// marker, in the workflow task that has the verdict) rather than a scheduled one (three
// events and a workflow task of three more).
func DeliverNotificationWorkflow(ctx workflow.Context, key string) error {
	if workflow.GetVersion(ctx, localSendChange, workflow.DefaultVersion, localSend) >= localSend {
		return deliverWithLocalSend(ctx, key)
	}
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
	tellCaseIfUndelivered(ctx, *outcome, undelivered)
	return sendErr
}

// deliverWithLocalSend is DeliverNotificationWorkflow since localSendChange: a normal PEC
// costs two workflow tasks. The first sends (a local activity), marks the workflow as
// awaiting its receipt and starts the receipt's timer; the second, on the signal of the
// delivery receipt (the poller signals only a receipt that settles the delivery, see
// ReceiptSettlesDelivery), sets the final stage, records the outcome (a local activity)
// and ends. A send the local attempts could not make goes on as a scheduled activity
// with deliveryActivity's three days: the same guarantee as before, at the old price.
// Every attempt, local or scheduled, is the same idempotent DeliverNotification (one
// Message-ID, the "sending" mark, the acceptance receipt for an attempt in doubt), so
// the message still leaves once.
func deliverWithLocalSend(ctx workflow.Context, key string) error {
	var delivery *activities.Delivery
	var sent activities.Sent
	sendErr := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localDelivery), delivery.DeliverNotification, key).Get(ctx, &sent)
	if sendErr != nil && !isUndeliverable(sendErr) && !temporal.IsCanceledError(sendErr) {
		workflow.GetLogger(ctx).Warn("The first attempts at sending failed: sending by a scheduled activity", "Error", sendErr)
		sent = activities.Sent{}
		sendErr = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, deliveryActivity), delivery.DeliverNotification, key).Get(ctx, &sent)
	}
	outcome, err := awaitOutcome(ctx, sent, sendErr, false)
	if err != nil || outcome == nil {
		return err
	}
	return noteOutcome(ctx, key, *outcome, sendErr)
}

// noteOutcome records outcome of the notice key (a local activity) and, when it was not
// delivered, tells its case. It returns sendErr, so that a refused notice fails the
// workflow, visibly in the Temporal UI.
func noteOutcome(ctx workflow.Context, key string, outcome activities.Outcome, sendErr error) error {
	var delivery *activities.Delivery
	var undelivered activities.UndeliveredNotice
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, durableLocalActivity), delivery.NoteNotificationOutcome, key, outcome).Get(ctx, &undelivered)
	if err != nil {
		return err
	}
	tellCaseIfUndelivered(ctx, outcome, undelivered)
	return sendErr
}

// tellCaseIfUndelivered signals the case of a notice that was not delivered, and waits
// for the signal to be taken. A closed case cannot be told; the outbox row still says it.
func tellCaseIfUndelivered(ctx workflow.Context, outcome activities.Outcome, undelivered activities.UndeliveredNotice) {
	if outcome.Delivered || undelivered.CaseWorkflowID == "" {
		return
	}
	err := workflow.SignalExternalWorkflow(ctx, undelivered.CaseWorkflowID, "", SignalNoticeUndelivered, NoticeUndelivered{
		Kind: undelivered.Kind, Recipient: undelivered.Recipient, Reason: outcome.Reason,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("The case of an undelivered notice could not be told", "Error", err)
	}
}

func isUndeliverable(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeUndeliverable
}

// ReceiptSettlesDelivery says whether a receipt of type t settles a PEC's delivery: the
// delivery receipt, or a final error (not the 12-hour warning, preavviso-errore-consegna).
// Only those are signalled to the workflow that waits (package pecreceipts); the
// acceptance receipt and the warning say the message is on its way and are only stored.
func ReceiptSettlesDelivery(t pec.Type) bool {
	return t == pec.AvvenutaConsegna || (t.IsFailure() && t != pec.PreavvisoErroreConsegna)
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
		if isUndeliverable(sendErr) {
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
			// Since ReceiptSettlesDelivery, the poller signals only the first two; a
			// workflow started before may still get the others.
			switch t := pec.Type(r.Type); {
			case t == pec.AvvenutaConsegna:
				outcome = &activities.Outcome{Delivered: true}
			case ReceiptSettlesDelivery(t):
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
