package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// action is one person's action on a case, as the endpoints receive it.
type action struct {
	caseID string
	key    *string
	update string
	// input builds the Update's argument for the acting organisation, or answers a
	// problem with the body.
	input func(actor casework.Org) (any, *Problem)
}

// act sends the action to the case's workflow as an Update and answers with the case as
// it is afterwards. A validator's rejection leaves the case untouched and becomes a 403,
// 409 or 422 saying why.
func (s *Server) act(ctx context.Context, a action) (reply, error) {
	if _, err := uuid.Parse(a.caseID); err != nil || len(a.caseID) != 36 {
		return problemReply(fieldProblem("id", "deve essere l'UUID di un caso")), nil
	}
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	key, problem := idempotencyKey(a.key)
	if problem != nil {
		return problemReply(*problem), nil
	}
	input, problem := a.input(actor)
	if problem != nil {
		return problemReply(*problem), nil
	}
	// A case the caller may not see is answered as missing, so that its existence is
	// not confirmed; the workflow's validators then check the action itself.
	ctx = store.WithOrg(ctx, actor.String())
	if _, err := s.store.GetCase(ctx, a.caseID); errors.Is(err, store.ErrNotFound) {
		return problemReply(newProblem(http.StatusNotFound, problemBlank, "Caso non trovato", "")), nil
	} else if err != nil {
		return reply{}, err
	}

	uctx, cancel := context.WithTimeout(ctx, s.registerTimeout)
	defer cancel()
	handle, err := s.temporal.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
		WorkflowID:   enrolment.WorkflowID(a.caseID),
		UpdateID:     key,
		UpdateName:   a.update,
		Args:         []any{input},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(uctx, nil)
	}
	if err != nil {
		if p, known := s.actionProblem(ctx, a.caseID, err); known {
			return problemReply(p), nil
		}
		return reply{}, err
	}
	answer, err := s.caseReply(ctx, a.caseID, actor)
	if errors.Is(err, store.ErrNotFound) {
		// The action took the case out of the caller's sight, e.g. a hub that handed it
		// to another hub.
		return noContent(), nil
	}
	return answer, err
}

// actionProblem explains why an action was refused, when it was the case that refused
// it. It reports false for other errors, which are the server's (503 or 500).
func (s *Server) actionProblem(ctx context.Context, caseID string, err error) (Problem, bool) {
	if p, refused := refusalProblem(err); refused {
		return p, true
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		if _, getErr := s.store.GetCase(store.WithOrg(ctx, "ust"), caseID); getErr == nil {
			return newProblem(http.StatusConflict, problemCaseClosed, "Il caso è chiuso",
				"Il caso è concluso o ritirato: non accetta altre azioni."), true
		}
		return newProblem(http.StatusNotFound, problemBlank, "Caso non trovato", ""), true
	}
	return Problem{}, false
}

// refusalProblem explains an Update that a workflow's validator refused: 403, 409 or 422
// saying why. It reports false for any other error.
func refusalProblem(err error) (Problem, bool) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeNotAllowed:
			return newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita", appErr.Message()), true
		case workflows.ErrTypeWrongStage:
			return newProblem(http.StatusConflict, problemWrongStage, "Azione non possibile in questa fase", appErr.Message()), true
		case workflows.ErrTypeInvalid:
			var fp workflows.FieldProblem
			if appErr.HasDetails() && appErr.Details(&fp) == nil {
				p := newProblem(http.StatusUnprocessableEntity, problemInvalidAction, "Azione non valida",
					"Un valore non è accettabile per questo caso: correggerlo e ripetere.")
				p.Errors = &[]FieldError{{Field: fp.Field, Reason: fp.Reason}}
				return p, true
			}
		}
	}
	return Problem{}, false
}

// caseReply answers with a case as stored, with its timeline, as reader may see it.
func (s *Server) caseReply(ctx context.Context, caseID string, reader casework.Org) (reply, error) {
	c, err := s.store.GetCase(ctx, caseID)
	if err != nil {
		return reply{}, err
	}
	timeline, err := s.store.Timeline(ctx, caseID)
	if err != nil {
		return reply{}, err
	}
	return ok(s.fullCase(c, timeline, reader)), nil
}

func note(n *string) string { return value(n) }

// ProposeSchool is the hub proposing a school.
func (s *Server) ProposeSchool(ctx context.Context, req ProposeSchoolRequestObject) (ProposeSchoolResponseObject, error) {
	return s.act(ctx, action{caseID: req.Id, key: req.Params.IdempotencyKey, update: workflows.UpdatePropose,
		input: func(actor casework.Org) (any, *Problem) {
			if req.Body == nil {
				return nil, bodyRequired()
			}
			b := req.Body
			return workflows.ProposeInput{Actor: actor, School: b.School, Level: value(b.Level), Year: value(b.ClassYear), Note: note(b.Note)}, nil
		}})
}

// DecideProposal is the school accepting or rejecting.
func (s *Server) DecideProposal(ctx context.Context, req DecideProposalRequestObject) (DecideProposalResponseObject, error) {
	return s.act(ctx, action{caseID: req.Id, key: req.Params.IdempotencyKey, update: workflows.UpdateDecide,
		input: func(actor casework.Org) (any, *Problem) {
			if req.Body == nil {
				return nil, bodyRequired()
			}
			b := req.Body
			return workflows.DecideInput{
				Actor: actor, Accept: b.Accept, Year: value(b.ClassYear), Section: value(b.Section),
				StartDate: value(b.StartDate), Reason: value(b.Reason), Note: note(b.Note),
			}, nil
		}})
}

// WithdrawProposal is the hub taking back its proposal.
func (s *Server) WithdrawProposal(ctx context.Context, req WithdrawProposalRequestObject) (WithdrawProposalResponseObject, error) {
	return s.act(ctx, action{caseID: req.Id, key: req.Params.IdempotencyKey, update: workflows.UpdateWithdrawProposal,
		input: func(actor casework.Org) (any, *Problem) {
			in := workflows.WithdrawProposalInput{Actor: actor}
			if req.Body != nil {
				in.Note = note(req.Body.Note)
			}
			return in, nil
		}})
}

// ReassignCase hands the case to another hub.
func (s *Server) ReassignCase(ctx context.Context, req ReassignCaseRequestObject) (ReassignCaseResponseObject, error) {
	return s.act(ctx, action{caseID: req.Id, key: req.Params.IdempotencyKey, update: workflows.UpdateReassign,
		input: func(actor casework.Org) (any, *Problem) {
			if req.Body == nil {
				return nil, bodyRequired()
			}
			hub, err := casework.ParseOrg(req.Body.Hub)
			if err != nil || !hub.IsHub() {
				p := fieldProblem("hub", "deve essere cti:<ambito> o polo_start:<codice>")
				return nil, &p
			}
			return workflows.ReassignInput{Actor: actor, Hub: hub, Note: note(req.Body.Note)}, nil
		}})
}

// WithdrawEnrolment is the comune withdrawing its request.
func (s *Server) WithdrawEnrolment(ctx context.Context, req WithdrawEnrolmentRequestObject) (WithdrawEnrolmentResponseObject, error) {
	return s.act(ctx, action{caseID: req.Id, key: req.Params.IdempotencyKey, update: workflows.UpdateWithdraw,
		input: func(actor casework.Org) (any, *Problem) {
			if req.Body == nil {
				return nil, bodyRequired()
			}
			return workflows.WithdrawInput{Actor: actor, Reason: req.Body.Reason, Note: note(req.Body.Note)}, nil
		}})
}

var istatPattern = regexp.MustCompile(`^015[0-9]{3}$`)

// TransferCase moves the case to the comune the family moved to.
func (s *Server) TransferCase(ctx context.Context, req TransferCaseRequestObject) (TransferCaseResponseObject, error) {
	if req.Body != nil && istatPattern.MatchString(req.Body.Comune) {
		known, err := s.knownComune(ctx, req.Body.Comune)
		if err != nil {
			return nil, err
		}
		if !known {
			p := newProblem(http.StatusUnprocessableEntity, problemInvalidAction, "Azione non valida", "")
			p.Errors = &[]FieldError{{Field: "comune", Reason: reasonUnknownComune}}
			return problemReply(p), nil
		}
	}
	return s.act(ctx, action{caseID: req.Id, key: req.Params.IdempotencyKey, update: workflows.UpdateTransfer,
		input: func(actor casework.Org) (any, *Problem) {
			if req.Body == nil {
				return nil, bodyRequired()
			}
			b := req.Body
			return workflows.TransferInput{Actor: actor, Comune: b.Comune, Municipio: value(b.Municipio), Note: note(b.Note)}, nil
		}})
}

// ConfirmAttendance is the school answering a follow-up check.
func (s *Server) ConfirmAttendance(ctx context.Context, req ConfirmAttendanceRequestObject) (ConfirmAttendanceResponseObject, error) {
	return s.act(ctx, action{caseID: req.Id, key: req.Params.IdempotencyKey, update: workflows.UpdateConfirmAttendance,
		input: func(actor casework.Org) (any, *Problem) {
			if req.Body == nil {
				return nil, bodyRequired()
			}
			return workflows.AttendanceInput{Actor: actor, Attending: req.Body.Attending, Note: note(req.Body.Note)}, nil
		}})
}

func bodyRequired() *Problem {
	p := fieldProblem("body", "il corpo della richiesta è obbligatorio")
	return &p
}

// reasonUnknownComune is the answer for a comune missing from the reference data.
const reasonUnknownComune = "non è un comune della Città Metropolitana di Milano nei dati di riferimento"

// knownComune reports whether istat is a comune of the reference data.
func (s *Server) knownComune(ctx context.Context, istat string) (bool, error) {
	return s.store.ComuneKnown(ctx, istat)
}
