package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification"
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
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	var f reunification.Family
	if err := convert(*req.Body, &f); err != nil {
		return nil, err
	}
	filed, err := s.app.SendFamily(ctx, actor, f)
	if err != nil {
		return s.failure(err)
	}
	body := JourneyCreated{Id: filed.ID, Stage: filed.Stage}
	if filed.Created {
		return reply{status: http.StatusCreated, body: body, location: "/api/v1/reunifications/" + filed.ID}, nil
	}
	return ok(body), nil
}

// ListReunifications lists the one-stop shop's journeys.
func (s *Server) ListReunifications(ctx context.Context, req ListReunificationsRequestObject) (ListReunificationsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	f := store.JourneyFilter{Stage: value(req.Params.Stage), Escalated: value(req.Params.Escalated), After: value(req.Params.Cursor), Limit: value(req.Params.Limit)}
	journeys, next, err := s.app.Journeys(ctx, actor, f)
	if err != nil {
		return s.failure(err)
	}
	list := JourneyList{Items: make([]Journey, 0, len(journeys))}
	for _, j := range journeys {
		out, err := journeyBody(j)
		if err != nil {
			return nil, err
		}
		list.Items = append(list.Items, out)
	}
	if next != "" {
		list.NextCursor = &next
	}
	return ok(list), nil
}

// CountReunifications counts the journeys by stage, without reading a family.
func (s *Server) CountReunifications(ctx context.Context, _ CountReunificationsRequestObject) (CountReunificationsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	counts, err := s.app.JourneyCounts(ctx, actor)
	if err != nil {
		return s.failure(err)
	}
	out := JourneyCounts{Threshold: s.app.MinCell(), Counts: make([]struct {
		Escalated *int   `json:"escalated"`
		Journeys  *int   `json:"journeys"`
		Stage     string `json:"stage"`
	}, len(counts))}
	for i, c := range counts {
		out.Counts[i].Stage = c.Stage
		out.Counts[i].Journeys, out.Counts[i].Escalated = nullableCount(c.Journeys), nullableCount(c.Escalated)
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
	return s.journeyReply(ctx, req.Id, actor)
}

func (s *Server) journeyReply(ctx context.Context, id string, reader casework.Org) (reply, error) {
	j, err := s.app.Journey(ctx, reader, id)
	if err != nil {
		return s.failure(err)
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
func (s *Server) journeyAction(ctx context.Context, id string, key *string, update string, input func(actor casework.Org) (any, error)) (reply, error) {
	return s.perform(ctx, app.SubjectJourney, id, key, update, input,
		func(ctx context.Context, id string, actor casework.Org) (reply, error) {
			return s.journeyReply(ctx, id, actor)
		})
}

// RecordContactAttempt records an attempt to reach the family.
func (s *Server) RecordContactAttempt(ctx context.Context, req RecordContactAttemptRequestObject) (RecordContactAttemptResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyContact, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Invalid("outcome", "è obbligatorio")
		}
		return workflows.JourneyContactInput{Actor: actor, Outcome: string(req.Body.Outcome), Note: value(req.Body.Note)}, nil
	})
}

// ScheduleInterview fixes the orientation interview.
func (s *Server) ScheduleInterview(ctx context.Context, req ScheduleInterviewRequestObject) (ScheduleInterviewResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneySchedule, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Invalid("at", "è obbligatorio")
		}
		return workflows.JourneyScheduleInput{Actor: actor, At: req.Body.At}, nil
	})
}

// RecordInterview records the interview's outcome and the support areas.
func (s *Server) RecordInterview(ctx context.Context, req RecordInterviewRequestObject) (RecordInterviewResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyInterview, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Invalid("held", "è obbligatorio")
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
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyArrival, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Invalid("date", "è obbligatoria")
		}
		return workflows.JourneyArrivalInput{Actor: actor, Date: req.Body.Date}, nil
	})
}

// RecordPermesso records the application for the permesso di soggiorno.
func (s *Server) RecordPermesso(ctx context.Context, req RecordPermessoRequestObject) (RecordPermessoResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyPermesso, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Invalid("date", "è obbligatoria")
		}
		return workflows.JourneyPermessoInput{Actor: actor, Date: req.Body.Date}, nil
	})
}

// RecordFamilyFollowUp records a family-support follow-up.
func (s *Server) RecordFamilyFollowUp(ctx context.Context, req RecordFamilyFollowUpRequestObject) (RecordFamilyFollowUpResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyFollowUp, func(actor casework.Org) (any, error) {
		in := workflows.JourneyFollowUpInput{Actor: actor}
		if req.Body != nil {
			in.Note, in.PlanComplete = value(req.Body.Note), value(req.Body.PlanComplete)
		}
		return in, nil
	})
}

// EnrolFamilyMember opens, after the arrival, the enrolment case of a member the arrival
// left out (a toddler's infanzia, say), at the level asked.
func (s *Server) EnrolFamilyMember(ctx context.Context, req EnrolFamilyMemberRequestObject) (EnrolFamilyMemberResponseObject, error) {
	return s.journeyAction(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateJourneyEnrolMember, func(actor casework.Org) (any, error) {
		if req.Body == nil {
			return nil, app.Invalid("member", "è obbligatorio")
		}
		return workflows.JourneyEnrolMemberInput{Actor: actor, Member: req.Body.Member, Level: req.Body.Level, Note: value(req.Body.Note)}, nil
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
func (r reply) VisitEnrolFamilyMemberResponse(w http.ResponseWriter) error    { return r.write(w) }
