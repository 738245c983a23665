package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// DuplicateMinorError refuses to record a second open case of a minor: CaseID is the
// open case the minor already has. It names no personal data.
type DuplicateMinorError struct {
	CaseID string
}

func (e *DuplicateMinorError) Error() string {
	return "the minor already has the open case " + e.CaseID
}

// OpenCaseOfMinor returns the ID of the open case of the minor with this codice fiscale
// (empty for none) or this matching key, other than except (empty for none), whoever the
// caller is and whether or not it may see that case: only the ID comes back, and the
// caller decides what to tell whom. ErrNotFound when there is none. The rule is migration
// 00026's approdo_open_case_of_minor.
func (s *Store) OpenCaseOfMinor(ctx context.Context, codiceFiscale, matchKey, except string) (string, error) {
	// One round trip (batchInOrg): every filing asks this before it starts a case.
	var id *string
	b := &pgx.Batch{}
	b.Queue(openCaseOfMinorSQL, codiceFiscale, matchKey, nullIfEmpty(except))
	err := s.batchInOrg(ctx, b, func(br pgx.BatchResults) error {
		return br.QueryRow().Scan(&id)
	})
	if err != nil {
		return "", fmt.Errorf("look for an open case of the minor: %w", err)
	}
	if id == nil {
		return "", fmt.Errorf("look for an open case of the minor: %w", ErrNotFound)
	}
	return *id, nil
}

// openCaseOfMinorSQL names the open case of a minor (migration 00026's function).
const openCaseOfMinorSQL = `SELECT approdo_open_case_of_minor($1, $2, $3)::text`

func openCaseOfMinor(ctx context.Context, tx pgx.Tx, codiceFiscale, matchKey, except string) (*string, error) {
	var id *string
	err := tx.QueryRow(ctx, openCaseOfMinorSQL, codiceFiscale, matchKey, nullIfEmpty(except)).Scan(&id)
	return id, err
}

// refuseSecondCase returns a *DuplicateMinorError when c is a new case of a minor who
// already has an open one. Two filings of one minor at the same instant must not both
// pass: each takes a transaction-scoped advisory lock on the minor's codice fiscale and
// key before it looks, so the second waits until the first has committed its row (or
// rolled back) and then finds it. The locks are taken in a fixed order, so two filings
// that share one of the two cannot deadlock. A unique index could not say this: two
// definitive codici fiscali that differ keep namesakes apart (see the migration), which
// no index over one column expresses.
func refuseSecondCase(ctx context.Context, tx pgx.Tx, c Case) error {
	locks := []string{"minor-key:" + c.MatchKey}
	if c.MinorCodiceFiscale != "" {
		locks = append(locks, "minor-cf:"+c.MinorCodiceFiscale)
	}
	slices.Sort(locks)
	for _, l := range locks {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, l); err != nil {
			return fmt.Errorf("lock the minor: %w", err)
		}
	}
	// A retried activity finds its own row: that is not a second case.
	var exists bool
	if err := tx.QueryRow(ctx, caseExistsSQL, pgx.NamedArgs{"id": c.ID}).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	id, err := openCaseOfMinor(ctx, tx, c.MinorCodiceFiscale, c.MatchKey, c.ID)
	if err != nil {
		return err
	}
	if id != nil {
		return &DuplicateMinorError{CaseID: *id}
	}
	return nil
}

// IsDuplicateMinor reports whether err refuses a second open case of a minor, and names
// the open one.
func IsDuplicateMinor(err error) (string, bool) {
	var d *DuplicateMinorError
	if errors.As(err, &d) {
		return d.CaseID, true
	}
	return "", false
}
