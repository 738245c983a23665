package api

import (
	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
)

// fullCase is a case with how far it has got and its timeline, as GET and the actions
// answer it.
//
// The special-needs note is for the hub and the school, and for the comune that wrote it
// and UST; a comune that only received the case by a transfer does not get it.
func (s *Server) fullCase(view app.CaseView) EnrolmentCase {
	c, timeline := view.Case, view.Timeline
	out := caseResponse(c, view.FullForm)
	out.Hub = pointer(c.Hub)
	out.School = pointer(c.School)
	out.ProposalCount = &c.ProposalCount
	out.ClassYear = pointer(c.Year)
	out.Escalated = &c.Escalated
	out.EscalationReason = pointer(c.EscalationReason)
	out.DropoutRisk = &c.DropoutRisk
	if c.Task != nil {
		t := s.taskResponse(*c.Task)
		out.Task = &t
	}
	if p := c.Placement; p != nil {
		out.Placement = &Placement{School: p.School, Level: p.Level, Year: p.Year, Section: p.Section, StartDate: p.StartDate, Direct: p.Direct}
	}
	events := make([]Event, len(timeline))
	for i, e := range timeline {
		events[i] = Event{
			Seq: e.Seq, At: e.At, Kind: string(e.Kind), Actor: pointer(e.Actor.String()),
			Hub: pointer(e.Hub), School: pointer(e.School), Reason: pointer(e.Reason), Note: pointer(e.Note),
		}
	}
	out.Timeline = &events
	return out
}

func (s *Server) taskResponse(t casework.Task) Task {
	out := Task{
		Kind: TaskKind(t.Kind), Owner: t.Owner.String(), Since: t.Since,
		Overdue: t.Overdue(s.now()), Reminded: t.Reminded, Escalated: t.Escalated,
	}
	if !t.DueAt.IsZero() {
		out.DueAt = &t.DueAt
	}
	if !t.ReminderAt.IsZero() {
		out.ReminderAt = &t.ReminderAt
	}
	return out
}
