// Package pecreceipts hands the receipts read from the PEC mailbox to the rest of
// Approdo: it stores each one as evidence, notes what it proves on the message it is
// about, and signals the workflow waiting for that message's receipts when the receipt
// settles the delivery.
package pecreceipts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/pec"
	"github.com/approdo/approdo/internal/pecinbox"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// Signaller is the part of the Temporal client the handler uses.
type Signaller interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
}

var _ Signaller = client.Client(nil)

// Handler is the poller's Sink and Cursor, on PostgreSQL and Temporal.
type Handler struct {
	Store    *store.Store
	Temporal Signaller
	Log      *slog.Logger
}

var (
	_ pecinbox.Sink   = (*Handler)(nil)
	_ pecinbox.Cursor = (*Handler)(nil)
)

// Receipt stores r and, when it settles the delivery (workflows.ReceiptSettlesDelivery:
// the delivery receipt or a final error), signals the workflow that sent the message.
// The acceptance receipt and the 12-hour warning are only stored: the workflow has
// nothing to do with them (it only logged them), and a signal costs it a workflow task.
// The acceptance is read from the database by the send that may repeat an attempt in
// doubt. Both steps may be repeated safely: the store keeps one copy and a workflow
// takes a second signal of the same receipt as news it already has.
func (h *Handler) Receipt(ctx context.Context, r pecinbox.Receipt, raw []byte) error {
	sys := store.AsSystem(ctx)
	// Only the header and daticert.xml are kept: a complete delivery receipt carries the
	// original message, which for a notice of credentials holds a temporary password.
	kept, err := pecinbox.Evidence(raw)
	if err != nil {
		return fmt.Errorf("keep PEC receipt: %w", err)
	}
	workflowID, stored, err := h.Store.RecordPECReceipt(sys, store.PECReceipt{
		MessageID: r.MsgID, Kind: string(r.Type), Recipient: r.Recipient, ReceiptMessageID: r.ReceiptMessageID,
		Error: r.Error, ErrorDetail: r.ErrorDetail, IssuedAt: r.Time, Raw: kept,
		Accepted:  r.Type == pec.Accettazione,
		Delivered: r.Type == pec.AvvenutaConsegna,
		Failed:    r.Type.IsFailure() && r.Type != pec.PreavvisoErroreConsegna,
	})
	if err != nil {
		return err
	}
	if workflowID == "" {
		// A receipt of a message sent from the mailbox by hand, or long forgotten: kept, and
		// nobody to tell.
		h.log().Info("PEC receipt for a message Approdo has no record of", "type", r.Type, "new", stored)
		return nil
	}
	if !workflows.ReceiptSettlesDelivery(r.Type) {
		h.log().Info("PEC receipt stored", "type", r.Type, "workflow_id", workflowID, "new", stored)
		return nil
	}
	err = h.Temporal.SignalWorkflow(ctx, workflowID, "", workflows.SignalPECReceipt, workflows.PECReceiptSignal{Type: string(r.Type), Recipient: r.Recipient})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// The workflow ended: it gave up waiting, or this receipt came after the one that
		// settled it. The receipt is stored all the same.
		h.log().Info("PEC receipt after its workflow ended", "type", r.Type, "workflow_id", workflowID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("tell workflow %s of a PEC receipt: %w", workflowID, err)
	}
	h.log().Info("PEC receipt matched", "type", r.Type, "workflow_id", workflowID, "new", stored)
	return nil
}

// Rejected keeps a message that is not a usable receipt, for inspection.
// The poller logs it, by kind only: the reason may quote the message, which is kept in
// the database and not in the logs.
func (h *Handler) Rejected(ctx context.Context, messageID string, raw []byte, reason string) error {
	return h.Store.RejectInboxMessage(store.AsSystem(ctx), messageID, reason, raw)
}

// Load returns where polling of mailbox got to.
func (h *Handler) Load(ctx context.Context, mailbox string) (uint32, uint32, error) {
	return h.Store.InboxCursor(store.AsSystem(ctx), mailbox)
}

// Save records where polling of mailbox got to.
func (h *Handler) Save(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	return h.Store.SaveInboxCursor(store.AsSystem(ctx), mailbox, uidValidity, lastUID)
}

func (h *Handler) log() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}
