package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/casework"
)

// Outbox is a table of messages waiting to be sent: case notices, or account messages.
type Outbox string

// The two outboxes. Both have a key, a Message-ID chosen once, attempts and an outcome.
const (
	Notifications   Outbox = "notification"
	AccountMessages Outbox = "account_message"
)

func (o Outbox) table() (string, error) {
	switch o {
	case Notifications, AccountMessages:
		return string(o), nil
	}
	return "", fmt.Errorf("unknown outbox %q", o)
}

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
		return tx.QueryRow(ctx, `SELECT key, case_id::text, kind, recipient, coalesce(message_id, ''), sent_at, attempts, coalesce(last_error, ''),
			dispatched, coalesce(channel, '') FROM notification WHERE key = $1`, key).
			Scan(&n.Key, &n.CaseID, &n.Kind, &recipient, &n.MessageID, &n.SentAt, &n.Attempts, &n.LastError, &n.Dispatched, &n.Channel)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return QueuedNotification{}, fmt.Errorf("notification: %w", ErrNotFound)
	}
	if err != nil {
		return QueuedNotification{}, fmt.Errorf("read notification: %w", err)
	}
	n.Recipient = parseRecipient(recipient)
	return n, nil
}

// parseRecipient reads a notification's recipient as stored.
func parseRecipient(recipient string) casework.Org {
	org, err := casework.ParseOrg(recipient)
	if err != nil {
		// family and orientation have no code
		return casework.Org{Kind: casework.OrgKind(recipient)}
	}
	return org
}

// DeliveryAttemptInDoubt returns when an earlier attempt to send a message of the outbox
// began that never recorded its outcome: the worker running it was killed, maybe after
// the server took the message. Nil means no attempt is in doubt.
func (s *Store) DeliveryAttemptInDoubt(ctx context.Context, outbox Outbox, key string) (*time.Time, error) {
	table, err := outbox.table()
	if err != nil {
		return nil, err
	}
	var since *time.Time
	err = s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT sending_since FROM `+table+` WHERE key = $1`, key).Scan(&since)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s %s: %w", outbox, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read delivery attempt: %w", err)
	}
	return since, nil
}

// MarkSending records that a message of the outbox is being handed to the server now,
// until NoteDeliveryAttempt records how that went.
func (s *Store) MarkSending(ctx context.Context, outbox Outbox, key string) error {
	table, err := outbox.table()
	if err != nil {
		return err
	}
	err = s.inOrg(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE `+table+` SET sending_since = now() WHERE key = $1`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark message as being sent: %w", err)
	}
	return nil
}

// Attempt is how an attempt to send a message went.
type Attempt struct {
	MessageID string
	Address   string
	// Failure is why it failed; "" when it was sent.
	Failure string
	Sent    bool
	// Unsure marks a failure after which the server may have taken the message all the
	// same (the connection dropped mid-dialogue): the attempt stays in doubt.
	Unsure bool
}

// NoteDeliveryAttempt records an attempt: the Message-ID and address used, and the error
// if it failed. An account message's secret is wiped once sent: it is needed only to
// write the message.
func (s *Store) NoteDeliveryAttempt(ctx context.Context, outbox Outbox, key string, a Attempt) error {
	if err := s.noteAttempt(ctx, outbox, key, a, ""); err != nil {
		return fmt.Errorf("record delivery attempt: %w", err)
	}
	return nil
}

// noteAttempt is NoteDeliveryAttempt, which also settles a dispatched notification taken
// under lease, if lease is not "" and still held (SettleDispatched).
func (s *Store) noteAttempt(ctx context.Context, outbox Outbox, key string, a Attempt, lease string) error {
	table, err := outbox.table()
	if err != nil {
		return err
	}
	extra := ""
	if outbox == AccountMessages && a.Sent {
		// Set, not computed from the old value: the application may not read it.
		extra = `, secret = NULL`
	}
	args := []any{key, a.MessageID, a.Address, a.Failure, a.Sent, a.Unsure && !a.Sent}
	if lease != "" {
		if outbox != Notifications {
			return fmt.Errorf("only notifications are dispatched, not %s", outbox)
		}
		extra += `, dispatch_due = CASE WHEN dispatch_lease = $7 THEN NULL ELSE dispatch_due END,
			dispatch_lease = CASE WHEN dispatch_lease = $7 THEN NULL ELSE dispatch_lease END`
		args = append(args, lease)
	}
	// One round trip, and for a message that left no wait for the WAL to reach the disk:
	// this runs right after the server took the message, and a crash before it commits
	// sends the message again, so the shorter that moment the better. What asynchronous
	// commit risks is the same and rarer: a PostgreSQL crash in the next fraction of a
	// second forgets the record, and the message goes again; it is never lost.
	return s.execInOrgOneTrip(ctx, a.Sent, `UPDATE `+table+` SET message_id = $2, address = NULLIF($3, ''), attempts = attempts + 1,
			last_error = NULLIF($4, ''), sent_at = CASE WHEN $5 THEN coalesce(sent_at, now()) ELSE sent_at END,
			sending_since = CASE WHEN $6 THEN sending_since ELSE NULL END`+extra+`
			WHERE key = $1`, args...)
}

// execInOrgOneTrip runs one statement as inOrg would, in one round trip to the server
// (with asyncCommit, without waiting for its WAL to be flushed):
// naming the caller and the statement go as one pipelined batch, which PostgreSQL runs
// as one implicit transaction (a single Sync ends it), so the name stays local to it.
func (s *Store) execInOrgOneTrip(ctx context.Context, asyncCommit bool, sql string, args ...any) error {
	b := &pgx.Batch{}
	synchronousCommit := "on"
	if asyncCommit {
		synchronousCommit = "off"
	}
	b.Queue("SELECT set_config('approdo.org', $1, true), set_config('synchronous_commit', $2, true)", orgOf(ctx), synchronousCommit)
	b.Queue(sql, args...)
	results := s.pool.SendBatch(ctx, b)
	if _, err := results.Exec(); err != nil {
		_ = results.Close()
		return fmt.Errorf("name the caller: %w", err)
	}
	if _, err := results.Exec(); err != nil {
		_ = results.Close()
		return err
	}
	return results.Close()
}

// NoteDeliveryOutcome records what became of a sent message: delivered, or not, with the
// reason (a PEC receipt's type, or no receipt in time).
func (s *Store) NoteDeliveryOutcome(ctx context.Context, outbox Outbox, key string, delivered bool, reason string) error {
	table, err := outbox.table()
	if err != nil {
		return err
	}
	err = s.inOrg(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE `+table+` SET
			delivered_at = CASE WHEN $2 THEN coalesce(delivered_at, now()) ELSE delivered_at END,
			undelivered  = CASE WHEN $2 THEN NULL ELSE $3 END
			WHERE key = $1`, key, delivered, reason)
		return err
	})
	if err != nil {
		return fmt.Errorf("record delivery outcome: %w", err)
	}
	return nil
}
