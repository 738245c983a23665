package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/refdata"
)

//go:embed queries/select_refdata_current.sql
var selectRefdataCurrentSQL string

// refdataCache keeps the reference data last read, with the import it came from. The
// whole dataset (every school, comune, hub and closure: five queries and thousands of
// rows in production) was read for every notice composed, every routing, every filing;
// under a surge that was a large share of the worker's CPU and of PostgreSQL's. Now a
// call costs one indexed one-row query, which names the current import: a new import,
// by any process, is seen at once by the next call, here and in every other process.
// The zero value is an empty cache.
type refdataCache struct {
	mu   sync.Mutex
	key  refdataImportKey
	data *refdata.Dataset
}

// refdataImportKey identifies an import: its row and its file. The file's hash guards
// against a database whose sequence started again (restored, or recreated by a test).
type refdataImportKey struct {
	id     int64
	sha256 string
}

// ReferenceData returns the current reference data, or ErrNotFound if none was imported.
// The dataset is shared by every caller of this Store: read it, never change it (copy
// what you need to change).
func (s *Store) ReferenceData(ctx context.Context) (*refdata.Dataset, error) {
	var key refdataImportKey
	err := s.pool.QueryRow(ctx, selectRefdataCurrentSQL).Scan(&key.id, &key.sha256)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("read reference data: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read reference data: %w", err)
	}
	c := &s.refdata
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.data != nil && c.key == key {
		return c.data, nil
	}
	// Read under the lock: a surge that finds the cache stale reads the dataset once,
	// not once per waiting call.
	d, loaded, err := s.readReferenceData(ctx)
	if err != nil {
		return nil, err
	}
	c.key, c.data = loaded, d
	return d, nil
}

// RefdataVersion names an import of the reference data, as read with other data in one
// round trip (ClaimDueNotifications); the zero value names none.
type RefdataVersion struct {
	key refdataImportKey
}

// ReferenceDataAt returns the reference data of version v without asking PostgreSQL when
// the cache holds that version, which is what v's reader saw as current; otherwise as
// ReferenceData does.
func (s *Store) ReferenceDataAt(ctx context.Context, v RefdataVersion) (*refdata.Dataset, error) {
	if v != (RefdataVersion{}) {
		c := &s.refdata
		c.mu.Lock()
		d := c.data
		if c.key != v.key {
			d = nil
		}
		c.mu.Unlock()
		if d != nil {
			return d, nil
		}
	}
	return s.ReferenceData(ctx)
}

// readReferenceData reads the whole dataset and the key of its import from one snapshot
// (a repeatable-read transaction), so that an import committed meanwhile can never give
// a mix of old and new tables, or the new tables under the old key.
func (s *Store) readReferenceData(ctx context.Context) (*refdata.Dataset, refdataImportKey, error) {
	var d refdata.Dataset
	var key refdataImportKey
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, selectRefdataVersionSQL).Scan(&d.Version, &d.Sample)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound // deleted since the check: nothing to cache
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, selectRefdataCurrentSQL).Scan(&key.id, &key.sha256); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, selectAmbitiSQL)
		if d.Ambiti, err = pgx.CollectRows(rows, pgx.RowToStructByPos[refdata.Ambito]); err != nil {
			return fmt.Errorf("read ambiti: %w", err)
		}
		rows, _ = tx.Query(ctx, selectPoliStartSQL)
		if d.PoliStart, err = pgx.CollectRows(rows, pgx.RowToStructByPos[refdata.Polo]); err != nil {
			return fmt.Errorf("read poli START: %w", err)
		}
		rows, _ = tx.Query(ctx, selectComuniSQL)
		if d.Comuni, err = pgx.CollectRows(rows, pgx.RowToStructByPos[refdata.Comune]); err != nil {
			return fmt.Errorf("read comuni: %w", err)
		}
		rows, _ = tx.Query(ctx, selectSchoolsSQL)
		if d.Schools, err = pgx.CollectRows(rows, pgx.RowToStructByPos[refdata.School]); err != nil {
			return fmt.Errorf("read schools: %w", err)
		}
		rows, _ = tx.Query(ctx, selectSchoolClosuresSQL)
		closures, err := pgx.CollectRows(rows, pgx.RowToStructByPos[refdata.SchoolClosure])
		if err != nil {
			return fmt.Errorf("read school closures: %w", err)
		}
		if len(closures) > 0 {
			d.SchoolClosures = closures
		}
		return nil
	})
	if err != nil {
		return nil, refdataImportKey{}, fmt.Errorf("read reference data: %w", err)
	}
	return &d, key, nil
}
