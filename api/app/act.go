package app

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// Action is one person's action on a case, a journey or an intervention: an Update of its
// workflow, whose validator holds the rules.
type Action struct {
	Subject Subject
	ID      string
	// Key makes a repeated action count once (the Idempotency-Key header, or the form's
	// hidden key); empty means none.
	Key string
	// Update is the workflow's Update name.
	Update string
	// Input builds the Update's argument for the acting organisation, or answers an
	// InvalidError. It runs only once the caller is known to see the subject.
	Input func(actor casework.Org) (any, error)
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)

// CheckKey checks an idempotency key; empty means none.
func CheckKey(key string) error {
	if key != "" && !keyPattern.MatchString(key) {
		return Invalid("Idempotency-Key", "deve avere da 1 a 100 caratteri tra lettere, cifre e . _ : -")
	}
	return nil
}

// CheckID checks the shape of a subject's ID, so that a mistyped link is a clear answer
// rather than a lookup.
func CheckID(subject Subject, id string) error {
	switch subject {
	case SubjectCase:
		if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
			return Invalid("id", "deve essere l'UUID di un caso")
		}
	case SubjectJourney:
		if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
			return Invalid("id", "deve essere l'UUID di un percorso")
		}
	case SubjectIntervention:
		if !strings.HasPrefix(id, "intervention-") || len(id) > 200 {
			return Invalid("id", "deve essere l'ID di un intervento (intervention-…)")
		}
	default:
		return fmt.Errorf("unknown subject %q", subject)
	}
	return nil
}

// Act sends the action to its subject's workflow and waits until the workflow has taken
// it. A subject the actor may not see is a NotFoundError, as if it did not exist; a
// validator's refusal is a RefusedError and changes nothing.
func (s *Service) Act(ctx context.Context, actor casework.Org, a Action) error {
	if actor.IsZero() {
		return errors.New("act: no actor")
	}
	if err := CheckID(a.Subject, a.ID); err != nil {
		return err
	}
	if err := CheckKey(a.Key); err != nil {
		return err
	}
	ctx = store.WithOrg(ctx, actor.String())
	workflowID, err := s.visibleWorkflow(ctx, a.Subject, a.ID)
	if err != nil {
		return err
	}
	arg, err := a.Input(actor)
	if err != nil {
		return err
	}
	uctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	handle, err := s.temporal.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateID: a.Key, UpdateName: a.Update,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(uctx, nil)
	}
	if err == nil {
		return nil
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// The caller sees the subject, so it exists: its workflow has ended.
		return &RefusedError{Subject: a.Subject, Reason: RefusedClosed, Message: closedMessage(a.Subject)}
	}
	if refused := asRefusal(a.Subject, err); refused != nil {
		return refused
	}
	return unavailableOr(fmt.Errorf("send %s to %s: %w", a.Update, workflowID, err))
}

// visibleWorkflow returns the workflow ID of a subject the caller sees.
func (s *Service) visibleWorkflow(ctx context.Context, subject Subject, id string) (string, error) {
	var err error
	var workflowID string
	switch subject {
	case SubjectCase:
		// Whether the caller sees it, not the whole case: the workflow checks the rest.
		var visible bool
		if visible, err = s.store.CaseVisible(ctx, id); err == nil && !visible {
			err = store.ErrNotFound
		}
		workflowID = enrolment.WorkflowID(id)
	case SubjectJourney:
		_, err = s.store.JourneyByID(ctx, id)
		workflowID = reunification.WorkflowID(id)
	case SubjectIntervention:
		_, err = s.store.Intervention(ctx, id)
		workflowID = id
	}
	if errors.Is(err, store.ErrNotFound) {
		return "", &NotFoundError{Subject: subject}
	}
	if err != nil {
		return "", unavailableOr(fmt.Errorf("find %s %s: %w", subject, id, err))
	}
	return workflowID, nil
}

func closedMessage(subject Subject) string {
	switch subject {
	case SubjectJourney:
		return "Il percorso è concluso: non accetta altre azioni."
	case SubjectIntervention:
		return "L'intervento è concluso: non accetta altre azioni."
	default:
		return "Il caso è concluso o ritirato: non accetta altre azioni."
	}
}

// asRefusal explains an Update that a workflow's validator refused, or returns nil for
// any other error.
func asRefusal(subject Subject, err error) *RefusedError {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return nil
	}
	switch appErr.Type() {
	case workflows.ErrTypeNotAllowed:
		return &RefusedError{Subject: subject, Reason: RefusedNotAllowed, Message: appErr.Message()}
	case workflows.ErrTypeWrongStage:
		return &RefusedError{Subject: subject, Reason: RefusedWrongStage, Message: appErr.Message()}
	case workflows.ErrTypeInvalid:
		var fp workflows.FieldProblem
		if appErr.HasDetails() && appErr.Details(&fp) == nil {
			return &RefusedError{Subject: subject, Reason: RefusedInvalid, Field: fp.Field, Message: fp.Reason}
		}
	}
	return nil
}
