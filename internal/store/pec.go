package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PECMessage is a certified message Approdo handed (or began to hand) to its provider,
// with what the receipts said of it.
type PECMessage struct {
	MessageID   string
	WorkflowID  string
	Address     string
	FirstTryAt  time.Time
	AcceptedAt  *time.Time
	DeliveredAt *time.Time
	FailedAt    *time.Time
	Failure     string
}

// NotePECAttempt records, before a PEC goes to the provider, which workflow waits for its
// receipts. It is written once per Message-ID; later attempts return the first record.
func (s *Store) NotePECAttempt(ctx context.Context, messageID, workflowID, address string) (PECMessage, error) {
	var m PECMessage
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO pec_message (message_id, workflow_id, address) VALUES ($1, $2, $3)
			ON CONFLICT (message_id) DO NOTHING`, messageID, workflowID, address); err != nil {
			return err
		}
		return scanPECMessage(tx.QueryRow(ctx, pecMessageSQL+` WHERE message_id = $1`, messageID), &m)
	})
	if err != nil {
		return PECMessage{}, fmt.Errorf("record PEC attempt: %w", err)
	}
	return m, nil
}

// PECMessageByID returns a PEC Approdo sent, or ErrNotFound.
func (s *Store) PECMessageByID(ctx context.Context, messageID string) (PECMessage, error) {
	var m PECMessage
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		return scanPECMessage(tx.QueryRow(ctx, pecMessageSQL+` WHERE message_id = $1`, messageID), &m)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return PECMessage{}, fmt.Errorf("PEC message: %w", ErrNotFound)
	}
	if err != nil {
		return PECMessage{}, fmt.Errorf("read PEC message: %w", err)
	}
	return m, nil
}

const pecMessageSQL = `SELECT message_id, workflow_id, address, first_try_at, accepted_at, delivered_at, failed_at, coalesce(failure, '') FROM pec_message`

func scanPECMessage(row pgx.Row, m *PECMessage) error {
	return row.Scan(&m.MessageID, &m.WorkflowID, &m.Address, &m.FirstTryAt, &m.AcceptedAt, &m.DeliveredAt, &m.FailedAt, &m.Failure)
}

// PECReceipt is a receipt the provider returned, as stored.
type PECReceipt struct {
	// MessageID is the Message-ID of the message the receipt is about.
	MessageID        string
	Kind             string
	Recipient        string
	ReceiptMessageID string
	Error            string
	ErrorDetail      string
	IssuedAt         time.Time
	Raw              []byte
	// Accepted, Delivered and Failed say what the receipt proves: the provider took the
	// message, it reached the recipient, or it will not.
	Accepted, Delivered, Failed bool
}

// RecordPECReceipt stores a receipt, once, and notes what it proves on the message it is
// about. It returns the workflow waiting for the message's receipts ("" for a message
// Approdo has no record of) and whether the receipt was new.
func (s *Store) RecordPECReceipt(ctx context.Context, r PECReceipt) (workflowID string, stored bool, err error) {
	err = s.inOrg(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO pec_receipt (message_id, kind, recipient, receipt_message_id, error, error_detail, issued_at, raw)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			r.MessageID, r.Kind, r.Recipient, r.ReceiptMessageID, r.Error, r.ErrorDetail, r.IssuedAt, r.Raw)
		if err != nil {
			return err
		}
		stored = tag.RowsAffected() == 1
		err = tx.QueryRow(ctx, `UPDATE pec_message SET
				accepted_at  = CASE WHEN $2 THEN coalesce(accepted_at, $5) ELSE accepted_at END,
				delivered_at = CASE WHEN $3 THEN coalesce(delivered_at, $5) ELSE delivered_at END,
				failed_at    = CASE WHEN $4 THEN coalesce(failed_at, $5) ELSE failed_at END,
				failure      = CASE WHEN $4 AND failure IS NULL THEN $6 ELSE failure END
			WHERE message_id = $1 RETURNING workflow_id`,
			r.MessageID, r.Accepted || r.Delivered, r.Delivered, r.Failed, r.IssuedAt, r.Kind).Scan(&workflowID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("record PEC receipt: %w", err)
	}
	return workflowID, stored, nil
}

// RejectInboxMessage keeps a message of the PEC mailbox that is not a usable receipt.
func (s *Store) RejectInboxMessage(ctx context.Context, messageID, reason string, raw []byte) error {
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO pec_inbox_rejected (message_id, reason, raw) VALUES ($1, $2, $3)`, messageID, reason, raw)
		return err
	})
	if err != nil {
		return fmt.Errorf("keep rejected PEC message: %w", err)
	}
	return nil
}

// InboxCursor returns where polling of mailbox got to; zeros when it never ran.
func (s *Store) InboxCursor(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error) {
	var validity, last int64
	err = s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT uid_validity, last_uid FROM pec_inbox_cursor WHERE mailbox = $1`, mailbox).Scan(&validity, &last)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read PEC inbox cursor: %w", err)
	}
	return uint32(validity), uint32(last), nil
}

// SaveInboxCursor records where polling of mailbox got to.
func (s *Store) SaveInboxCursor(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO pec_inbox_cursor (mailbox, uid_validity, last_uid) VALUES ($1, $2, $3)
			ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid`,
			mailbox, int64(uidValidity), int64(lastUID))
		return err
	})
	if err != nil {
		return fmt.Errorf("save PEC inbox cursor: %w", err)
	}
	return nil
}
