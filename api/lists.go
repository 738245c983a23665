package api

import (
	"context"

	"github.com/approdo/approdo/api/app"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// ListEnrolments is a page of cases, newest first, filtered. It holds no personal data.
func (s *Server) ListEnrolments(ctx context.Context, req ListEnrolmentsRequestObject) (ListEnrolmentsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	p := req.Params
	if p.Limit != nil && *p.Limit < 1 {
		return s.failure(app.Invalid("limit", "deve essere tra 1 e 200"))
	}
	page, next, err := s.app.Cases(ctx, actor, store.CaseFilter{
		Stage: casework.Stage(value(p.Stage)), Hub: value(p.Hub), Comune: value(p.Comune), School: value(p.School),
		Overdue: value(p.Overdue), Escalated: p.Escalated, After: value(p.Cursor), Limit: value(p.Limit),
	})
	if err != nil {
		return s.failure(err)
	}
	items := make([]CaseSummary, len(page))
	for i, c := range page {
		items[i] = CaseSummary{
			Id: c.ID, Stage: string(c.Stage), Comune: c.Comune, Level: c.Level, Hub: pointer(c.Hub), School: pointer(c.School),
			Origin: pointer(c.Origin), ProposalCount: c.ProposalCount, Escalated: c.Escalated,
			EscalationReason: pointer(c.EscalationReason), DropoutRisk: c.DropoutRisk, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		}
		if c.Task != nil {
			t := s.taskResponse(*c.Task)
			items[i].Task = &t
		}
	}
	return ok(CaseList{Items: items, NextCursor: pointer(next)}), nil
}

// ListTasks is the inbox of the acting organisation: its open tasks, overdue first.
func (s *Server) ListTasks(ctx context.Context, req ListTasksRequestObject) (ListTasksResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if req.Params.Limit != nil && *req.Params.Limit < 1 {
		return s.failure(app.Invalid("limit", "deve essere tra 1 e 500"))
	}
	tasks, err := s.app.Tasks(ctx, actor, value(req.Params.Limit))
	if err != nil {
		return s.failure(err)
	}
	items := make([]TaskItem, len(tasks))
	for i, t := range tasks {
		items[i] = TaskItem{CaseId: t.CaseID, Stage: string(t.Stage), Comune: t.Comune, Level: t.Level, Task: s.taskResponse(t.Task)}
	}
	return ok(TaskList{Items: items}), nil
}
