package app

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// ErrFamilyConflict is a family reference sent before with other data.
var ErrFamilyConflict = errors.New("family reference reused for a different family")

// JourneyFiled is the outcome of sending a family: its journey, its stage, and whether
// this call opened it.
type JourneyFiled struct {
	ID      string
	Stage   string
	Created bool
}

// SendFamily opens a family's reunification journey, or finds the one the same family
// opened before. The Prefettura sends families; the one-stop shop may open one by hand.
func (s *Service) SendFamily(ctx context.Context, actor casework.Org, f reunification.Family) (JourneyFiled, error) {
	if actor.Kind != casework.OrgPrefettura && actor != casework.OneStopShop {
		return JourneyFiled{}, &RefusedError{Subject: SubjectJourney, Reason: RefusedNotAllowed,
			Message: "Le famiglie in ricongiungimento le segnala la Prefettura (Sportello Unico) o lo sportello unico per le famiglie."}
	}
	f = f.Normalize()
	if errs := f.Validate(s.now()); len(errs) > 0 {
		fields := make([]FieldError, len(errs))
		for i, e := range errs {
			fields[i] = FieldError{Field: e.Field, Reason: e.Reason}
		}
		return JourneyFiled{}, &InvalidError{Fields: fields}
	}
	ctx = store.WithOrg(ctx, actor.String())
	if err := s.checkComune(ctx, f.Sponsor.Comune, "sponsor.comune"); err != nil {
		return JourneyFiled{}, err
	}
	// Families are told apart by the organisation that sent them, so that references
	// cannot collide, nor one sender probe another's.
	id, err := s.store.JourneyIDFor(ctx, actor, f.Reference)
	if err != nil {
		return JourneyFiled{}, unavailableOr(err)
	}
	result, err := s.registerJourney(ctx, id, actor, f)
	if err != nil {
		return JourneyFiled{}, err
	}
	return JourneyFiled{ID: id, Stage: result.Stage, Created: result.Created}, nil
}

// registerJourney starts the journey, or finds it, and waits until it is recorded.
func (s *Service) registerJourney(ctx context.Context, id string, source casework.Org, f reunification.Family) (workflows.RegisterResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	hash := f.Hash()
	input := workflows.JourneyInput{JourneyID: id, Source: source, FamilyHash: hash, Family: f}
	handle, err := start.Journey(s.taskQueue, id, f.Sponsor.Comune).UpdateWithStart(ctx, s.temporal, input, client.UpdateWorkflowOptions{
		UpdateName:   workflows.UpdateJourneyRegister,
		Args:         []any{workflows.RegisterInput{RequestHash: hash}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var alreadyStarted *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &alreadyStarted) {
		// The journey closed: the store answers, if the family is the same.
		j, getErr := s.store.JourneyByID(store.AsSystem(ctx), id)
		if getErr != nil {
			return workflows.RegisterResult{}, unavailableOr(fmt.Errorf("read journey: %w", getErr))
		}
		if j.FamilyHash != hash {
			return workflows.RegisterResult{}, ErrFamilyConflict
		}
		return workflows.RegisterResult{CaseID: id, Stage: j.Stage}, nil
	}
	if err == nil {
		var result workflows.RegisterResult
		if err = handle.Get(ctx, &result); err == nil {
			return result, nil
		}
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeRequestConflict {
		return workflows.RegisterResult{}, ErrFamilyConflict
	}
	return workflows.RegisterResult{}, unavailableOr(fmt.Errorf("register journey: %w", err))
}
