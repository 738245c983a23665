package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// act sends an action to a case and answers with the case as it is afterwards.
func (s *Server) act(ctx context.Context, id string, key *string, update string, input func(actor casework.Org) (any, error)) (reply, error) {
	return s.perform(ctx, app.SubjectCase, id, key, update, input, s.caseReply)
}

// perform is the API's door onto app.Act, the one action pipeline: it takes the caller
// and the Idempotency-Key from the request, and answers with the subject as it is after
// the action (read by then), or with the problem that explains a refusal.
func (s *Server) perform(ctx context.Context, subject app.Subject, id string, key *string, update string,
	input func(actor casework.Org) (any, error), then func(context.Context, string, casework.Org) (reply, error)) (reply, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	err := s.app.Act(ctx, actor, app.Action{Subject: subject, ID: id, Key: value(key), Update: update, Input: input})
	if err != nil {
		return s.failure(err)
	}
	answer, err := then(store.WithOrg(ctx, actor.String()), id, actor)
	if errors.Is(err, store.ErrNotFound) || answer.status == http.StatusNotFound {
		// The action took the subject out of the caller's sight, e.g. a hub that handed
		// the case to another hub.
		return noContent(), nil
	}
	return answer, err
}

// caseReply answers with a case as reader may see it, with its timeline.
func (s *Server) caseReply(ctx context.Context, caseID string, reader casework.Org) (reply, error) {
	view, err := s.app.Case(ctx, reader, caseID)
	if err != nil {
		return s.failure(err)
	}
	return ok(s.fullCase(view)), nil
}

func note(n *string) string { return value(n) }

// ProposeSchool is the hub proposing a school.
func (s *Server) ProposeSchool(ctx context.Context, req ProposeSchoolRequestObject) (ProposeSchoolResponseObject, error) {
	return s.act(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdatePropose, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, errBodyRequired
		}
		b := req.Body
		return workflows.ProposeInput{Actor: actor, School: b.School, Level: value(b.Level), Year: value(b.ClassYear), Note: note(b.Note)}, nil
	})
}

// DecideProposal is the school accepting or rejecting.
func (s *Server) DecideProposal(ctx context.Context, req DecideProposalRequestObject) (DecideProposalResponseObject, error) {
	return s.act(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateDecide, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, errBodyRequired
		}
		b := req.Body
		return workflows.DecideInput{
			Actor: actor, Accept: b.Accept, Year: value(b.ClassYear), Section: value(b.Section),
			StartDate: value(b.StartDate), Reason: value(b.Reason), Note: note(b.Note),
		}, nil
	})
}

// WithdrawProposal is the hub taking back its proposal.
func (s *Server) WithdrawProposal(ctx context.Context, req WithdrawProposalRequestObject) (WithdrawProposalResponseObject, error) {
	return s.act(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateWithdrawProposal, func(actor casework.Org) (any, error) {
		in := workflows.WithdrawProposalInput{Actor: actor}
		if req.Body != nil {
			in.Note = note(req.Body.Note)
		}
		return in, nil
	})
}

// ReassignCase hands the case to another hub.
func (s *Server) ReassignCase(ctx context.Context, req ReassignCaseRequestObject) (ReassignCaseResponseObject, error) {
	return s.act(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateReassign, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, errBodyRequired
		}
		hub, err := casework.ParseOrg(req.Body.Hub)
		if err != nil || !hub.IsHub() {
			return nil, app.Invalid("hub", "deve essere cti:<ambito> o polo_start:<codice>")
		}
		return workflows.ReassignInput{Actor: actor, Hub: hub, Note: note(req.Body.Note)}, nil
	})
}

// WithdrawEnrolment is the comune withdrawing its request.
func (s *Server) WithdrawEnrolment(ctx context.Context, req WithdrawEnrolmentRequestObject) (WithdrawEnrolmentResponseObject, error) {
	return s.act(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateWithdraw, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, errBodyRequired
		}
		return workflows.WithdrawInput{Actor: actor, Reason: req.Body.Reason, Note: note(req.Body.Note)}, nil
	})
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
	return s.act(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateTransfer, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, errBodyRequired
		}
		b := req.Body
		return workflows.TransferInput{Actor: actor, Comune: b.Comune, Municipio: value(b.Municipio), Note: note(b.Note)}, nil
	})
}

// ConfirmAttendance is the school answering a follow-up check.
func (s *Server) ConfirmAttendance(ctx context.Context, req ConfirmAttendanceRequestObject) (ConfirmAttendanceResponseObject, error) {
	return s.act(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateConfirmAttendance, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, errBodyRequired
		}
		return workflows.AttendanceInput{Actor: actor, Attending: req.Body.Attending, Note: note(req.Body.Note)}, nil
	})
}

// errBodyRequired answers an action that came without its body.
var errBodyRequired = app.Invalid("body", "il corpo della richiesta è obbligatorio")

// reasonUnknownComune is the answer for a comune missing from the reference data.
const reasonUnknownComune = "non è un comune della Città Metropolitana di Milano nei dati di riferimento"

// knownComune reports whether istat is a comune of the reference data.
func (s *Server) knownComune(ctx context.Context, istat string) (bool, error) {
	return s.store.ComuneKnown(ctx, istat)
}
