package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// This file holds the reads of the orientation service's anti-dropout interventions: the
// JSON API and the pages call them alike.

// Interventions lists the interventions, the most urgent first, for the orientation
// service; at most limit (0: 100).
func (s *Service) Interventions(ctx context.Context, reader casework.Org, f store.InterventionFilter, limit int) ([]store.Intervention, error) {
	if reader != casework.Orientation {
		return nil, &RefusedError{Subject: SubjectIntervention, Reason: RefusedNotAllowed,
			Message: "Gli interventi li segue il servizio di orientamento; l'UST ne vede i conteggi (/interventions/counts)."}
	}
	if f.Now.IsZero() {
		f.Now = s.now()
	}
	list, err := s.store.Interventions(store.WithOrg(ctx, reader.String()), f, limit)
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("list interventions: %w", err))
	}
	return list, nil
}

// Intervention returns an intervention to whoever may see it; to others it is a
// NotFoundError.
func (s *Service) Intervention(ctx context.Context, reader casework.Org, id string) (store.Intervention, error) {
	in, err := s.store.Intervention(store.WithOrg(ctx, reader.String()), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Intervention{}, &NotFoundError{Subject: SubjectIntervention}
	}
	if err != nil {
		return store.Intervention{}, unavailableOr(fmt.Errorf("read intervention: %w", err))
	}
	return redactIntervention(in, reader), nil
}

// redactIntervention leaves out what this reader has no need of. UST supervises: it
// needs where the intervention stands (stage, task and deadline, escalation, outcome) to
// chase or close it, not what the pupil and the family said: the interview, the plan,
// the reviews and the notes of the timeline are for the orientation service.
func redactIntervention(in store.Intervention, reader casework.Org) store.Intervention {
	if reader == casework.Orientation {
		return in
	}
	in.Interview, in.Plan, in.Reviews = nil, nil, nil
	events := make([]casework.Event, len(in.Events))
	for i, e := range in.Events {
		e.Note = ""
		events[i] = e
	}
	in.Events = events
	return in
}

// InterventionCountRow is how many interventions stand at a stage, suppressed.
type InterventionCountRow struct {
	Stage                             casework.InterventionStage
	Interventions, Escalated, Overdue Cell
}

// InterventionCounts counts the interventions by stage, for UST and the orientation
// service. They are figures: small counts are suppressed for every reader, UST included.
func (s *Service) InterventionCounts(ctx context.Context, reader casework.Org) ([]InterventionCountRow, error) {
	if reader != casework.UST && reader != casework.Orientation {
		return nil, &RefusedError{Subject: SubjectIntervention, Reason: RefusedNotAllowed,
			Message: "I conteggi degli interventi sono per l'UST e il servizio di orientamento."}
	}
	counts, err := s.store.InterventionCounts(store.WithOrg(ctx, reader.String()))
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("count interventions: %w", err))
	}
	th := s.threshold()
	out := make([]InterventionCountRow, len(counts))
	for i, c := range counts {
		out[i] = InterventionCountRow{Stage: c.Stage, Interventions: cell(c.Interventions, th), Escalated: cell(c.Escalated, th), Overdue: cell(c.Overdue, th)}
	}
	return out, nil
}
