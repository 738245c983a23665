package e2e_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// sanDonatoSchl is the school of the sample's ambito 26 (Sud), which Rozzano is in, and
// the host of its CTI: San Donato Milanese has no verified patron day.
const sanDonatoSchl = "MIIC90051A"

// schoolBreaks2026 are Lombardia's 2026/27 breaks for a comune of the Ambrosian rite, as
// deploy/refdata/sources/calendario-scolastico-lombardia.csv gives them.
var schoolBreaks2026 = []calendar.Closure{
	{First: time.Date(2026, time.December, 23, 0, 0, 0, 0, calendar.Rome), Last: time.Date(2027, time.January, 5, 0, 0, 0, 0, calendar.Rome)},
	{First: time.Date(2027, time.February, 12, 0, 0, 0, 0, calendar.Rome), Last: time.Date(2027, time.February, 13, 0, 0, 0, 0, calendar.Rome)},
	{First: time.Date(2027, time.March, 25, 0, 0, 0, 0, calendar.Rome), Last: time.Date(2027, time.March, 30, 0, 0, 0, 0, calendar.Rome)},
}

// requireDue checks that task is due when cal says, counting from when it was opened.
func requireDue(t *testing.T, cal *calendar.Calendar, days int, task *api.Task, msg string) {
	t.Helper()
	require.NotNil(t, task, msg)
	require.NotNil(t, task.DueAt, msg)
	want := cal.Deadline(task.Since, days)
	require.True(t, want.Equal(*task.DueAt), "%s: due %s, want %s", msg, task.DueAt.In(calendar.Rome), want)
}

// TestDeadlinesFollowTheActingOfficesCalendar runs cases on the real stack: the routing
// activity reads the patron days and school breaks from PostgreSQL, the workflow keeps
// them, and each task is due by the calendar of the office that must act. The policy's
// LOCAL_HOLIDAYS (12-07) no longer applies to everybody.
func TestDeadlinesFollowTheActingOfficesCalendar(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	milan := calendar.New(calendar.SantAmbrogio)
	elsewhere := calendar.New()

	// Milano: Polo START 1, hosted in Milano, works on Milan's calendar; so does a Milan
	// school, closed in the school breaks too.
	m := b.fileCase(t, validBody())
	require.Equal(t, polo1, *m.Hub)
	requireDue(t, milan, b.policy.ProposalDays, m.Task, "Polo START 1 in Milano")
	m = b.actOK(t, polo1, m.Id, "proposal", map[string]any{"school": schoolA})
	requireDue(t, milan.WithClosures(schoolBreaks2026...), b.policy.DecisionDays, m.Task, "a school in Milano")

	// Rozzano: the CTI of ambito 26, hosted in San Donato Milanese, and its school there:
	// neither closes on Sant'Ambrogio.
	body := validBody()
	body["comune"] = "015189"
	body["residence"] = map[string]any{"address": "Viale Lombardia 1"}
	// Another minor: the same one would be the same case.
	body["minor"] = map[string]any{"givenName": "Taras", "familyName": "Shevchuk", "birthDate": "2016-03-01", "sex": "M", "citizenship": "UA"}
	r := b.fileCase(t, body)
	require.Equal(t, "cti:26", *r.Hub)
	requireDue(t, elsewhere, b.policy.ProposalDays, r.Task, "the CTI hosted in San Donato")
	r = b.actOK(t, "cti:26", r.Id, "proposal", map[string]any{"school": sanDonatoSchl})
	requireDue(t, elsewhere.WithClosures(schoolBreaks2026...), b.policy.DecisionDays, r.Task, "a school in San Donato")

	// What the workflow holds came from the reference data through the routing activity.
	var s workflows.State
	v, err := b.temporal.QueryWorkflow(b.ctx, m.WorkflowId, "", workflows.QueryState)
	require.NoError(t, err)
	require.NoError(t, v.Get(&s))
	require.NotNil(t, s.Calendars)
	require.Equal(t, "015146", s.Calendars.HubComune)
	require.Equal(t, "015146", s.Calendars.Schools[schoolA])
	require.Equal(t, &casework.MonthDay{Month: time.December, Day: 7}, s.Calendars.Comuni["015146"].Patron)
	require.Len(t, s.Calendars.SchoolClosures, 4)
	v, err = b.temporal.QueryWorkflow(b.ctx, r.WorkflowId, "", workflows.QueryState)
	require.NoError(t, err)
	require.NoError(t, v.Get(&s))
	require.Equal(t, "015192", s.Calendars.HubComune)
	require.Nil(t, s.Calendars.Comuni["015192"].Patron, "San Donato's patron day is not verified")

	for _, c := range []api.EnrolmentCase{m, r} {
		require.NoError(t, b.temporal.CancelWorkflow(b.ctx, c.WorkflowId, ""))
		require.Error(t, b.temporal.GetWorkflow(b.ctx, c.WorkflowId, "").Get(b.ctx, nil))
	}
	if *updateHistories {
		writeHistory(t, b.temporal, m.WorkflowId, "enrolment_office_calendar_proposed.json")
	}
}
