package api

import (
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// fullCase is a case with how far it has got and its timeline, as GET and the actions
// answer it.
//
// The special-needs note is for the hub and the school, and for the comune that wrote it
// and UST; a comune that only received the case by a transfer does not get it.
func (s *Server) fullCase(c store.Case, timeline []casework.Event, reader casework.Org) EnrolmentCase {
	out := caseResponse(c)
	if reader.Kind == casework.OrgComune && reader.Code != c.FiledBy && out.SpecialNeeds != nil {
		out.SpecialNeeds.Note = nil
	}
	// A school needs the minor, the family's contacts and the needs to enrol the pupil;
	// not why the family migrated, nor the comune's notes to the hub.
	if reader.Kind == casework.OrgSchool {
		out.Origin, out.Notes = nil, nil
	}
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
