package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/reunification"
)

// FamilyImport is a bulk file of families and how far its import has got.
type FamilyImport struct {
	ID       string
	Source   string
	Filename string
	SHA256   string
	Lines    int
	// Families counts the valid families; Started, those whose journey is open.
	Families int
	Started  int
	Done     bool
	// Rejected lists the invalid families with their errors, as the reader reported them
	// (JSON); Conflicts, the references already used for a different family.
	Rejected  json.RawMessage
	Conflicts []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateFamilyImport records an import and its valid families in one transaction. A file
// already imported by the same source is found instead: created is false.
func (s *Store) CreateFamilyImport(ctx context.Context, imp FamilyImport, families []reunification.Family) (created bool, err error) {
	err = s.inOrg(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO family_import (id, source, filename, sha256, lines, families, rejected)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			imp.ID, imp.Source, imp.Filename, imp.SHA256, imp.Lines, len(families), []byte(imp.Rejected))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		created = true
		// One statement for the whole file (COPY is refused under row-level security).
		docs := make([]string, len(families))
		for i, f := range families {
			data, err := json.Marshal(f)
			if err != nil {
				return err
			}
			docs[i] = string(data)
		}
		_, err = tx.Exec(ctx, `INSERT INTO family_import_row (import_id, idx, family)
			SELECT $1, t.ord - 1, t.doc::jsonb FROM unnest($2::text[]) WITH ORDINALITY AS t(doc, ord)`, imp.ID, docs)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record family import: %w", err)
	}
	return created, nil
}

// FamilyImportByID returns an import the caller may see, or ErrNotFound.
func (s *Store) FamilyImportByID(ctx context.Context, id string) (FamilyImport, error) {
	var imp FamilyImport
	var conflicts []byte
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id::text, source, filename, sha256, lines, families, started, done, rejected, conflicts, created_at, updated_at
			FROM family_import WHERE id::text = $1`, id).Scan(&imp.ID, &imp.Source, &imp.Filename, &imp.SHA256, &imp.Lines,
			&imp.Families, &imp.Started, &imp.Done, &imp.Rejected, &conflicts, &imp.CreatedAt, &imp.UpdatedAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return FamilyImport{}, fmt.Errorf("family import: %w", ErrNotFound)
	}
	if err != nil {
		return FamilyImport{}, fmt.Errorf("read family import: %w", err)
	}
	if err := json.Unmarshal(conflicts, &imp.Conflicts); err != nil {
		return FamilyImport{}, err
	}
	return imp, nil
}

// ImportedFamilies returns up to n families of an import from position from.
func (s *Store) ImportedFamilies(ctx context.Context, id string, from, n int) ([]reunification.Family, error) {
	var out []reunification.Family
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT family FROM family_import_row WHERE import_id::text = $1 AND idx >= $2 ORDER BY idx LIMIT $3`, id, from, n)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (reunification.Family, error) {
			var data []byte
			var f reunification.Family
			if err := row.Scan(&data); err != nil {
				return f, err
			}
			return f, json.Unmarshal(data, &f)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read imported families: %w", err)
	}
	return out, nil
}

// NoteImportProgress records how many families have their journey, the references found
// in conflict, and whether the import is over. Progress never goes back.
func (s *Store) NoteImportProgress(ctx context.Context, id string, started int, conflicts []string, done bool) error {
	data, err := json.Marshal(nonNil(conflicts))
	if err != nil {
		return err
	}
	err = s.inOrg(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE family_import SET started = greatest(started, $2),
			conflicts = (SELECT coalesce(jsonb_agg(DISTINCT c), '[]') FROM jsonb_array_elements(conflicts || $3::jsonb) c),
			done = done OR $4, updated_at = now() WHERE id::text = $1`, id, started, data, done)
		return err
	})
	if err != nil {
		return fmt.Errorf("record import progress: %w", err)
	}
	return nil
}
