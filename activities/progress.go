package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"

	"go.temporal.io/sdk/activity"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/internal/store"
)

// SaveProgress writes how far a case has got to the read model. The store ignores a write
// that is not newer than what it holds, so retries and late arrivals are harmless.
func (c *Cases) SaveProgress(ctx context.Context, p store.Progress) error {
	if _, err := c.Store.SaveProgress(store.AsSystem(ctx), p); err != nil {
		return fmt.Errorf("save progress of case %s: %w", p.CaseID, err)
	}
	return nil
}

// NotifyInput asks for a message to an organisation about a case.
type NotifyInput struct {
	// Key is unique per message; the workflow derives it from the case and the event that
	// caused it, so a retry or a replay never queues a second message.
	Key       string
	CaseID    string
	Kind      string
	Recipient casework.Org
}

// InterventionNoticeKey is the key of a notice an intervention sends: the case, the
// referral, the number of the intervention's newest event, the kind and the recipient.
// The delivery reads the intervention back from it, to link to its page.
func InterventionNoticeKey(caseID, referral string, seq int64, kind string, to casework.Org) string {
	return fmt.Sprintf("%s/intervention/%s/%d/%s/%s", caseID, referral, seq, kind, to)
}

// interventionOfNotice returns the intervention whose notice is queued under key, if an
// intervention sent it (InterventionNoticeKey).
func interventionOfNotice(key string) (id string, ok bool) {
	parts := strings.SplitN(key, "/", 4)
	if len(parts) < 4 || parts[1] != "intervention" || parts[0] == "" || parts[2] == "" {
		return "", false
	}
	return casework.InterventionID(parts[0], parts[2]), true
}

// Notify queues a message in the outbox. An email notice is sent from there by the
// worker's dispatcher (internal/dispatch), with no workflow of its own; a PEC (to a
// comune, or to a school with no email) by a DeliverNotification workflow, which waits
// for its delivery receipt. The channel is decided here, once, and kept on the row.
func (c *Cases) Notify(ctx context.Context, in NotifyInput) error {
	sys := store.AsSystem(ctx)
	channel, err := c.Store.NoticeChannel(sys, in.Recipient)
	if err != nil {
		return fmt.Errorf("queue notification %s of case %s: %w", in.Kind, in.CaseID, err)
	}
	// Without mail configured (no Temporal client here) nothing is sent: the row waits.
	dispatched := c.Temporal != nil && channel != store.ChannelPEC
	written, err := c.Store.QueueNotification(sys, store.Notification{
		Key: in.Key, CaseID: in.CaseID, Kind: in.Kind, Recipient: in.Recipient, Dispatched: dispatched, Channel: channel,
	})
	if err != nil {
		return fmt.Errorf("queue notification %s of case %s: %w", in.Kind, in.CaseID, err)
	}
	if written {
		activity.GetLogger(ctx).Info("Notification queued", "CaseID", in.CaseID, "Kind", in.Kind, "Recipient", in.Recipient.String())
	} else if dispatched, err = c.Store.NotificationDispatched(sys, in.Key); err != nil {
		// A retry: the row says who sends it. One queued by an older worker has its
		// workflow, or gets it now.
		return fmt.Errorf("queue notification %s of case %s: %w", in.Kind, in.CaseID, err)
	}
	if dispatched {
		return nil // the dispatcher's next poll takes it
	}
	return c.startDelivery(ctx, in.Key)
}

// SaveProgressAndNotifyInput is one committed change of a case: its read model and the
// notices the change sends.
type SaveProgressAndNotifyInput struct {
	Progress store.Progress
	Notices  []NotifyInput `json:",omitempty"`
}

// SaveProgressAndNotify does what SaveProgress and then Notify for each notice do, in one
// call: the case runs it as a local activity, one history event per change instead of
// six per write. A retry repeats it whole, which is harmless: an older progress is
// ignored and each notice is queued and started once by its key.
func (c *Cases) SaveProgressAndNotify(ctx context.Context, in SaveProgressAndNotifyInput) error {
	if err := c.SaveProgress(ctx, in.Progress); err != nil {
		return err
	}
	for _, n := range in.Notices {
		if err := c.Notify(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// NoticeWorkflowID is the ID of the workflow that delivers the notification queued under
// key: one per notification (start.NoticeID).
func NoticeWorkflowID(key string) string { return start.NoticeID(key) }

// startDelivery starts the workflow that sends the notification, once per key: a retry of
// Notify finds it started (or finished) and starts nothing.
func (c *Cases) startDelivery(ctx context.Context, key string) error {
	if c.Temporal == nil {
		return nil // no mail configured: the notification waits in the outbox
	}
	_, err := start.DeliverNotice(ctx, c.Temporal, c.TaskQueue, key)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start delivery of a notification: %w", err)
	}
	return nil
}

// OpenDropoutReferral records a pupil at risk of dropping out, once per follow-up check.
func (c *Cases) OpenDropoutReferral(ctx context.Context, r store.DropoutReferral) error {
	if _, err := c.Store.OpenDropoutReferral(store.AsSystem(ctx), r); err != nil {
		return fmt.Errorf("open dropout referral of case %s: %w", r.CaseID, err)
	}
	return nil
}

// Policies hands the worker's configured case policy to the workflows.
type Policies struct {
	Policy casework.Policy
}

// CasePolicy returns the policy a new case follows. The workflow records it in its
// history, so a later change of configuration does not move a running case's deadlines.
func (p *Policies) CasePolicy(_ context.Context) (casework.Policy, error) {
	return p.Policy, nil
}
