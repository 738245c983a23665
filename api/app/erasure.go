package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// MaxErasureReason is the longest reason an erasure takes, in characters.
const MaxErasureReason = 500

// EraseCase erases the personal data of a closed case at once, on request (the family's,
// the data protection officer's): it is pseudonymised as the retention workflow would do
// after the retention period, and the erasure, with its reason, goes on the case's
// timeline. Only UST may erase; an open case is refused (RefusedWrongStage), and a case
// the actor does not see is a NotFoundError. Erasing a case again changes nothing.
func (s *Service) EraseCase(ctx context.Context, actor casework.Org, id, reason string) error {
	if err := CheckID(SubjectCase, id); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Required("reason")
	}
	if utf8.RuneCountInString(reason) > MaxErasureReason {
		return Invalid("reason", fmt.Sprintf("può avere al massimo %d caratteri", MaxErasureReason))
	}
	ctx = store.WithOrg(ctx, actor.String())
	c, err := s.store.GetCase(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return &NotFoundError{Subject: SubjectCase}
	}
	if err != nil {
		return unavailableOr(fmt.Errorf("read case: %w", err))
	}
	if actor != casework.UST {
		return &RefusedError{Subject: SubjectCase, Reason: RefusedNotAllowed, Message: "Solo l'UST può cancellare i dati personali di un caso."}
	}
	if !casework.Stage(c.Stage).Closed() {
		return erasureOfOpenCase()
	}
	_, err = s.store.EraseCase(ctx, id, actor.String(), reason)
	switch {
	case errors.Is(err, store.ErrCaseOpen):
		return erasureOfOpenCase()
	case errors.Is(err, store.ErrNotFound):
		return &NotFoundError{Subject: SubjectCase}
	case err != nil:
		return unavailableOr(fmt.Errorf("erase case: %w", err))
	}
	return nil
}

func erasureOfOpenCase() error {
	return &RefusedError{Subject: SubjectCase, Reason: RefusedWrongStage,
		Message: "Il caso è aperto: i dati personali si cancellano solo quando è concluso o ritirato."}
}
