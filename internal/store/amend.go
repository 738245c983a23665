package store

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/jackc/pgx/v5"
)

//go:embed queries/amend_case.sql
var amendCaseSQL string

// CaseForm is the part of a case's request a correction rewrites: the minor, the form's
// details and, when Suggest is set, the class suggested from the age. The level and the
// municipio are not here: they are the case's progress (SaveProgress) too.
type CaseForm struct {
	// Seq is the number of the timeline event of the correction; an older correction
	// arriving late changes nothing.
	Seq                int64
	MinorGivenName     string
	MinorFamilyName    string
	MinorBirthDate     string // YYYY-MM-DD
	MinorSex           string
	MinorCitizenship   string
	MinorCodiceFiscale string
	// MatchKey is the minor's matching key (internal/namematch) for the corrected names.
	MatchKey         string
	Origin           string
	SpecialNeeds     bool
	SpecialNeedsNote string
	Details          CaseDetails
	// Suggest rewrites SuggestedLevel and SuggestedYear (empty level: no suggestion).
	Suggest        bool
	SuggestedLevel string
	SuggestedYear  int
}

// AmendCase writes a corrected request over the case's form. It reports whether it was
// applied: false means a correction as new or newer is stored, which is not an error.
func (s *Store) AmendCase(ctx context.Context, id string, f CaseForm) (bool, error) {
	var applied bool
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, amendCaseSQL, pgx.NamedArgs{
			"id": id, "form_seq": f.Seq,
			"minor_given_name": f.MinorGivenName, "minor_family_name": f.MinorFamilyName,
			"minor_birth_date": f.MinorBirthDate, "minor_sex": f.MinorSex,
			"minor_citizenship": f.MinorCitizenship, "minor_codice_fiscale": f.MinorCodiceFiscale,
			"minor_match_key": f.MatchKey,
			"origin":          f.Origin, "special_needs": f.SpecialNeeds, "special_needs_note": f.SpecialNeedsNote,
			"details": f.Details, "suggest": f.Suggest,
			"suggested_level": f.SuggestedLevel, "suggested_year": suggestedYear(Case{SuggestedLevel: f.SuggestedLevel, SuggestedYear: f.SuggestedYear}),
		})
		if err != nil {
			return err
		}
		applied = tag.RowsAffected() == 1
		if !applied {
			var exists bool
			if err := tx.QueryRow(ctx, caseExistsSQL, pgx.NamedArgs{"id": id}).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return ErrNotFound
			}
		}
		return nil
	})
	if err != nil {
		// The error names the case only: the values are personal data.
		return false, fmt.Errorf("amend case %s: %w", id, err)
	}
	return applied, nil
}
