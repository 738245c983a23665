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
	return in, nil
}

// InterventionCounts counts the interventions by stage, for UST and the orientation
// service.
func (s *Service) InterventionCounts(ctx context.Context, reader casework.Org) ([]store.InterventionCount, error) {
	if reader != casework.UST && reader != casework.Orientation {
		return nil, &RefusedError{Subject: SubjectIntervention, Reason: RefusedNotAllowed,
			Message: "I conteggi degli interventi sono per l'UST e il servizio di orientamento."}
	}
	counts, err := s.store.InterventionCounts(store.WithOrg(ctx, reader.String()))
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("count interventions: %w", err))
	}
	return counts, nil
}
