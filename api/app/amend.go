package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// Amendment is a correction of a case's request: the whole request as it should read,
// and why. Its requestId is the case's and is not read; its comune, when given, must be
// the case's (a move is a transfer). Wrong fields are named as in a filing
// (minor.codiceFiscale), whichever door they came through.
type Amendment struct {
	Request enrolment.Request
	// Reason is one of casework.AmendmentReasons; Note is required for "other".
	Reason string
	Note   string
}

// AmendCase corrects the request of case id: through Act, as every action, with the
// workflow's amend Update. The corrected request is validated exactly as a filing
// (validateRequest), every wrong field at once; the workflow then checks who may correct
// it and when (the comune of residence now, or UST, while the case is open).
func (s *Service) AmendCase(ctx context.Context, actor casework.Org, id, key string, a Amendment) error {
	return s.Act(ctx, actor, Action{Subject: SubjectCase, ID: id, Key: key, Update: workflows.UpdateAmend, Input: s.AmendInput(ctx, id, a)})
}

// AmendInput builds the amend Update's input for case id, for the doors (the JSON API,
// the pages) that call Act themselves.
func (s *Service) AmendInput(ctx context.Context, id string, a Amendment) func(actor casework.Org) (any, error) {
	return func(actor casework.Org) (any, error) {
		stored, err := s.store.GetCase(store.WithOrg(ctx, actor.String()), id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &NotFoundError{Subject: SubjectCase}
		}
		if err != nil {
			return nil, unavailableOr(fmt.Errorf("read case %s: %w", id, err))
		}
		// Said before the fields, so that a hub is told it may not, not what to fix. The
		// workflow's validator holds the same rule on its own state.
		if actor != casework.UST && actor != (casework.Org{Kind: casework.OrgComune, Code: stored.Comune}) {
			return nil, &RefusedError{Subject: SubjectCase, Reason: RefusedNotAllowed,
				Message: "La richiesta la corregge il comune di residenza attuale (" + stored.Comune + ") o l'UST."}
		}
		var fields []FieldError
		if c := strings.TrimSpace(a.Request.Comune); c != "" && c != stored.Comune {
			fields = append(fields, FieldError{Field: "comune", Reason: "non si corregge: se la famiglia si è trasferita, trasferire il caso"})
		}
		r := a.Request
		r.RequestID, r.Comune = stored.RequestID, stored.Comune
		// A comune that got the case by a transfer is not shown the special-needs note
		// (redactCase), so what it sends cannot be a correction of it: the note stays.
		if actor.Kind == casework.OrgComune && actor.Code != stored.FiledBy && r.SpecialNeeds.Present {
			r.SpecialNeeds.Note = stored.SpecialNeedsNote
		}
		r = r.Normalize()
		if err := validateRequest(r, s.now(), ""); err != nil {
			var invalid *InvalidError
			if !errors.As(err, &invalid) {
				return nil, err
			}
			fields = append(fields, invalid.Fields...)
		}
		switch {
		case !slices.Contains(casework.AmendmentReasons, a.Reason):
			fields = append(fields, FieldError{Field: "reason", Reason: "è obbligatorio: uno tra " + strings.Join(casework.AmendmentReasons, ", ")})
		case a.Reason == "other" && a.Note == "":
			fields = append(fields, FieldError{Field: "note", Reason: "è obbligatoria con il motivo «other»"})
		}
		if len(fields) > 0 {
			return nil, &InvalidError{Fields: fields}
		}
		if err := s.refuseMinorOfAnotherCase(ctx, actor, id, r); err != nil {
			return nil, err
		}
		return workflows.AmendInput{Actor: actor, Request: r, Reason: a.Reason, Note: a.Note}, nil
	}
}

// RequestOf is the request of a stored case as it reads now, for a correction form to
// start from. The minor's and the guardian's data are as stored; a reader who does not
// see them (the redactions of Case) gets them empty.
func RequestOf(c store.Case) enrolment.Request {
	d := c.Details
	return enrolment.Request{
		RequestID: c.RequestID,
		Comune:    c.Comune,
		Level:     enrolment.Level(c.Level),
		Minor: enrolment.Minor{
			GivenName: c.MinorGivenName, FamilyName: c.MinorFamilyName, BirthDate: c.MinorBirthDate,
			Sex: c.MinorSex, Citizenship: c.MinorCitizenship, CodiceFiscale: c.MinorCodiceFiscale,
		},
		Languages:      d.Languages,
		PriorSchooling: enrolment.PriorSchooling{Years: d.PriorSchoolingYears, LastClassAbroad: d.LastClassAbroad},
		SpecialNeeds:   enrolment.SpecialNeeds{Present: c.SpecialNeeds, Note: c.SpecialNeedsNote},
		Guardian: enrolment.Guardian{
			Name: d.GuardianName, Phone: d.GuardianPhone, Email: d.GuardianEmail, PreferredLanguage: d.GuardianLanguage,
		},
		Residence: enrolment.Residence{Address: d.ResidenceAddress, Municipio: c.Municipio},
		Origin:    enrolment.Origin(c.Origin),
		Notes:     d.Notes,
	}
}
