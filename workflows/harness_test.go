package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

// The activities are replaced by in-memory fakes here: these tests are about the
// workflow's logic and timing, with time skipping. The real activities run against
// PostgreSQL in the store tests and in the end-to-end tests.
var (
	cases    *activities.Cases
	routing  *activities.Routing
	policies *activities.Policies
)

// monday is when the cases of these tests are filed: Monday 23 November 2026, 10:00 in
// Rome. Five working days later is the end of Monday 30 November.
var monday = time.Date(2026, time.November, 23, 10, 0, 0, 0, calendar.Rome)

var (
	hubPolo1 = casework.Org{Kind: casework.OrgPoloStart, Code: "1"}
	hubCTI21 = casework.Org{Kind: casework.OrgCTI, Code: "21"}
	milano   = casework.Org{Kind: casework.OrgComune, Code: enrolment.MilanoISTAT}
	schoolA  = "MIIC90001A"
	schoolB  = "MIIC90002A"
	schoolSS = "MIIS90006A" // secondaria di II grado only
	sesto    = "MIIC90011A"
)

func defaultPolicy() casework.Policy {
	return casework.Policy{
		ProposalDays: 5, DecisionDays: 5, ReminderDays: 1, MaxProposals: 3,
		FollowUpDays: []int{30, 90}, AttendanceDays: 5,
		LocalHolidays: []casework.MonthDay{{Month: time.December, Day: 7}},
	}
}

// territories is the reference data the fake routing answers from.
var territories = map[casework.Org][]activities.SchoolRef{
	hubPolo1: {
		{Code: schoolA, Levels: []string{"infanzia", "primaria", "secondaria_primo_grado"}},
		{Code: schoolB, Levels: []string{"primaria", "secondaria_primo_grado"}},
		{Code: schoolSS, Levels: []string{"secondaria_secondo_grado"}},
	},
	hubCTI21: {{Code: sesto, Levels: []string{"infanzia", "primaria", "secondaria_primo_grado"}}},
}

// ambitoOf is the ambito of each comune of the fake reference data.
var ambitoOf = map[string]string{enrolment.MilanoISTAT: "1", "015209": "21"}

// harness runs one case in the test environment and keeps what its activities did.
type harness struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	input  workflows.EnrolmentInput
	policy casework.Policy

	mu        sync.Mutex
	saved     []store.Progress
	notices   []activities.NotifyInput
	referrals []store.DropoutReferral
	routes    []activities.RouteInput
	amended   []activities.AmendCaseInput
	// suggest is the fake of the class AmendCase suggests again from a corrected birth
	// date.
	suggest func(enrolment.Request) activities.AmendCaseResult
	// recordCase is the fake of RecordCase; tests replace it to fail or to look.
	recordCase func(context.Context, activities.RecordCaseInput) (activities.RecordCaseResult, error)
	// noHub makes the routing rule find no hub, as for a comune missing from the
	// reference data; a hub chosen by a person is still found.
	noHub bool
	// calendars, when set, are the local calendars the fake routing returns (nil: a
	// routing result recorded before routing returned them).
	calendars *casework.Calendars
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	// The workflow's own log is noise here; warnings and errors still show.
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(monday)
	worker.Register(env, worker.Dependencies{Cases: &activities.Cases{}, Routing: &activities.Routing{}, Policies: &activities.Policies{}})
	req := enrolment.Request{
		RequestID: "3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f",
		Comune:    enrolment.MilanoISTAT,
		Level:     enrolment.LevelPrimaria,
		Minor:     enrolment.Minor{GivenName: "Olena", FamilyName: "Kovalenko", BirthDate: "2017-04-12"},
		Residence: enrolment.Residence{Municipio: 2},
		Origin:    enrolment.OriginUkrainianRefugee,
	}
	caseID := enrolment.CaseID(req.Comune, req.RequestID)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: enrolment.WorkflowID(caseID)})
	h := &harness{
		t: t, env: env, policy: defaultPolicy(),
		input: workflows.EnrolmentInput{CaseID: caseID, FiledBy: req.Comune, RequestHash: req.Hash(), Request: req},
	}
	h.suggest = func(enrolment.Request) activities.AmendCaseResult {
		return activities.AmendCaseResult{SuggestedLevel: "primaria", SuggestedYear: 4}
	}
	h.recordCase = func(_ context.Context, in activities.RecordCaseInput) (activities.RecordCaseResult, error) {
		// A nine-year-old in November 2026: the fourth class of primaria.
		return activities.RecordCaseResult{Stage: in.Stage, SuggestedLevel: "primaria", SuggestedYear: 4}, nil
	}
	env.OnActivity(cases.RecordCase, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.RecordCaseInput) (activities.RecordCaseResult, error) {
			return h.recordCase(ctx, in)
		}).Maybe()
	env.OnActivity(policies.CasePolicy, mock.Anything).Return(
		func(context.Context) (casework.Policy, error) { return h.policy, nil }).Maybe()
	env.OnActivity(routing.RouteCase, mock.Anything, mock.Anything).Return(h.route).Maybe()
	env.OnActivity(cases.SaveProgress, mock.Anything, mock.Anything).Return(
		func(_ context.Context, p store.Progress) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.saved = append(h.saved, p)
			return nil
		}).Maybe()
	env.OnActivity(cases.AmendCase, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AmendCaseInput) (activities.AmendCaseResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.amended = append(h.amended, in)
			if in.Suggest {
				return h.suggest(in.Request), nil
			}
			return activities.AmendCaseResult{SuggestedLevel: "primaria", SuggestedYear: 4}, nil
		}).Maybe()
	env.OnActivity(cases.Notify, mock.Anything, mock.Anything).Return(
		func(_ context.Context, n activities.NotifyInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.notices = append(h.notices, n)
			return nil
		}).Maybe()
	env.OnActivity(cases.SaveProgressAndNotify, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SaveProgressAndNotifyInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.saved = append(h.saved, in.Progress)
			h.notices = append(h.notices, in.Notices...)
			return nil
		}).Maybe()
	env.OnActivity(cases.OpenDropoutReferral, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r store.DropoutReferral) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.referrals = append(h.referrals, r)
			return nil
		}).Maybe()
	return h
}

// route is the routing rule on the fake reference data: first-cycle Milano cases of
// municipi 1–3 go to Polo START 1, Sesto San Giovanni (015209) to CTI 21.
func (h *harness) route(_ context.Context, in activities.RouteInput) (activities.RouteResult, error) {
	h.mu.Lock()
	h.routes = append(h.routes, in)
	h.mu.Unlock()
	if h.noHub && in.Hub.IsZero() {
		return activities.RouteResult{}, temporal.NewNonRetryableApplicationError("comune not in the reference data", activities.ErrTypeNoHub, nil)
	}
	hub := in.Hub
	if hub.IsZero() {
		switch {
		case in.Comune == enrolment.MilanoISTAT && in.Level == string(enrolment.LevelSecondariaSecondoGrado):
			// The second cycle goes to the CTI, as the real rule says (of another ambito
			// here, to tell the two hubs apart).
			hub = hubCTI21
		case in.Comune == enrolment.MilanoISTAT && in.Municipio <= 3:
			hub = hubPolo1
		case in.Comune == "015209":
			hub = hubCTI21
		default:
			return activities.RouteResult{}, temporal.NewNonRetryableApplicationError("comune not in the reference data", activities.ErrTypeNoHub, nil)
		}
	}
	territory, ok := territories[hub]
	if !ok {
		return activities.RouteResult{}, temporal.NewNonRetryableApplicationError("hub not in the reference data", activities.ErrTypeNoHub, nil)
	}
	return activities.RouteResult{Hub: hub, HubName: "hub " + hub.Code, Territory: territory, Ambito: ambitoOf[in.Comune], Calendars: h.calendars}, nil
}

// outcome records what became of one Update, of any workflow: result is set when the
// Update answers an enrolment case's ActionResult, value holds the answer as it came.
type outcome struct {
	rejected error
	result   workflows.ActionResult
	value    any
	err      error
	done     bool
}

func (o *outcome) Accept()          {}
func (o *outcome) Reject(err error) { o.rejected = err; o.done = true }
func (o *outcome) Complete(v any, err error) {
	o.done = true
	o.err = err
	o.value = v
	if r, ok := v.(workflows.ActionResult); ok {
		o.result = r
	}
}

// at sends an Update at a time after the start and returns where its outcome will be.
func (h *harness) at(after time.Duration, name string, arg any) *outcome {
	o := &outcome{}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, "", o, arg)
	}, after)
	return o
}

// check runs f at a time after the start, to look at the case in the middle of its life.
func (h *harness) check(after time.Duration, f func()) {
	h.env.RegisterDelayedCallback(f, after)
}

func (h *harness) run() {
	h.env.ExecuteWorkflow(workflows.EnrolmentWorkflowName, h.input)
}

func (h *harness) state() workflows.State {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(workflows.QueryState)
	require.NoError(h.t, err)
	var s workflows.State
	require.NoError(h.t, v.Get(&s))
	return s
}

func (h *harness) result() workflows.EnrolmentResult {
	h.t.Helper()
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var r workflows.EnrolmentResult
	require.NoError(h.t, h.env.GetWorkflowResult(&r))
	return r
}

// lastSaved is the newest progress report, the one the store keeps: reports from an
// Update and from the main loop can be in flight together and finish in either order,
// which the store's sequence guard resolves, so "newest" is by Seq, not by arrival.
func (h *harness) lastSaved() store.Progress {
	h.mu.Lock()
	defer h.mu.Unlock()
	require.NotEmpty(h.t, h.saved)
	newest := h.saved[0]
	for _, p := range h.saved[1:] {
		if p.Seq > newest.Seq {
			newest = p
		}
	}
	return newest
}

// noticesTo lists the kinds of notice queued for an organisation, in order.
func (h *harness) noticesTo(to casework.Org) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var kinds []string
	for _, n := range h.notices {
		if n.Recipient == to {
			kinds = append(kinds, n.Kind)
		}
	}
	return kinds
}

func kinds(events []casework.Event) []casework.EventKind {
	out := make([]casework.EventKind, len(events))
	for i, e := range events {
		out[i] = e.Kind
	}
	return out
}

func school(code string) casework.Org { return casework.Org{Kind: casework.OrgSchool, Code: code} }

// requireApplied checks that an Update was accepted and completed without error.
func requireApplied(t *testing.T, o *outcome) {
	t.Helper()
	require.True(t, o.done, "the update never completed")
	require.NoError(t, o.rejected)
	require.NoError(t, o.err)
}

// requireRejected checks that a validator turned an Update away with errType and, for
// invalid input, names field.
func requireRejected(t *testing.T, o *outcome, errType, field string) {
	t.Helper()
	require.True(t, o.done, "the update never completed")
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(o.rejected, &appErr), "want a validator rejection, got rejected=%v err=%v", o.rejected, o.err)
	require.Equal(t, errType, appErr.Type(), appErr.Error())
	if field != "" {
		var fp workflows.FieldProblem
		require.NoError(t, appErr.Details(&fp))
		require.Equal(t, field, fp.Field)
		require.NotEmpty(t, fp.Reason)
	}
}

// rome returns a time in Rome, for deadlines.
func rome(year int, month time.Month, day, hour int) time.Time {
	return time.Date(year, month, day, hour, 0, 0, 0, calendar.Rome)
}

func containsInOrder[T comparable](t *testing.T, got []T, want ...T) {
	t.Helper()
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	require.Equal(t, len(want), i, "want %v in this order within %v", want, got)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
