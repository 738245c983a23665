package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/approdo/approdo/internal/casework"
)

// The email dispatcher's side of the notification outbox (internal/dispatch): the rows
// queued with Dispatched, taken under a lease so that two dispatchers never send the same
// row at once, and a dispatcher killed mid-send gives its rows up when the lease runs out.

// DueNotification is a dispatched notification a dispatcher has taken, with all that
// sending it needs from the database, read by the claim that took it: the row, the
// family's address when it goes to a family, and which reference data is current.
type DueNotification struct {
	QueuedNotification
	CreatedAt time.Time
	// Undelivered is the outcome already recorded for a refused notice whose case may not
	// have been told yet; "" otherwise.
	Undelivered string
	// InDoubtSince is when an earlier attempt began that never recorded how it went (as
	// DeliveryAttemptInDoubt); nil when none is in doubt.
	InDoubtSince *time.Time
	// Marked says that the row is marked as being sent (as MarkSending does): the claim
	// marks every email notice it takes that is still to be sent, keeping the time of an
	// attempt in doubt.
	Marked bool
	// Family is the guardian's address and the minor's placement, for a notice to the
	// family whose case exists; nil otherwise.
	Family *FamilyContact
	// Refdata names the reference data current at the claim (ReferenceDataAt).
	Refdata RefdataVersion
}

// FamilyContact is what a notice to a family needs from its case.
type FamilyContact struct {
	GuardianEmail    string
	GuardianLanguage string
	Placement        *casework.Placement
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
//
// The claim is the only read a send needs, in one round trip: each row comes with its
// family's address (a notice to a family) and the current reference data's version. And
// it marks each email notice still to send as being sent (sending_since), which every
// attempt needs before the message leaves: a dispatcher takes only as many rows as it
// has senders free, and starts sending them at once. A dispatcher killed after the claim
// and before the message left leaves the attempt in doubt, as one killed mid-send does:
// the next looks for it in the mail archive and waits MAIL_ARCHIVE_GRACE from the claim
// before sending it again (never twice; later, by at most that grace). A mark already
// there (an attempt in doubt) is kept, with its time, and returned as InDoubtSince.
func (s *Store) ClaimDueNotifications(ctx context.Context, lease string, n int, leaseFor time.Duration) ([]DueNotification, error) {
	var out []DueNotification
	b := &pgx.Batch{}
	b.Queue(claimDueNotificationsSQL, pgx.NamedArgs{"lease": lease, "n": n, "lease_for": leaseFor.Microseconds()})
	err := s.batchInOrg(ctx, b, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d DueNotification
			var recipient string
			var caseFound bool
			var family FamilyContact
			var refdataID *int64
			var refdataSHA *string
			if err := rows.Scan(&d.Key, &d.CaseID, &d.Kind, &recipient, &d.MessageID, &d.SentAt, &d.Attempts, &d.LastError,
				&d.Dispatched, &d.Channel, &d.CreatedAt, &d.Undelivered, &d.InDoubtSince, &d.Marked,
				&caseFound, &family.GuardianEmail, &family.GuardianLanguage, &family.Placement, &refdataID, &refdataSHA); err != nil {
				return err
			}
			d.Recipient = parseRecipient(recipient)
			if caseFound {
				d.Family = &family
			}
			if refdataID != nil && refdataSHA != nil {
				d.Refdata = RefdataVersion{key: refdataImportKey{id: *refdataID, sha256: *refdataSHA}}
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

// claimDueNotificationsSQL takes the due rows (ClaimDueNotifications). A row is marked as
// being sent when it is an email notice still to send: not sent, not refused, and not a
// PEC (a row queued before its channel was kept goes by PEC when it is a comune's, as
// activities.ByPEC says), which the dispatcher never sends.
const claimDueNotificationsSQL = `WITH due AS (
		SELECT key, sending_since FROM notification WHERE dispatch_due <= now()
		ORDER BY dispatch_due LIMIT @n FOR UPDATE SKIP LOCKED
	), taken AS (
		UPDATE notification n SET dispatch_due = now() + @lease_for * interval '1 microsecond', dispatch_lease = @lease,
			sending_since = CASE
				WHEN n.sent_at IS NULL AND n.undelivered IS NULL
					AND coalesce(n.channel, CASE WHEN n.recipient LIKE 'comune:%' THEN 'pec' ELSE 'email' END) = 'email'
				THEN coalesce(n.sending_since, now())
				ELSE n.sending_since END
		FROM due WHERE n.key = due.key
		RETURNING n.key, n.case_id, n.kind, n.recipient, coalesce(n.message_id, '') AS message_id, n.sent_at, n.attempts,
			coalesce(n.last_error, '') AS last_error, n.dispatched, coalesce(n.channel, '') AS channel, n.created_at,
			coalesce(n.undelivered, '') AS undelivered, due.sending_since AS in_doubt_since, n.sending_since IS NOT NULL AS marked
	)
	SELECT t.key, t.case_id::text, t.kind, t.recipient, t.message_id, t.sent_at, t.attempts, t.last_error,
		t.dispatched, t.channel, t.created_at, t.undelivered, t.in_doubt_since, t.marked,
		c.id IS NOT NULL, coalesce(c.details->>'guardianEmail', ''), coalesce(c.details->>'guardianLanguage', ''), c.placement,
		r.id, r.sha256
	FROM taken t
	LEFT JOIN enrolment_case c ON t.recipient = 'family' AND c.id = t.case_id
	LEFT JOIN (SELECT id, sha256 FROM refdata_import ORDER BY id DESC LIMIT 1) r ON true`

// RenewDispatchLease extends the lease on a row until now+leaseFor. False means the lease
// is no longer held: it ran out and another dispatcher took the row, or it was released.
func (s *Store) RenewDispatchLease(ctx context.Context, key, lease string, leaseFor time.Duration) (bool, error) {
	var tag pgconn.CommandTag
	b := &pgx.Batch{}
	b.Queue(`UPDATE notification SET dispatch_due = now() + $3 * interval '1 microsecond'
			WHERE key = $1 AND dispatch_lease = $2`, key, lease, leaseFor.Microseconds())
	err := s.batchInOrg(ctx, b, func(br pgx.BatchResults) (err error) {
		tag, err = br.Exec()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("renew dispatch lease: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseDispatch gives a taken row back: due again at next, or settled for good (nil
// next) once it is sent, refused or given up. A release under a lease no longer held
// changes nothing.
func (s *Store) ReleaseDispatch(ctx context.Context, key, lease string, next *time.Time) error {
	b := &pgx.Batch{}
	b.Queue(`UPDATE notification SET dispatch_due = $3, dispatch_lease = NULL
			WHERE key = $1 AND dispatch_lease = $2`, key, lease, next)
	if err := s.batchInOrg(ctx, b, nil); err != nil {
		return fmt.Errorf("release dispatched notification: %w", err)
	}
	return nil
}

// UnmarkDispatched takes back the mark of being sent that the claim under lease put on a
// row (DueNotification.Marked), when the send stopped before the message could leave (its
// case could not be read, say): the next attempt then sends at once, as the attempt was in
// no doubt. Under a lease no longer held it changes nothing: the row's holder may be
// sending it now.
func (s *Store) UnmarkDispatched(ctx context.Context, key, lease string) error {
	b := &pgx.Batch{}
	b.Queue(`UPDATE notification SET sending_since = NULL WHERE key = $1 AND dispatch_lease = $2`, key, lease)
	if err := s.batchInOrg(ctx, b, nil); err != nil {
		return fmt.Errorf("unmark dispatched notification: %w", err)
	}
	return nil
}

// SettleDispatched records the last attempt on a taken row and settles the row for good,
// giving its lease back, in one round trip: what NoteDeliveryAttempt and then
// ReleaseDispatch with no next time would do. The attempt is recorded whether or not the
// lease is still held (a message that left is recorded, whoever holds the row now); the
// row is settled only under the lease.
func (s *Store) SettleDispatched(ctx context.Context, key, lease string, a Attempt) error {
	if err := s.noteAttempt(ctx, Notifications, key, a, lease); err != nil {
		return fmt.Errorf("record delivery attempt and settle: %w", err)
	}
	return nil
}
