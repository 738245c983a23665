package store

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed queries/select_onboardings.sql
var selectOnboardingsSQL string

// Onboarding is where the onboarding of one organisation stands, as the database knows
// it: its last credentials and the first login.
type Onboarding struct {
	// Org is the organisation's stored form ("school:MIIC8AB00X"), Kind its kind.
	Org, Kind, Name string
	// Login is the address the credentials went to, the account's login.
	Login string
	// Rounds counts the credentials sent: more than one after a resend.
	Rounds      int
	IssuedAt    time.Time
	SentAt      *time.Time
	DeliveredAt *time.Time
	// Undelivered is why the last credentials were not delivered (a PEC receipt's type,
	// or no receipt in time); empty when they were, or may still be.
	Undelivered string
	// FirstLoginAt is when somebody of the organisation first logged in; nil if nobody has.
	FirstLoginAt *time.Time
}

// Onboardings lists the organisations onboarded by PEC, of one kind if kind is not
// empty: those nobody of which has logged in first (undelivered first), at most limit.
// Of the application, UST and the system may read them (row-level security).
func (s *Store) Onboardings(ctx context.Context, kind string, limit int) ([]Onboarding, error) {
	var out []Onboarding
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, selectOnboardingsSQL, pgx.NamedArgs{"kind": kind, "limit": limit})
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Onboarding])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list onboardings: %w", err)
	}
	return out, nil
}
