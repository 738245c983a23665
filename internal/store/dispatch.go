package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The email dispatcher's side of the notification outbox (internal/dispatch): the rows
// queued with Dispatched, taken under a lease so that two dispatchers never send the same
// row at once, and a dispatcher killed mid-send gives its rows up when the lease runs out.

// DueNotification is a dispatched notification a dispatcher has taken.
type DueNotification struct {
	Key       string
	CreatedAt time.Time
	// Attempts are the attempts recorded so far (NoteDeliveryAttempt).
	Attempts int
	// Undelivered is the outcome already recorded for a refused notice whose case may not
	// have been told yet; "" otherwise.
	Undelivered string
}

// NotificationDispatched reports whether the notification queued under key was queued
// for the dispatcher; ErrNotFound when there is none.
func (s *Store) NotificationDispatched(ctx context.Context, key string) (bool, error) {
	var dispatched bool
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT dispatched FROM notification WHERE key = $1`, key).Scan(&dispatched)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("notification: %w", ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("read notification: %w", err)
	}
	return dispatched, nil
}

// ClaimDueNotifications takes up to n dispatched notifications that are due, oldest due
// first, under lease until now+leaseFor. Rows another dispatcher is taking at this very
// moment are skipped, not waited for; rows another holds under a live lease are not due.
func (s *Store) ClaimDueNotifications(ctx context.Context, lease string, n int, leaseFor time.Duration) ([]DueNotification, error) {
	var out []DueNotification
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `UPDATE notification SET dispatch_due = now() + $3 * interval '1 microsecond', dispatch_lease = $1
			WHERE key IN (SELECT key FROM notification WHERE dispatch_due <= now()
				ORDER BY dispatch_due LIMIT $2 FOR UPDATE SKIP LOCKED)
			RETURNING key, created_at, attempts, coalesce(undelivered, '')`, lease, n, leaseFor.Microseconds())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d DueNotification
			if err := rows.Scan(&d.Key, &d.CreatedAt, &d.Attempts, &d.Undelivered); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim due notifications: %w", err)
	}
	return out, nil
}

// RenewDispatchLease extends the lease on a row until now+leaseFor. False means the lease
// is no longer held: it ran out and another dispatcher took the row, or it was released.
func (s *Store) RenewDispatchLease(ctx context.Context, key, lease string, leaseFor time.Duration) (bool, error) {
	var n int64
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE notification SET dispatch_due = now() + $3 * interval '1 microsecond'
			WHERE key = $1 AND dispatch_lease = $2`, key, lease, leaseFor.Microseconds())
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("renew dispatch lease: %w", err)
	}
	return n == 1, nil
}

// ReleaseDispatch gives a taken row back: due again at next, or settled for good (nil
// next) once it is sent, refused or given up. A release under a lease no longer held
// changes nothing.
func (s *Store) ReleaseDispatch(ctx context.Context, key, lease string, next *time.Time) error {
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notification SET dispatch_due = $3, dispatch_lease = NULL
			WHERE key = $1 AND dispatch_lease = $2`, key, lease, next)
		return err
	})
	if err != nil {
		return fmt.Errorf("release dispatched notification: %w", err)
	}
	return nil
}
