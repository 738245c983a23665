package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// CaseVisible reports whether the caller sees the case id: the check an action makes
// before it sends its update to the workflow. Row-level security decides, as for
// GetCase, but nothing is read and decoded but one boolean, in one round trip.
func (s *Store) CaseVisible(ctx context.Context, id string) (bool, error) {
	var visible bool
	b := &pgx.Batch{}
	b.Queue(caseExistsSQL, pgx.NamedArgs{"id": id})
	err := s.batchInOrg(ctx, b, func(br pgx.BatchResults) error {
		return br.QueryRow().Scan(&visible)
	})
	if err != nil {
		return false, fmt.Errorf("look for case %s: %w", id, err)
	}
	return visible, nil
}
