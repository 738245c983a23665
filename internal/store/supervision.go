package store

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	//go:embed queries/select_undelivered_notices.sql
	selectUndeliveredNoticesSQL string
	//go:embed queries/select_stuck_onboardings.sql
	selectStuckOnboardingsSQL string
)

// UndeliveredNotice is a notice of a case that was sent and not delivered.
type UndeliveredNotice struct {
	Key       string
	CaseID    string
	Kind      string
	Recipient string
	// Address is where it was sent; empty if no attempt recorded one.
	Address   string
	CreatedAt time.Time
	SentAt    *time.Time
	// Reason is why it was not delivered: a PEC receipt's type, or no receipt in time.
	Reason string
}

// UndeliveredNotices returns the notices sent and not delivered, newest first, at most
// limit. Only UST and the system see notices (row-level security).
func (s *Store) UndeliveredNotices(ctx context.Context, limit int) ([]UndeliveredNotice, error) {
	var out []UndeliveredNotice
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, selectUndeliveredNoticesSQL, pgx.NamedArgs{"limit": limit})
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[UndeliveredNotice])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list undelivered notices: %w", err)
	}
	return out, nil
}

// StuckOnboarding is the onboarding of a comune that stopped: its credentials were not
// delivered, or nobody logged in with them.
type StuckOnboarding struct {
	// Comune is the comune's ISTAT code.
	Comune string
	Name   string
	// Key is the credentials message's ("onboarding/<ISTAT>/credentials/<round>").
	Key         string
	IssuedAt    time.Time
	SentAt      *time.Time
	DeliveredAt *time.Time
	// Undelivered is why the credentials were not delivered; empty when they were, or
	// may still be.
	Undelivered string
}

// StuckOnboardings returns the comuni nobody of which ever logged in, whose last
// credentials were not delivered or were sent before before: not delivered first, then
// the oldest; at most limit. The caller decides who may read them (the tables have no
// row-level security: the application reads them to log people in).
func (s *Store) StuckOnboardings(ctx context.Context, before time.Time, limit int) ([]StuckOnboarding, error) {
	var out []StuckOnboarding
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, selectStuckOnboardingsSQL, pgx.NamedArgs{"before": before, "limit": limit})
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[StuckOnboarding])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list stuck onboardings: %w", err)
	}
	return out, nil
}
