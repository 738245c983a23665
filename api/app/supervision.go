package app

import (
	"context"
	"fmt"
	"time"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// supervisionLimit bounds each of UST's supervision lists: they are worklists, and one
// longer than this says something the Temporal Web UI's filter tells better.
const supervisionLimit = 500

// notUST refuses a supervision read to anyone but UST.
func notUST(what string) error {
	return &RefusedError{Subject: SubjectCase, Reason: RefusedNotAllowed, Message: what + " sono per l'UST."}
}

// UndeliveredNotices lists the notices of cases that were sent and not delivered, newest
// first: UST's list of the PEC to send again or by another way.
func (s *Service) UndeliveredNotices(ctx context.Context, reader casework.Org) ([]store.UndeliveredNotice, error) {
	if reader != casework.UST {
		return nil, notUST("Le comunicazioni non consegnate")
	}
	out, err := s.store.UndeliveredNotices(store.WithOrg(ctx, reader.String()), supervisionLimit)
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("list undelivered notices: %w", err))
	}
	return out, nil
}

// StuckOnboardings lists the comuni whose onboarding stopped: their credentials were not
// delivered, or nobody logged in with them within after of their sending.
func (s *Service) StuckOnboardings(ctx context.Context, reader casework.Org, after time.Duration) ([]store.StuckOnboarding, error) {
	if reader != casework.UST {
		return nil, notUST("Gli accreditamenti dei comuni")
	}
	if after < 0 {
		return nil, Invalid("after", "non può essere negativo")
	}
	out, err := s.store.StuckOnboardings(store.WithOrg(ctx, reader.String()), s.now().Add(-after), supervisionLimit)
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("list stuck onboardings: %w", err))
	}
	return out, nil
}
