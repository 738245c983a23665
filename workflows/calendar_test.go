package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

const rozzano = "015189"

// territoryCalendars is what routing returns from the sample reference data, cut down:
// Polo START 1 is hosted in Milano, schoolA is in Milano, and schoolB (for this test) in
// Rozzano, whose patron day is not Sant'Ambrogio; Lombardia's Christmas break of 2026/27.
func territoryCalendars() *casework.Calendars {
	return &casework.Calendars{
		HubComune: "015146",
		Schools:   map[string]string{schoolA: "015146", schoolB: rozzano},
		Comuni: map[string]casework.ComuneCalendar{
			"015146": {Patron: &casework.MonthDay{Month: time.December, Day: 7}},
			rozzano:  {},
		},
		SchoolClosures: []casework.SchoolClosure{
			{First: "2026-12-23", Last: "2027-01-05", Name: "Vacanze di Natale"},
			{First: "2027-02-08", Last: "2027-02-09", Name: "Carnevale (rito romano)", Rite: "romano"},
		},
	}
}

// decisionDeadline runs a case routed with calendars, filed at start, whose hub proposes
// school after proposeAfter, and returns the school's task.
func decisionDeadline(t *testing.T, start time.Time, proposeAfter time.Duration, school string) *casework.Task {
	t.Helper()
	h := newHarness(t)
	h.env.SetStartTime(start)
	h.calendars = territoryCalendars()
	proposed := h.at(proposeAfter, workflows.UpdatePropose, propose(hubPolo1, school))
	var task *casework.Task
	h.check(proposeAfter+time.Minute, func() { task = h.state().Task })
	h.finish(proposeAfter + time.Hour)
	h.run()
	requireApplied(t, proposed)
	require.NotNil(t, task)
	require.Equal(t, casework.TaskDecideProposal, task.Kind)
	require.Equal(t, school, task.Owner.Code)
	return task
}

func TestSchoolDeadlineAcrossSantAmbrogioDependsOnTheSchoolsComune(t *testing.T) {
	t.Parallel()
	// Proposed on Monday 30 November 2026; the school has five working days. Monday 7
	// December is Sant'Ambrogio, Milan's patron day, and Tuesday 8 the Immacolata.
	proposedAt := 7 * 24 * time.Hour
	milan := decisionDeadline(t, monday, proposedAt, schoolA)
	rozzanoTask := decisionDeadline(t, monday, proposedAt, schoolB)
	// A school in Milano: Tue 1, Wed 2, Thu 3, Fri 4, Wed 9: due at the end of the 9th.
	requireInstant(t, rome(2026, time.December, 10, 0), milan.DueAt)
	// A school in Rozzano works on Sant'Ambrogio (the policy's LOCAL_HOLIDAYS, 12-07,
	// no longer applies to everybody): Tue 1 … Fri 4, Mon 7: due at the end of the 7th.
	requireInstant(t, rome(2026, time.December, 8, 0), rozzanoTask.DueAt)
	// The reminder, one working day before, follows each calendar too.
	requireInstant(t, rome(2026, time.December, 9, 0), milan.ReminderAt)
	requireInstant(t, rome(2026, time.December, 7, 0), rozzanoTask.ReminderAt)
}

func TestSchoolDeadlineSkipsTheChristmasBreak(t *testing.T) {
	t.Parallel()
	// Filed on Monday 14 December 2026, proposed on Monday 21 at 10:00. The school has
	// Tuesday 22, then Lombardia's break (23 December to 5 January) and the Epiphany:
	// Thu 7, Fri 8, Mon 11, Tue 12 January: due at the end of the 12th.
	start := time.Date(2026, time.December, 14, 10, 0, 0, 0, calendar.Rome)
	task := decisionDeadline(t, start, 7*24*time.Hour, schoolB)
	requireInstant(t, rome(2027, time.January, 13, 0), task.DueAt)
}

func TestHubDeadlineFollowsItsComuneWithoutTheSchoolBreaks(t *testing.T) {
	t.Parallel()
	// Filed on Friday 4 December 2026: Polo START 1, hosted in Milano, has Wed 9, Thu 10,
	// Fri 11, Mon 14, Tue 15 (Monday 7 is Sant'Ambrogio).
	h := newHarness(t)
	h.env.SetStartTime(time.Date(2026, time.December, 4, 10, 0, 0, 0, calendar.Rome))
	h.calendars = territoryCalendars()
	var milanHub *casework.Task
	h.check(time.Minute, func() { milanHub = h.state().Task })
	h.finish(time.Hour)
	h.run()
	require.Equal(t, casework.TaskProposeSchool, milanHub.Kind)
	requireInstant(t, rome(2026, time.December, 16, 0), milanHub.DueAt)

	// The same hub hosted in Rozzano works on the 7th; and a hub is not closed in the
	// school breaks: filed on Monday 21 December, five working days end on Tuesday 29.
	h = newHarness(t)
	h.env.SetStartTime(time.Date(2026, time.December, 21, 10, 0, 0, 0, calendar.Rome))
	h.calendars = territoryCalendars()
	h.calendars.HubComune = rozzano
	var rozzanoHub *casework.Task
	h.check(time.Minute, func() { rozzanoHub = h.state().Task })
	h.finish(time.Hour)
	h.run()
	requireInstant(t, rome(2026, time.December, 30, 0), rozzanoHub.DueAt)
}

func TestCaseRoutedWithoutCalendarsKeepsThePolicysHolidays(t *testing.T) {
	t.Parallel()
	// A routing result without calendars (recorded before they existed): the one list of
	// the policy (12-07) applies to every office, as before.
	proposedAt := 7 * 24 * time.Hour
	h := newHarness(t)
	proposed := h.at(proposedAt, workflows.UpdatePropose, propose(hubPolo1, schoolB))
	var task *casework.Task
	h.check(proposedAt+time.Minute, func() { task = h.state().Task })
	h.finish(proposedAt + time.Hour)
	h.run()
	requireApplied(t, proposed)
	requireInstant(t, rome(2026, time.December, 10, 0), task.DueAt)
}

// requireInstant compares instants: a time read back from the workflow has lost its
// location's name.
func requireInstant(t *testing.T, want, got time.Time) {
	t.Helper()
	require.True(t, want.Equal(got), "want %s, got %s", want, got.In(calendar.Rome))
}
