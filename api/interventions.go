package api

import (
	"context"
	"net/http"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// This file holds the orientation service's anti-dropout interventions (FAMI "Lab
// Impact", Azione 1), and the school's own report of a pupil at risk.

// ListInterventions lists the interventions, the most urgent first, for the orientation
// service.
func (s *Server) ListInterventions(ctx context.Context, req ListInterventionsRequestObject) (ListInterventionsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	list, err := s.app.Interventions(ctx, actor, store.InterventionFilter{
		Stage: casework.InterventionStage(value(req.Params.Stage)), School: value(req.Params.School), Overdue: value(req.Params.Overdue), Now: s.now(),
	}, value(req.Params.Limit))
	if err != nil {
		return s.failure(err)
	}
	out := InterventionList{Items: make([]Intervention, 0, len(list))}
	for _, in := range list {
		out.Items = append(out.Items, s.interventionBody(in))
	}
	return ok(out), nil
}

// CountInterventions counts the interventions by stage, for UST and the orientation
// service.
func (s *Server) CountInterventions(ctx context.Context, _ CountInterventionsRequestObject) (CountInterventionsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	counts, err := s.app.InterventionCounts(ctx, actor)
	if err != nil {
		return s.failure(err)
	}
	out := InterventionCounts{Threshold: s.app.MinCell(), Counts: make([]struct {
		Escalated     *int   `json:"escalated"`
		Interventions *int   `json:"interventions"`
		Overdue       *int   `json:"overdue"`
		Stage         string `json:"stage"`
	}, len(counts))}
	for i, c := range counts {
		out.Counts[i].Stage = string(c.Stage)
		out.Counts[i].Interventions, out.Counts[i].Escalated, out.Counts[i].Overdue = nullableCount(c.Interventions), nullableCount(c.Escalated), nullableCount(c.Overdue)
	}
	return ok(out), nil
}

// GetIntervention returns an intervention to whoever may see it; to others it does not
// exist.
func (s *Server) GetIntervention(ctx context.Context, req GetInterventionRequestObject) (GetInterventionResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	return s.interventionReply(ctx, req.Id, actor)
}

func (s *Server) interventionReply(ctx context.Context, id string, reader casework.Org) (reply, error) {
	in, err := s.app.Intervention(ctx, reader, id)
	if err != nil {
		return s.failure(err)
	}
	return ok(s.interventionBody(in)), nil
}

func (s *Server) interventionBody(in store.Intervention) Intervention {
	out := Intervention{
		Id: in.ID, CaseId: in.CaseID, Referral: in.Referral, School: in.School, Comune: in.Comune,
		Reason: InterventionReason(in.Reason), Stage: string(in.Stage), Operator: pointer(in.Operator),
		Escalated: in.Escalated, EscalationReason: pointer(in.EscalationReason), Outcome: pointer(in.Outcome),
		OpenedAt: in.OpenedAt, UpdatedAt: in.UpdatedAt, Timeline: []Event{},
	}
	if t := in.Task; t != nil {
		task := InterventionTask{Kind: string(t.Kind), Owner: t.Owner.String(), Overdue: t.Overdue(s.now())}
		if !t.DueAt.IsZero() {
			due := t.DueAt
			task.DueAt = &due
		}
		out.Task = &task
	}
	// The interview's, the plan's and the reviews' JSON forms are the document's.
	_ = convert(in.Interview, &out.Interview)
	_ = convert(in.Plan, &out.Plan)
	if len(in.Reviews) > 0 {
		_ = convert(in.Reviews, &out.Reviews)
	}
	for _, e := range in.Events {
		out.Timeline = append(out.Timeline, Event{
			Seq: e.Seq, At: e.At, Kind: string(e.Kind), Actor: pointer(e.Actor.String()),
			Hub: pointer(e.Hub), School: pointer(e.School), Reason: pointer(e.Reason), Note: pointer(e.Note),
		})
	}
	return out
}

// interventionAction sends an action of the orientation service to the intervention.
func (s *Server) interventionAction(ctx context.Context, id string, key *string, update string, input func(actor casework.Org) (any, error)) (reply, error) {
	return s.perform(ctx, app.SubjectIntervention, id, key, update, input,
		func(ctx context.Context, id string, actor casework.Org) (reply, error) {
			return s.interventionReply(ctx, id, actor)
		})
}

// TakeChargeOfIntervention: the orientation service takes the referral in charge.
func (s *Server) TakeChargeOfIntervention(ctx context.Context, req TakeChargeOfInterventionRequestObject) (TakeChargeOfInterventionResponseObject, error) {
	return s.interventionAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateInterventionTakeCharge, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Required("operator")
		}
		return workflows.InterventionTakeChargeInput{Actor: actor, Operator: req.Body.Operator, Note: value(req.Body.Note)}, nil
	})
}

// RecordInterventionInterview records the interview with the pupil and the family.
func (s *Server) RecordInterventionInterview(ctx context.Context, req RecordInterventionInterviewRequestObject) (RecordInterventionInterviewResponseObject, error) {
	return s.interventionAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateInterventionInterview, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Required("date")
		}
		return workflows.InterventionInterviewInput{Actor: actor, Date: req.Body.Date, WithFamily: value(req.Body.WithFamily), Note: value(req.Body.Note)}, nil
	})
}

// AgreeInterventionPlan records the plan agreed with the school and its review dates.
func (s *Server) AgreeInterventionPlan(ctx context.Context, req AgreeInterventionPlanRequestObject) (AgreeInterventionPlanResponseObject, error) {
	return s.interventionAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateInterventionPlan, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Required("actions")
		}
		return workflows.InterventionPlanInput{Actor: actor, Actions: req.Body.Actions, ReviewDates: req.Body.ReviewDates}, nil
	})
}

// RecordInterventionReview records a review of the plan.
func (s *Server) RecordInterventionReview(ctx context.Context, req RecordInterventionReviewRequestObject) (RecordInterventionReviewResponseObject, error) {
	return s.interventionAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateInterventionReview, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Required("date")
		}
		return workflows.InterventionReviewInput{Actor: actor, Date: req.Body.Date, Attending: req.Body.Attending, Note: value(req.Body.Note)}, nil
	})
}

// CloseIntervention closes the intervention: resolved, school change or dropout.
func (s *Server) CloseIntervention(ctx context.Context, req CloseInterventionRequestObject) (CloseInterventionResponseObject, error) {
	return s.interventionAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateInterventionClose, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Required("outcome")
		}
		return workflows.InterventionCloseInput{Actor: actor, Outcome: string(req.Body.Outcome), Note: value(req.Body.Note)}, nil
	})
}

// ReportDropoutRisk: the school of the placement reports a pupil at risk on its own.
func (s *Server) ReportDropoutRisk(ctx context.Context, req ReportDropoutRiskRequestObject) (ReportDropoutRiskResponseObject, error) {
	return s.act(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateReportDropoutRisk, func(actor casework.Org) (any, error) {
		in := workflows.ReportDropoutRiskInput{Actor: actor}
		if req.Body != nil {
			in.Note = value(req.Body.Note)
		}
		return in, nil
	})
}

func (r reply) VisitListInterventionsResponse(w http.ResponseWriter) error        { return r.write(w) }
func (r reply) VisitCountInterventionsResponse(w http.ResponseWriter) error       { return r.write(w) }
func (r reply) VisitGetInterventionResponse(w http.ResponseWriter) error          { return r.write(w) }
func (r reply) VisitTakeChargeOfInterventionResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitRecordInterventionInterviewResponse(w http.ResponseWriter) error {
	return r.write(w)
}
func (r reply) VisitAgreeInterventionPlanResponse(w http.ResponseWriter) error    { return r.write(w) }
func (r reply) VisitRecordInterventionReviewResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitCloseInterventionResponse(w http.ResponseWriter) error        { return r.write(w) }
func (r reply) VisitReportDropoutRiskResponse(w http.ResponseWriter) error        { return r.write(w) }
