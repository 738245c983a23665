package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// This file holds the reunification journeys (FAMI "Lab Impact", Azione 2): the
// Prefettura sends families, the one-stop shop follows them, UST sees counts.

// CreateReunification opens a family's journey, or answers with the journey the same
// family opened before.
func (s *Server) CreateReunification(ctx context.Context, req CreateReunificationRequestObject) (CreateReunificationResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if actor.Kind != casework.OrgPrefettura && actor.Kind != casework.OrgOneStopShop {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"Le famiglie in ricongiungimento le segnala la Prefettura (Sportello Unico) o lo sportello unico per le famiglie.")), nil
	}
	if req.Body == nil {
		return problemReply(fieldProblem("body", "il corpo della richiesta è obbligatorio")), nil
	}
	var f reunification.Family
	if err := convert(*req.Body, &f); err != nil {
		return nil, err
	}
	f = f.Normalize()
	if errs := f.Validate(s.now()); len(errs) > 0 {
		return problemReply(validationProblem(errs)), nil
	}
	ctx = store.WithOrg(ctx, actor.String())
	if problem, err := s.checkComune(ctx, f.Sponsor.Comune, "sponsor.comune"); problem != nil || err != nil {
		if err != nil {
			return nil, err
		}
		return problemReply(*problem), nil
	}
	// A family the Prefettura sent and one the one-stop shop opened by hand are told
	// apart by source, so that their references cannot collide.
	id := reunification.JourneyID(string(actor.Kind), f.Reference)
	result, err := s.registerJourney(ctx, id, actor, f)
	switch {
	case errors.Is(err, errRequestConflict):
		p := newProblem(http.StatusConflict, problemRequestConflict, "Riferimento già usato",
			"Questo riferimento è già stato inviato con dati diversi: per correggere una famiglia rivolgersi allo sportello unico.")
		p.Errors = &[]FieldError{{Field: "reference", Reason: "già usato per una famiglia diversa"}}
		return problemReply(p), nil
	case err != nil:
		return nil, err
	}
	body := JourneyCreated{Id: id, Stage: result.Stage}
	if result.Created {
		return reply{status: http.StatusCreated, body: body, location: "/api/v1/reunifications/" + id}, nil
	}
	return ok(body), nil
}

// registerJourney starts the journey, or finds it, and waits until it is recorded.
func (s *Server) registerJourney(ctx context.Context, id string, source casework.Org, f reunification.Family) (workflows.RegisterResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.registerTimeout)
	defer cancel()
	hash := f.Hash()
	start := s.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       reunification.WorkflowID(id),
		TaskQueue:                s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Stage.ValueSet(workflows.JourneyContacting),
			searchattr.ComuneIstat.ValueSet(f.Sponsor.Comune),
		),
	}, workflows.ReunificationWorkflowName, workflows.JourneyInput{JourneyID: id, Source: source, FamilyHash: hash, Family: f})
	handle, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   workflows.UpdateJourneyRegister,
			Args:         []any{workflows.RegisterInput{RequestHash: hash}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var alreadyStarted *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &alreadyStarted) {
		// The journey closed: the store answers, if the family is the same.
		j, getErr := s.store.JourneyByID(store.AsSystem(ctx), id)
		if getErr != nil {
			return workflows.RegisterResult{}, getErr
		}
		if j.FamilyHash != hash {
			return workflows.RegisterResult{}, errRequestConflict
		}
		return workflows.RegisterResult{CaseID: id, Stage: j.Stage}, nil
	}
	if err != nil {
		return workflows.RegisterResult{}, asRequestConflict(err)
	}
	var result workflows.RegisterResult
	if err := handle.Get(ctx, &result); err != nil {
		return workflows.RegisterResult{}, asRequestConflict(err)
	}
	return result, nil
}

// ListReunifications lists the one-stop shop's journeys.
func (s *Server) ListReunifications(ctx context.Context, req ListReunificationsRequestObject) (ListReunificationsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if actor.Kind != casework.OrgOneStopShop {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"I percorsi delle famiglie li consulta lo sportello unico; l'UST ne vede i conteggi (/reunifications/counts).")), nil
	}
	f := store.JourneyFilter{Stage: value(req.Params.Stage), Escalated: value(req.Params.Escalated), After: value(req.Params.Cursor), Limit: value(req.Params.Limit)}
	if f.Limit == 0 {
		f.Limit = 50
	}
	journeys, err := s.store.Journeys(store.WithOrg(ctx, actor.String()), f)
	if err != nil {
		return nil, err
	}
	list := JourneyList{Items: make([]Journey, 0, len(journeys))}
	for _, j := range journeys {
		out, err := journeyBody(j)
		if err != nil {
			return nil, err
		}
		list.Items = append(list.Items, out)
	}
	if len(journeys) == f.Limit {
		last := journeys[len(journeys)-1].ID
		list.NextCursor = &last
	}
	return ok(list), nil
}

// CountReunifications counts the journeys by stage, without reading a family.
func (s *Server) CountReunifications(ctx context.Context, _ CountReunificationsRequestObject) (CountReunificationsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if actor != casework.UST && actor.Kind != casework.OrgOneStopShop {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"I conteggi dei percorsi sono per l'UST e lo sportello unico.")), nil
	}
	counts, err := s.store.JourneyCounts(store.WithOrg(ctx, actor.String()))
	if err != nil {
		return nil, err
	}
	var out JourneyCounts
	if err := convert(map[string]any{"counts": nonNilSlice(counts)}, &out); err != nil {
		return nil, err
	}
	return ok(out), nil
}

// GetReunification returns a journey to the one-stop shop; to anyone else it does not
// exist.
func (s *Server) GetReunification(ctx context.Context, req GetReunificationRequestObject) (GetReunificationResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if _, err := uuid.Parse(req.Id); err != nil || len(req.Id) != 36 {
		return problemReply(fieldProblem("id", "deve essere l'UUID di un percorso")), nil
	}
	return s.journeyReply(store.WithOrg(ctx, actor.String()), req.Id)
}

func (s *Server) journeyReply(ctx context.Context, id string) (reply, error) {
	j, err := s.store.JourneyByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return problemReply(newProblem(http.StatusNotFound, problemBlank, "Percorso non trovato", "")), nil
	}
	if err != nil {
		return reply{}, err
	}
	body, err := journeyBody(j)
	if err != nil {
		return reply{}, err
	}
	return ok(body), nil
}

func journeyBody(j store.Journey) (Journey, error) {
	out := Journey{
		Id: j.ID, Reference: j.Family.Reference, WorkflowId: j.WorkflowID, Stage: j.Stage, Escalated: j.Escalated,
		SupportAreas: nonNilSlice(j.SupportAreas), CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt,
	}
	if j.EscalationReason != "" {
		out.EscalationReason = &j.EscalationReason
	}
	if !j.Deadline.IsZero() {
		out.Deadline = &j.Deadline
	}
	if j.ArrivedOn != "" {
		out.ArrivedOn = &j.ArrivedOn
	}
	var family Family
	if err := convert(j.Family, &family); err != nil {
		return Journey{}, err
	}
	out.Family = &family
	if err := convert(nonNilSlice(j.Children), &out.Children); err != nil {
		return Journey{}, err
	}
	if err := convert(timelineBody(j.Timeline), &out.Timeline); err != nil {
		return Journey{}, err
	}
	return out, nil
}

// timelineBody writes a journey's events as the document describes them.
func timelineBody(events []casework.JourneyEvent) []map[string]any {
	out := make([]map[string]any, 0, len(events))
	for _, e := range events {
		m := map[string]any{"seq": e.Seq, "at": e.At.UTC().Format(time.RFC3339Nano), "kind": e.Kind}
		if !e.Actor.IsZero() {
			m["actor"] = e.Actor.String()
		}
		if e.Reason != "" {
			m["reason"] = e.Reason
		}
		if e.Note != "" {
			m["note"] = e.Note
		}
		out = append(out, m)
	}
	return out
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// convert copies between two types with the same JSON form (the document's and the
// domain's).
func convert(from, to any) error {
	data, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, to)
}

// journeyAction sends one of the one-stop shop's actions to the journey's workflow.
func (s *Server) journeyAction(ctx context.Context, id string, keyHeader *string, update string, input func(actor casework.Org) (any, *Problem)) (reply, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return problemReply(fieldProblem("id", "deve essere l'UUID di un percorso")), nil
	}
	key, problem := idempotencyKey(keyHeader)
	if problem != nil {
		return problemReply(*problem), nil
	}
	ctx = store.WithOrg(ctx, actor.String())
	if _, err := s.store.JourneyByID(ctx, id); errors.Is(err, store.ErrNotFound) {
		return problemReply(newProblem(http.StatusNotFound, problemBlank, "Percorso non trovato", "")), nil
	} else if err != nil {
		return reply{}, err
	}
	arg, problem := input(actor)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if p, err := s.sendUpdate(ctx, reunification.WorkflowID(id), key, update, arg, "Il percorso è chiuso"); p != nil || err != nil {
		if err != nil {
			return reply{}, err
		}
		return problemReply(*p), nil
	}
	return s.journeyReply(ctx, id)
}

// sendUpdate sends an action to a workflow as an Update and waits for it. A refusal by
// its validator, or a workflow already closed (closedTitle), is a problem for the caller;
// anything else is the server's error.
func (s *Server) sendUpdate(ctx context.Context, workflowID, key, update string, arg any, closedTitle string) (*Problem, error) {
	uctx, cancel := context.WithTimeout(ctx, s.registerTimeout)
	defer cancel()
	handle, err := s.temporal.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateID: key, UpdateName: update,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(uctx, nil)
	}
	if err == nil {
		return nil, nil
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		p := newProblem(http.StatusConflict, problemCaseClosed, closedTitle, "È concluso: non accetta altre azioni.")
		return &p, nil
	}
	if p, refused := refusalProblem(err); refused {
		return &p, nil
	}
	return nil, err
}

// RecordContactAttempt records an attempt to reach the family.
func (s *Server) RecordContactAttempt(ctx context.Context, req RecordContactAttemptRequestObject) (RecordContactAttemptResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyContact, func(actor casework.Org) (any, *Problem) {
		if req.Body == nil {
			p := fieldProblem("outcome", "è obbligatorio")
			return nil, &p
		}
		return workflows.JourneyContactInput{Actor: actor, Outcome: string(req.Body.Outcome), Note: value(req.Body.Note)}, nil
	})
}

// ScheduleInterview fixes the orientation interview.
func (s *Server) ScheduleInterview(ctx context.Context, req ScheduleInterviewRequestObject) (ScheduleInterviewResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneySchedule, func(actor casework.Org) (any, *Problem) {
		if req.Body == nil {
			p := fieldProblem("at", "è obbligatorio")
			return nil, &p
		}
		return workflows.JourneyScheduleInput{Actor: actor, At: req.Body.At}, nil
	})
}

// RecordInterview records the interview's outcome and the support areas.
func (s *Server) RecordInterview(ctx context.Context, req RecordInterviewRequestObject) (RecordInterviewResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyInterview, func(actor casework.Org) (any, *Problem) {
		if req.Body == nil {
			p := fieldProblem("held", "è obbligatorio")
			return nil, &p
		}
		in := workflows.JourneyInterviewInput{Actor: actor, Held: req.Body.Held, Note: value(req.Body.Note)}
		for _, a := range value(req.Body.SupportAreas) {
			in.SupportAreas = append(in.SupportAreas, string(a))
		}
		return in, nil
	})
}

// RecordArrival records the family's arrival; the school-age children's enrolment cases
// open.
func (s *Server) RecordArrival(ctx context.Context, req RecordArrivalRequestObject) (RecordArrivalResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyArrival, func(actor casework.Org) (any, *Problem) {
		if req.Body == nil {
			p := fieldProblem("date", "è obbligatoria")
			return nil, &p
		}
		return workflows.JourneyArrivalInput{Actor: actor, Date: req.Body.Date}, nil
	})
}

// RecordPermesso records the application for the permesso di soggiorno.
func (s *Server) RecordPermesso(ctx context.Context, req RecordPermessoRequestObject) (RecordPermessoResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyPermesso, func(actor casework.Org) (any, *Problem) {
		if req.Body == nil {
			p := fieldProblem("date", "è obbligatoria")
			return nil, &p
		}
		return workflows.JourneyPermessoInput{Actor: actor, Date: req.Body.Date}, nil
	})
}

// RecordFamilyFollowUp records a family-support follow-up.
func (s *Server) RecordFamilyFollowUp(ctx context.Context, req RecordFamilyFollowUpRequestObject) (RecordFamilyFollowUpResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyFollowUp, func(actor casework.Org) (any, *Problem) {
		in := workflows.JourneyFollowUpInput{Actor: actor}
		if req.Body != nil {
			in.Note, in.PlanComplete = value(req.Body.Note), value(req.Body.PlanComplete)
		}
		return in, nil
	})
}

func (r reply) VisitCreateReunificationResponse(w http.ResponseWriter) error  { return r.write(w) }
func (r reply) VisitListReunificationsResponse(w http.ResponseWriter) error   { return r.write(w) }
func (r reply) VisitCountReunificationsResponse(w http.ResponseWriter) error  { return r.write(w) }
func (r reply) VisitGetReunificationResponse(w http.ResponseWriter) error     { return r.write(w) }
func (r reply) VisitRecordContactAttemptResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitScheduleInterviewResponse(w http.ResponseWriter) error    { return r.write(w) }
func (r reply) VisitRecordInterviewResponse(w http.ResponseWriter) error      { return r.write(w) }
func (r reply) VisitRecordArrivalResponse(w http.ResponseWriter) error        { return r.write(w) }
func (r reply) VisitRecordPermessoResponse(w http.ResponseWriter) error       { return r.write(w) }
func (r reply) VisitRecordFamilyFollowUpResponse(w http.ResponseWriter) error { return r.write(w) }
