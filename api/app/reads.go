package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

// CaseView is a case as one reader may see it, with its timeline.
type CaseView struct {
	Case     store.Case
	Timeline []casework.Event
	// FullForm is false for a case filed with the first, shorter form, which has no
	// details beyond the minor; the redactions below may empty a field that tells.
	FullForm bool
}

// Case returns a case as the reader may see it. A case the reader may not see is a
// NotFoundError.
func (s *Service) Case(ctx context.Context, reader casework.Org, id string) (CaseView, error) {
	if err := CheckID(SubjectCase, id); err != nil {
		return CaseView{}, err
	}
	ctx = store.WithOrg(ctx, reader.String())
	c, err := s.store.GetCase(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return CaseView{}, &NotFoundError{Subject: SubjectCase}
	}
	if err != nil {
		return CaseView{}, unavailableOr(fmt.Errorf("read case: %w", err))
	}
	timeline, err := s.store.Timeline(ctx, id)
	if err != nil {
		return CaseView{}, unavailableOr(fmt.Errorf("read timeline: %w", err))
	}
	return CaseView{Case: redactCase(c, reader), Timeline: timeline, FullForm: c.Origin != ""}, nil
}

// redactCase leaves out what this reader has no need of. PostgreSQL decides which cases
// a reader sees; this decides which fields of them.
func redactCase(c store.Case, reader casework.Org) store.Case {
	// The special-needs note is for the hub and the school; a comune that only received
	// the case by a transfer does not get it.
	if reader.Kind == casework.OrgComune && reader.Code != c.FiledBy {
		c.SpecialNeedsNote = ""
	}
	// A school needs the minor, the family's contacts and the needs to enrol the pupil;
	// not why the family migrated, nor the comune's notes to the hub.
	if reader.Kind == casework.OrgSchool {
		c.Origin, c.Details.Notes = "", ""
		// A school that refused the case, or whose proposal was withdrawn, still sees it
		// for a while (migration 00018) to answer for its refusal; the pupil's needs are
		// no longer its business.
		if c.School != reader.Code && c.FiledBy != reader.String() {
			c.SpecialNeedsNote = ""
		}
	}
	// The orientation service interviews the pupil and the family about attending
	// school: it needs who they are and how to reach them, not why the family migrated,
	// the comune's notes to the hub, nor the special-needs note.
	if reader.Kind == casework.OrgOrientation {
		c.Origin, c.Details.Notes, c.SpecialNeedsNote = "", "", ""
	}
	return c
}

// CaseStages are the stages a case can be in, in the order a case goes through them; a
// list may be filtered by any of them.
var CaseStages = []casework.Stage{
	casework.StageReceived, casework.StageRegistered, casework.StageUnrouted, casework.StageAwaitingProposal,
	casework.StageAwaitingDecision, casework.StageEnrolled, casework.StageCompleted, casework.StageWithdrawn,
}

// Cases returns a page of the cases the reader sees, newest first, and the cursor of the
// next page.
func (s *Service) Cases(ctx context.Context, reader casework.Org, f store.CaseFilter) ([]store.CaseSummary, string, error) {
	if f.Limit < 0 || f.Limit > 200 {
		return nil, "", Invalid("limit", "deve essere tra 1 e 200")
	}
	if f.Stage != "" && !slices.Contains(CaseStages, f.Stage) {
		return nil, "", Invalid("stage", "non è una fase: received, registered, unrouted, awaiting_proposal, "+
			"awaiting_decision, enrolled, completed o withdrawn")
	}
	if f.Hub != "" {
		if org, err := casework.ParseOrg(f.Hub); err != nil || !org.IsHub() {
			return nil, "", Invalid("hub", "deve essere cti:<ambito> o polo_start:<codice>")
		}
	}
	f.Now = s.now()
	page, next, err := s.store.ListCases(store.WithOrg(ctx, reader.String()), f)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, "", Invalid("cursor", "non è un cursore restituito da questo elenco")
	}
	if err != nil {
		return nil, "", unavailableOr(fmt.Errorf("list cases: %w", err))
	}
	return page, next, nil
}

// Tasks is the reader's inbox: its open tasks, overdue first, at most limit (0: 100).
func (s *Service) Tasks(ctx context.Context, reader casework.Org, limit int) ([]store.TaskItem, error) {
	if limit < 0 || limit > 500 {
		return nil, Invalid("limit", "deve essere tra 1 e 500")
	}
	tasks, err := s.store.ListTasks(store.WithOrg(ctx, reader.String()), reader, s.now(), limit)
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("list tasks: %w", err))
	}
	return tasks, nil
}

// Schools returns the schools a hub may propose for a level (all levels when level is
// empty), by name. UST may ask for any hub's; a hub for its own only.
func (s *Service) Schools(ctx context.Context, reader casework.Org, hub casework.Org, level enrolment.Level) ([]refdata.School, error) {
	if !hub.IsHub() {
		return nil, Invalid("hub", "deve essere cti:<ambito> o polo_start:<codice>")
	}
	if level != "" && !level.Valid() {
		return nil, Invalid("level", "non è un livello scolastico")
	}
	if reader != casework.UST && reader != hub {
		return nil, &RefusedError{Subject: SubjectCase, Reason: RefusedNotAllowed, Message: "Un hub vede le scuole del proprio territorio; l'UST quelle di ogni hub."}
	}
	d, err := s.store.ReferenceData(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoReferenceData
	}
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("read reference data: %w", err))
	}
	h, err := d.HubByCode(refdata.HubKind(hub.Kind), hub.Code)
	if err != nil {
		return nil, Invalid("hub", "non è un hub dei dati di riferimento")
	}
	var out []refdata.School
	for _, sc := range d.Territory(h) {
		if level == "" || sc.Teaches(level) {
			out = append(out, sc)
		}
	}
	slices.SortFunc(out, func(a, b refdata.School) int {
		if a.Name < b.Name {
			return -1
		} else if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, nil
}
