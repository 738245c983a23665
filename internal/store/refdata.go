package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/refdata"
)

var (
	//go:embed queries/lock_refdata.sql
	lockRefdataSQL string
	//go:embed queries/select_refdata_sha.sql
	selectRefdataSHASQL string
	//go:embed queries/delete_refdata.sql
	deleteRefdataSQL string
	//go:embed queries/insert_ambito.sql
	insertAmbitoSQL string
	//go:embed queries/insert_polo_start.sql
	insertPoloStartSQL string
	//go:embed queries/insert_comune.sql
	insertComuneSQL string
	//go:embed queries/insert_school.sql
	insertSchoolSQL string
	//go:embed queries/insert_refdata_import.sql
	insertRefdataImportSQL string
	//go:embed queries/select_refdata_version.sql
	selectRefdataVersionSQL string
	//go:embed queries/select_ambiti.sql
	selectAmbitiSQL string
	//go:embed queries/select_poli_start.sql
	selectPoliStartSQL string
	//go:embed queries/select_comuni.sql
	selectComuniSQL string
	//go:embed queries/select_schools.sql
	selectSchoolsSQL string
	//go:embed queries/select_comune_known.sql
	selectComuneKnownSQL string
	//go:embed queries/insert_school_closure.sql
	insertSchoolClosureSQL string
	//go:embed queries/select_school_closures.sql
	selectSchoolClosuresSQL string
)

// ImportResult says what an import did.
type ImportResult struct {
	// Unchanged is true when the data was already the current one: nothing was written.
	Unchanged bool
	Counts    map[string]int
}

// ReplaceReferenceData makes d the reference data, in one transaction: readers see the
// old data or the new, never a mix, and a failure leaves the old data in place. sha256
// identifies the file; importing the file that is already current writes nothing.
func (s *Store) ReplaceReferenceData(ctx context.Context, d *refdata.Dataset, sha256 string) (ImportResult, error) {
	result := ImportResult{Counts: map[string]int{
		"ambiti": len(d.Ambiti), "poli_start": len(d.PoliStart), "comuni": len(d.Comuni), "schools": len(d.Schools),
	}}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockRefdataSQL); err != nil {
			return err
		}
		var current string
		err := tx.QueryRow(ctx, selectRefdataSHASQL).Scan(&current)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if current == sha256 {
			result.Unchanged = true
			return nil
		}
		if _, err := tx.Exec(ctx, deleteRefdataSQL); err != nil {
			return err
		}
		batch := &pgx.Batch{}
		for _, a := range d.Ambiti {
			batch.Queue(insertAmbitoSQL,
				a.Code, a.Name, a.CTIName, a.CTIHostSchool)
		}
		for _, p := range d.PoliStart {
			batch.Queue(insertPoloStartSQL,
				p.Code, p.Name, p.HostSchool, p.Municipi)
		}
		for _, c := range d.Comuni {
			batch.Queue(insertComuneSQL, c.ISTAT, c.Name, c.Ambito, c.PEC, c.Cadastral, c.Patron, c.PatronSource, c.Rite)
		}
		for _, sc := range d.Schools {
			var municipio *int
			if sc.Municipio != 0 {
				municipio = &sc.Municipio
			}
			batch.Queue(insertSchoolSQL,
				sc.Code, sc.Name, sc.Levels, sc.Comune, municipio, sc.Email, sc.PEC)
		}
		for _, cl := range d.SchoolClosures {
			batch.Queue(insertSchoolClosureSQL, cl.SchoolYear, cl.First, cl.Last, cl.Name, cl.Rite, cl.Source)
		}
		batch.Queue(insertRefdataImportSQL, d.Version, d.Sample, sha256)
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("replace reference data: %w", err)
	}
	return result, nil
}

// ComuneKnown reports whether istat is a comune of the reference data, or ErrNotFound if
// none was imported. It is one small query, for checks on every request.
func (s *Store) ComuneKnown(ctx context.Context, istat string) (bool, error) {
	var imported, known bool
	if err := s.pool.QueryRow(ctx, selectComuneKnownSQL, pgx.NamedArgs{"istat": istat}).Scan(&imported, &known); err != nil {
		return false, fmt.Errorf("look up comune: %w", err)
	}
	if !imported {
		return false, fmt.Errorf("look up comune: %w", ErrNotFound)
	}
	return known, nil
}
