package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var (
	//go:embed queries/pseudonymise_closed.sql
	pseudonymiseClosedSQL string
	//go:embed queries/purge_retention.sql
	purgeRetentionSQL string
	//go:embed queries/erase_case.sql
	eraseCaseSQL string
)

// ErrCaseOpen is returned when a case's personal data is to be erased while it runs.
var ErrCaseOpen = errors.New("case is open")

// Pseudonymised counts the rows one retention batch pseudonymised.
type Pseudonymised struct {
	Cases         int
	Journeys      int
	Interventions int
	Imports       int
}

// Total is the number of rows of every kind.
func (p Pseudonymised) Total() int { return p.Cases + p.Journeys + p.Interventions + p.Imports }

// Add returns p plus q.
func (p Pseudonymised) Add(q Pseudonymised) Pseudonymised {
	return Pseudonymised{p.Cases + q.Cases, p.Journeys + q.Journeys, p.Interventions + q.Interventions, p.Imports + q.Imports}
}

// PseudonymiseClosed pseudonymises up to max rows of each kind (cases with their
// interventions, journeys, interventions, family imports) that closed before before.
// Rows already done are skipped, so running it again is harmless; callers repeat it until
// it returns a zero Total. Only the worker (AsSystem) may run it.
func (s *Store) PseudonymiseClosed(ctx context.Context, before time.Time, max int) (Pseudonymised, error) {
	var p Pseudonymised
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, pseudonymiseClosedSQL, pgx.NamedArgs{"before": before, "max": max}).
			Scan(&p.Cases, &p.Journeys, &p.Interventions, &p.Imports)
	})
	if err != nil {
		return Pseudonymised{}, fmt.Errorf("pseudonymise rows closed before %s: %w", before.Format(time.RFC3339), err)
	}
	return p, nil
}

// Purged counts what retention deleted outright.
type Purged struct {
	// PECMessages counts raw receipts emptied and rejected inbox messages deleted.
	PECMessages     int
	AccountMessages int
	Sessions        int
	Tokens          int
}

// PurgeRetention deletes raw PEC messages received and account messages made before
// before, and the sessions and password links expired or spent at now. Only the worker
// may run it.
func (s *Store) PurgeRetention(ctx context.Context, before, now time.Time) (Purged, error) {
	var p Purged
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, purgeRetentionSQL, pgx.NamedArgs{"before": before, "now": now}).
			Scan(&p.PECMessages, &p.AccountMessages, &p.Sessions, &p.Tokens)
	})
	if err != nil {
		return Purged{}, fmt.Errorf("purge messages, sessions and tokens: %w", err)
	}
	return p, nil
}

// EraseCase pseudonymises one closed case and its interventions at once (erasure on
// request) and records it on the case's timeline as EventPersonalDataErased by actor,
// with reason as its note. It reports whether anything changed (false when it was already
// done, which records nothing), returns ErrCaseOpen while the case runs and ErrNotFound
// for an unknown case. Only UST and the worker may erase.
func (s *Store) EraseCase(ctx context.Context, id, actor, reason string) (bool, error) {
	var changed bool
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, eraseCaseSQL, pgx.NamedArgs{"id": id, "actor": actor, "reason": reason}).Scan(&changed)
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "55000":
			return false, fmt.Errorf("erase case %s: %w", id, ErrCaseOpen)
		case "P0002":
			return false, fmt.Errorf("erase case %s: %w", id, ErrNotFound)
		}
	}
	if err != nil {
		return false, fmt.Errorf("erase case %s: %w", id, err)
	}
	return changed, nil
}
