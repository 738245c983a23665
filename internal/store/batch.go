package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// batchInOrg runs the statements of b as the caller's organisation in one round trip,
// for the writes the worker makes on every step of every case. inOrg costs four round
// trips and as many wake-ups of a PostgreSQL backend (begin, naming the caller, the
// statement, commit); under a surge on two cores each one waits for a core, and inOrg
// was about a fifth of the worker's CPU. pgx sends the naming and b's statements as
// one batch with one Sync, which PostgreSQL runs as one implicit transaction: all of
// them or none (a failing statement rolls back those before it), and the caller's
// local setting holds for them all and ends with them. read reads b's results in the
// order queued (it may stop early: the rest are read, and their first error returned,
// when the batch is closed). Only for statements that need no decision in between; a
// write that does (a lock, then a look, then maybe an insert) keeps inOrg.
func (s *Store) batchInOrg(ctx context.Context, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	all := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+1)}
	all.Queue("SELECT set_config('approdo.org', $1, true)", orgOf(ctx))
	all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
	br := s.pool.SendBatch(ctx, all)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return fmt.Errorf("name the caller: %w", err)
	}
	var err error
	if read != nil {
		err = read(br)
	}
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	return err
}
