package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/casework"
)

// QueuedNotification is a notification as its sender reads it.
type QueuedNotification struct {
	Notification
	MessageID string
	SentAt    *time.Time
	Attempts  int
	LastError string
}

// NotificationByKey returns a queued notification, or ErrNotFound.
func (s *Store) NotificationByKey(ctx context.Context, key string) (QueuedNotification, error) {
	var n QueuedNotification
	var recipient string
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT key, case_id::text, kind, recipient, coalesce(message_id, ''), sent_at, attempts, coalesce(last_error, '')
			FROM notification WHERE key = $1`, key).Scan(&n.Key, &n.CaseID, &n.Kind, &recipient, &n.MessageID, &n.SentAt, &n.Attempts, &n.LastError)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return QueuedNotification{}, fmt.Errorf("notification: %w", ErrNotFound)
	}
	if err != nil {
		return QueuedNotification{}, fmt.Errorf("read notification: %w", err)
	}
	if n.Recipient, err = casework.ParseOrg(recipient); err != nil {
		// family and orientation have no code
		n.Recipient = casework.Org{Kind: casework.OrgKind(recipient)}
	}
	return n, nil
}

// NoteDeliveryAttempt records an attempt: the Message-ID and address used, and the error
// if it failed ("" when it was sent).
func (s *Store) NoteDeliveryAttempt(ctx context.Context, key, messageID, address, failure string, sent bool) error {
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notification SET message_id = $2, address = NULLIF($3, ''), attempts = attempts + 1,
			last_error = NULLIF($4, ''), sent_at = CASE WHEN $5 THEN coalesce(sent_at, now()) ELSE sent_at END
			WHERE key = $1`, key, messageID, address, failure, sent)
		return err
	})
	if err != nil {
		return fmt.Errorf("record delivery attempt: %w", err)
	}
	return nil
}
