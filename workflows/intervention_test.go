package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
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
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// The intervention's activities are in-memory fakes here, as the enrolment case's are in
// harness_test.go; the store tests cover the real ones.
var (
	ivActs  *activities.Interventions
	ivCases *activities.Cases
)

// ivStart is when the referrals of these tests arrive: Monday 23 November 2026, 10:00 in
// Rome. Five working days later is the end of Monday 30 November.
var ivStart = time.Date(2026, time.November, 23, 10, 0, 0, 0, calendar.Rome)

const (
	ivCaseID = "6a1e5f0c-3b2d-5e4f-8a9b-0c1d2e3f4a5b"
	ivSchool = "MIIC90001A"
)

var (
	ivOrientation = casework.Orientation
	ivSchoolOrg   = casework.Org{Kind: casework.OrgSchool, Code: ivSchool}
)

// ivAt is a time in Rome; ivAfter, how long after the start it is.
func ivAt(year int, month time.Month, day, hour int) time.Time {
	return time.Date(year, month, day, hour, 0, 0, 0, calendar.Rome)
}

func ivAfter(t time.Time) time.Duration { return t.Sub(ivStart) }

// ivHarness runs one intervention in the test environment and keeps what its activities
// did.
type ivHarness struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	input  workflows.InterventionInput
	policy casework.InterventionPolicy

	mu          sync.Mutex
	policyCalls int
	saved       []store.InterventionProgress
	notices     []activities.NotifyInput
	attributes  []temporal.SearchAttributes
}

func newIVHarness(t *testing.T) *ivHarness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(ivLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(ivStart)
	env.RegisterWorkflowWithOptions(workflows.InterventionWorkflow, workflow.RegisterOptions{Name: workflows.InterventionWorkflowName})
	env.RegisterActivity(&activities.Interventions{})
	env.RegisterActivity(&activities.Cases{})
	h := &ivHarness{
		t: t, env: env,
		policy: casework.InterventionPolicy{
			TakeChargeDays: 5, InterviewDays: 10, ReviewDays: 5, ReminderDays: 1,
			LocalHolidays: []casework.MonthDay{{Month: time.December, Day: 7}},
		},
		input: workflows.InterventionInput{
			CaseID: ivCaseID, Referral: "check-1", School: ivSchool, Comune: enrolment.MilanoISTAT,
			Reason: casework.ReferralNotAttending, Note: "assente da tre settimane",
		},
	}
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.InterventionWorkflowID(ivCaseID, "check-1")})
	env.OnActivity(ivActs.InterventionPolicy, mock.Anything).Return(
		func(context.Context) (casework.InterventionPolicy, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.policyCalls++
			return h.policy, nil
		}).Maybe()
	env.OnActivity(ivActs.SaveIntervention, mock.Anything, mock.Anything).Return(
		func(_ context.Context, p store.InterventionProgress) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.saved = append(h.saved, p)
			return nil
		}).Maybe()
	env.OnActivity(ivCases.Notify, mock.Anything, mock.Anything).Return(
		func(_ context.Context, n activities.NotifyInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.notices = append(h.notices, n)
			return nil
		}).Maybe()
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.attributes = append(h.attributes, args.Get(0).(temporal.SearchAttributes))
	}).Return(nil).Maybe()
	return h
}

func (h *ivHarness) run() { h.env.ExecuteWorkflow(workflows.InterventionWorkflowName, h.input) }

// at sends an Update at a time and returns where its outcome will be.
func (h *ivHarness) at(when time.Time, name string, arg any) *outcome {
	o := &outcome{}
	h.env.RegisterDelayedCallback(func() { h.env.UpdateWorkflow(name, "", o, arg) }, ivAfter(when))
	return o
}

// check runs f at a time, to look at the intervention in the middle of its life.
func (h *ivHarness) check(when time.Time, f func()) {
	h.env.RegisterDelayedCallback(f, ivAfter(when))
}

func (h *ivHarness) state() workflows.InterventionState {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(workflows.QueryState)
	require.NoError(h.t, err)
	var s workflows.InterventionState
	require.NoError(h.t, v.Get(&s))
	return s
}

func (h *ivHarness) result() workflows.InterventionResult {
	h.t.Helper()
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var r workflows.InterventionResult
	require.NoError(h.t, h.env.GetWorkflowResult(&r))
	return r
}

// lastSaved is the newest report by Seq, the one the store keeps.
func (h *ivHarness) lastSaved() store.InterventionProgress {
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

func (h *ivHarness) savedCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.saved)
}

// noticesTo lists the kinds of notice queued for an organisation, in order.
func (h *ivHarness) noticesTo(to casework.Org) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, n := range h.notices {
		if n.Recipient == to {
			out = append(out, n.Kind)
		}
	}
	return out
}

func (h *ivHarness) noticeKeys() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, n := range h.notices {
		out = append(out, n.Key)
	}
	return out
}

// lastAttributes is what the newest upsert set.
func (h *ivHarness) lastAttributes() temporal.SearchAttributes {
	h.mu.Lock()
	defer h.mu.Unlock()
	require.NotEmpty(h.t, h.attributes)
	return h.attributes[len(h.attributes)-1]
}

func ivKinds(events []casework.Event) []casework.EventKind {
	out := make([]casework.EventKind, len(events))
	for i, e := range events {
		out[i] = e.Kind
	}
	return out
}

type ivLog struct{ t *testing.T }

func (w ivLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func ivTakeCharge() workflows.InterventionTakeChargeInput {
	return workflows.InterventionTakeChargeInput{Actor: ivOrientation, Operator: "Giulia Bianchi", Note: "contattata la famiglia"}
}

func ivPlan(dates ...string) workflows.InterventionPlanInput {
	return workflows.InterventionPlanInput{Actor: ivOrientation, Actions: []string{"tutor tra pari due volte a settimana", "colloquio mensile con la famiglia"}, ReviewDates: dates}
}

func TestInterventionFromReferralToResolved(t *testing.T) {
	t.Parallel()
	h := newIVHarness(t)
	taken := h.at(ivAt(2026, 11, 23, 11), workflows.UpdateInterventionTakeCharge, ivTakeCharge())
	interviewed := h.at(ivAt(2026, 11, 25, 10), workflows.UpdateInterventionInterview,
		workflows.InterventionInterviewInput{Actor: ivOrientation, Date: "2026-11-25", WithFamily: true, Note: "la madre lavora di notte"})
	planned := h.at(ivAt(2026, 11, 26, 10), workflows.UpdateInterventionPlan, ivPlan("2026-12-14", "2027-01-11"))
	h.check(ivAt(2026, 11, 26, 11), func() {
		s := h.state()
		require.Equal(t, casework.InterventionFollowingUp, s.Stage)
		require.Nil(t, s.Task, "no task until the first review")
		_, hasDeadline := h.lastAttributes().GetTime(searchattr.Deadline)
		require.False(t, hasDeadline)
	})
	h.check(ivAt(2026, 12, 14, 10), func() {
		s := h.state()
		require.NotNil(t, s.Task)
		require.Equal(t, casework.TaskRecordReview, s.Task.Kind)
		require.Equal(t, ivOrientation, s.Task.Owner)
		require.True(t, ivAt(2026, 12, 22, 0).Equal(s.Task.DueAt), "five working days from Monday 14 December: %v", s.Task.DueAt)
		require.True(t, s.Reviews[0].Opened)
		require.False(t, s.Reviews[1].Opened)
		due, ok := h.lastAttributes().GetTime(searchattr.Deadline)
		require.True(t, ok)
		require.True(t, s.Task.DueAt.Equal(due))
	})
	first := h.at(ivAt(2026, 12, 15, 10), workflows.UpdateInterventionReview,
		workflows.InterventionReviewInput{Actor: ivOrientation, Date: "2026-12-15", Attending: true, Note: "frequenta con regolarità"})
	second := h.at(ivAt(2027, 1, 12, 10), workflows.UpdateInterventionReview,
		workflows.InterventionReviewInput{Actor: ivOrientation, Date: "2027-01-12", Attending: true})
	closed := h.at(ivAt(2027, 1, 13, 10), workflows.UpdateInterventionClose,
		workflows.InterventionCloseInput{Actor: ivOrientation, Outcome: "resolved", Note: "obiettivi raggiunti"})
	h.run()

	for _, o := range []*outcome{taken, interviewed, planned, first, second, closed} {
		requireApplied(t, o)
	}
	require.Equal(t, casework.InterventionTakenInCharge, taken.value.(workflows.InterventionActionResult).Stage)
	require.Equal(t, casework.InterventionResolved, closed.value.(workflows.InterventionActionResult).Stage)
	require.Equal(t, casework.InterventionResolved, h.result().Stage)

	s := h.state()
	require.Equal(t, []casework.EventKind{
		casework.EventInterventionOpened, casework.EventTakenInCharge, casework.EventInterviewed, casework.EventPlanAgreed,
		casework.EventReviewDue, casework.EventReviewRecorded, casework.EventReviewDue, casework.EventReviewRecorded,
		casework.EventInterventionClosed,
	}, ivKinds(s.Timeline))
	require.Equal(t, "Giulia Bianchi", s.Operator)
	require.Equal(t, &casework.InterventionInterview{Date: "2026-11-25", WithFamily: true}, s.Interview)
	require.Equal(t, []string{"2026-12-14", "2027-01-11"}, s.Plan.ReviewDates)
	require.True(t, s.Reviews[0].Recorded && s.Reviews[0].Attending)
	require.Equal(t, "2027-01-12", s.Reviews[1].HeldOn)
	require.Equal(t, "resolved", s.Outcome)
	require.False(t, s.Escalated)
	require.Nil(t, s.Task)

	last := h.lastSaved()
	require.Equal(t, workflows.InterventionWorkflowID(ivCaseID, "check-1"), last.ID)
	require.Equal(t, int64(9), last.Seq)
	require.Equal(t, casework.InterventionResolved, last.Stage)
	require.Equal(t, ivCaseID, last.CaseID)
	require.Len(t, last.Events, 9)

	require.Equal(t, []string{workflows.NoticeInterventionOpened}, h.noticesTo(ivOrientation), "nobody was late: no reminder")
	require.Equal(t, []string{workflows.NoticeInterventionClosed}, h.noticesTo(ivSchoolOrg))
	require.Empty(t, h.noticesTo(casework.UST))
	require.Equal(t, []string{
		ivCaseID + "/intervention/check-1/1/intervention_opened/orientation",
		ivCaseID + "/intervention/check-1/9/intervention_closed/school:" + ivSchool,
	}, h.noticeKeys())

	sa := h.lastAttributes()
	stage, _ := sa.GetKeyword(searchattr.Stage)
	require.Equal(t, "resolved", stage)
	school, _ := sa.GetKeyword(searchattr.SchoolCode)
	require.Equal(t, ivSchool, school)
	comune, _ := sa.GetKeyword(searchattr.ComuneIstat)
	require.Equal(t, enrolment.MilanoISTAT, comune)
	h.env.AssertActivityNotCalled(t, "SaveProgress", mock.Anything, mock.Anything)
}

func TestInterventionRemindsThenEscalatesUntilTakenInCharge(t *testing.T) {
	t.Parallel()
	h := newIVHarness(t)
	h.check(ivAt(2026, 11, 23, 12), func() {
		s := h.state()
		require.Equal(t, casework.InterventionAwaitingTakeCharge, s.Stage)
		require.True(t, ivAt(2026, 12, 1, 0).Equal(s.Task.DueAt), "due at the end of Monday 30 November: %v", s.Task.DueAt)
		require.True(t, ivAt(2026, 11, 30, 0).Equal(s.Task.ReminderAt))
	})
	h.check(ivAt(2026, 11, 30, 12), func() {
		s := h.state()
		require.True(t, s.Task.Reminded)
		require.False(t, s.Escalated)
		require.Equal(t, []string{workflows.NoticeInterventionOpened, workflows.NoticeInterventionReminder}, h.noticesTo(ivOrientation))
	})
	h.check(ivAt(2026, 12, 1, 12), func() {
		s := h.state()
		require.False(t, h.env.IsWorkflowCompleted(), "an escalation never ends the intervention")
		require.Equal(t, casework.InterventionAwaitingTakeCharge, s.Stage)
		require.True(t, s.Escalated)
		require.Equal(t, casework.EscalationDeadline, s.EscalationReason)
		require.True(t, s.Task.Escalated)
		require.Equal(t, casework.TaskTakeCharge, s.Task.Kind)
		require.Equal(t, []string{workflows.NoticeInterventionEscalation}, h.noticesTo(casework.UST))
		require.Contains(t, h.noticeKeys(), ivCaseID+"/intervention/check-1/3/intervention_escalation/ust")
		escalated, _ := h.lastAttributes().GetBool(searchattr.Escalated)
		require.True(t, escalated)
		require.True(t, h.lastSaved().Escalated)
	})
	taken := h.at(ivAt(2026, 12, 2, 10), workflows.UpdateInterventionTakeCharge, ivTakeCharge())
	h.check(ivAt(2026, 12, 2, 11), func() {
		s := h.state()
		require.Equal(t, casework.InterventionTakenInCharge, s.Stage)
		require.False(t, s.Escalated, "taking charge ends the escalation")
		require.Equal(t, casework.TaskRecordInterview, s.Task.Kind)
		escalated, _ := h.lastAttributes().GetBool(searchattr.Escalated)
		require.False(t, escalated)
		require.False(t, h.lastSaved().Escalated)
	})
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, ivAfter(ivAt(2026, 12, 2, 12)))
	h.run()

	requireApplied(t, taken)
	require.Equal(t, []casework.EventKind{
		casework.EventInterventionOpened, casework.EventReminderSent, casework.EventEscalated, casework.EventTakenInCharge,
	}, ivKinds(h.state().Timeline))
}

func TestInterventionReviewsAtTheirDatesAndAMissedOneEscalates(t *testing.T) {
	t.Parallel()
	h := newIVHarness(t)
	h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Never()
	h.at(ivAt(2026, 11, 23, 11), workflows.UpdateInterventionTakeCharge, ivTakeCharge())
	h.at(ivAt(2026, 11, 24, 10), workflows.UpdateInterventionInterview, workflows.InterventionInterviewInput{Actor: ivOrientation, Date: "2026-11-24"})
	h.at(ivAt(2026, 11, 25, 10), workflows.UpdateInterventionPlan, ivPlan("2026-12-14", "2027-01-11"))
	h.check(ivAt(2026, 12, 14, 8), func() {
		s := h.state()
		require.Nil(t, s.Task, "the review opens on its day, in the morning")
		require.False(t, s.Reviews[0].Opened)
	})
	h.check(ivAt(2026, 12, 14, 10), func() {
		s := h.state()
		require.Equal(t, casework.TaskRecordReview, s.Task.Kind)
		require.True(t, ivAt(2026, 12, 21, 0).Equal(s.Task.ReminderAt))
	})
	first := h.at(ivAt(2026, 12, 16, 10), workflows.UpdateInterventionReview,
		workflows.InterventionReviewInput{Actor: ivOrientation, Date: "2026-12-16", Attending: false, Note: "assente il lunedì"})
	h.check(ivAt(2027, 1, 11, 10), func() {
		s := h.state()
		require.True(t, s.Reviews[1].Opened)
		require.True(t, ivAt(2027, 1, 19, 0).Equal(s.Task.DueAt), "five working days from Monday 11 January: %v", s.Task.DueAt)
	})
	h.check(ivAt(2027, 1, 19, 12), func() {
		s := h.state()
		require.Equal(t, casework.InterventionFollowingUp, s.Stage)
		require.True(t, s.Escalated)
		require.True(t, s.Reviews[1].Missed)
		require.False(t, s.Reviews[1].Recorded)
		require.False(t, s.Reviews[0].Missed)
		require.Equal(t, []string{workflows.NoticeInterventionEscalation}, h.noticesTo(casework.UST))
	})
	// UST may close an intervention; a dropout tells the enrolment case nothing.
	closed := h.at(ivAt(2027, 1, 20, 10), workflows.UpdateInterventionClose,
		workflows.InterventionCloseInput{Actor: casework.UST, Outcome: "dropout", Note: "la famiglia si è trasferita all'estero"})
	h.run()

	requireApplied(t, first)
	requireApplied(t, closed)
	require.Equal(t, casework.InterventionDropout, h.result().Stage)
	s := h.state()
	require.Equal(t, "dropout", s.Outcome)
	require.False(t, s.Escalated, "a closed intervention is escalated no more")
	require.Equal(t, "2026-12-16", s.Reviews[0].HeldOn)
	require.False(t, s.Reviews[0].Attending)
	require.Equal(t, []string{workflows.NoticeInterventionOpened, workflows.NoticeInterventionReminder}, h.noticesTo(ivOrientation),
		"the reminder of the second review; the first was recorded before its reminder")
	require.Equal(t, []string{workflows.NoticeInterventionClosed}, h.noticesTo(ivSchoolOrg))
	require.Equal(t, casework.InterventionDropout, h.lastSaved().Stage)
	h.env.AssertExpectations(t)
}

func TestInterventionClosedWithASchoolChangeTellsTheEnrolmentCase(t *testing.T) {
	t.Parallel()
	for name, signalErr := range map[string]error{
		"delivered": nil,
		// The enrolment case may be over: the intervention closes all the same.
		"enrolment case closed": errors.New("workflow execution already completed"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIVHarness(t)
			id := workflows.InterventionWorkflowID(ivCaseID, "check-1")
			h.env.OnSignalExternalWorkflow(mock.Anything, enrolment.WorkflowID(ivCaseID), "", workflows.SignalSchoolChange,
				workflows.SchoolChange{InterventionID: id, Note: "più vicina a casa"}).Return(signalErr).Once()
			h.at(ivAt(2026, 11, 23, 11), workflows.UpdateInterventionTakeCharge, ivTakeCharge())
			closed := h.at(ivAt(2026, 11, 24, 10), workflows.UpdateInterventionClose,
				workflows.InterventionCloseInput{Actor: ivOrientation, Outcome: "school_change", Note: "più vicina a casa"})
			h.run()

			requireApplied(t, closed)
			require.Equal(t, casework.InterventionSchoolChange, h.result().Stage)
			require.Equal(t, casework.InterventionSchoolChange, h.lastSaved().Stage)
			require.Equal(t, []string{workflows.NoticeInterventionClosed}, h.noticesTo(ivSchoolOrg))
			h.env.AssertExpectations(t)
		})
	}
}

func TestInterventionValidatorsRejectWithoutAChange(t *testing.T) {
	t.Parallel()
	h := newIVHarness(t)
	minute := func(m int) time.Time { return ivStart.Add(time.Duration(m) * time.Minute) }
	type attempt struct {
		o       *outcome
		errType string
		field   string
	}
	var attempts []attempt
	reject := func(m int, name string, arg any, errType, field string) {
		attempts = append(attempts, attempt{h.at(minute(m), name, arg), errType, field})
	}
	// Awaiting take-charge.
	reject(1, workflows.UpdateInterventionTakeCharge, workflows.InterventionTakeChargeInput{Actor: ivSchoolOrg, Operator: "Mario Rossi"}, workflows.ErrTypeNotAllowed, "")
	reject(2, workflows.UpdateInterventionTakeCharge, workflows.InterventionTakeChargeInput{Actor: casework.UST, Operator: "Mario Rossi"}, workflows.ErrTypeNotAllowed, "")
	reject(3, workflows.UpdateInterventionTakeCharge, workflows.InterventionTakeChargeInput{Actor: ivOrientation, Operator: "  "}, workflows.ErrTypeInvalid, "operator")
	reject(4, workflows.UpdateInterventionInterview, workflows.InterventionInterviewInput{Actor: ivOrientation, Date: "2026-11-23"}, workflows.ErrTypeWrongStage, "")
	reject(5, workflows.UpdateInterventionClose, workflows.InterventionCloseInput{Actor: ivOrientation, Outcome: "resolved"}, workflows.ErrTypeWrongStage, "")
	var before workflows.InterventionState
	var savedBefore int
	h.check(minute(6), func() {
		before, savedBefore = h.state(), h.savedCount()
		require.Equal(t, int64(1), before.Seq)
	})
	h.at(minute(10), workflows.UpdateInterventionTakeCharge, ivTakeCharge())
	// Taken in charge.
	reject(11, workflows.UpdateInterventionInterview, workflows.InterventionInterviewInput{Actor: ivOrientation, Date: "2026-11-24"}, workflows.ErrTypeInvalid, "date")
	reject(12, workflows.UpdateInterventionInterview, workflows.InterventionInterviewInput{Actor: ivOrientation, Date: "23/11/2026"}, workflows.ErrTypeInvalid, "date")
	reject(13, workflows.UpdateInterventionInterview, workflows.InterventionInterviewInput{Actor: ivOrientation, Date: "2026-11-20"}, workflows.ErrTypeInvalid, "date")
	reject(14, workflows.UpdateInterventionInterview, workflows.InterventionInterviewInput{Actor: ivSchoolOrg, Date: "2026-11-23"}, workflows.ErrTypeNotAllowed, "")
	reject(15, workflows.UpdateInterventionPlan, ivPlan("2026-12-14"), workflows.ErrTypeWrongStage, "")
	reject(16, workflows.UpdateInterventionTakeCharge, ivTakeCharge(), workflows.ErrTypeWrongStage, "")
	h.at(minute(20), workflows.UpdateInterventionInterview, workflows.InterventionInterviewInput{Actor: ivOrientation, Date: "2026-11-23"})
	// Interviewed.
	reject(21, workflows.UpdateInterventionPlan, workflows.InterventionPlanInput{Actor: ivOrientation, ReviewDates: []string{"2026-12-14"}}, workflows.ErrTypeInvalid, "actions")
	reject(22, workflows.UpdateInterventionPlan, workflows.InterventionPlanInput{Actor: ivOrientation, Actions: []string{" "}, ReviewDates: []string{"2026-12-14"}}, workflows.ErrTypeInvalid, "actions")
	reject(23, workflows.UpdateInterventionPlan, ivPlan(), workflows.ErrTypeInvalid, "reviewDates")
	reject(24, workflows.UpdateInterventionPlan, ivPlan("2026-11-20"), workflows.ErrTypeInvalid, "reviewDates")
	reject(25, workflows.UpdateInterventionPlan, ivPlan("2026-11-23"), workflows.ErrTypeInvalid, "reviewDates")
	reject(26, workflows.UpdateInterventionPlan, ivPlan("2027-01-11", "2026-12-14"), workflows.ErrTypeInvalid, "reviewDates")
	reject(27, workflows.UpdateInterventionPlan, ivPlan("2026-12-14", "2027-12-01"), workflows.ErrTypeInvalid, "reviewDates")
	reject(28, workflows.UpdateInterventionPlan, ivPlan("2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-09", "2026-12-10", "2026-12-11"), workflows.ErrTypeInvalid, "reviewDates")
	reject(29, workflows.UpdateInterventionPlan, ivPlan("2026-12-1"), workflows.ErrTypeInvalid, "reviewDates")
	notByTheSchool := ivPlan("2026-12-14")
	notByTheSchool.Actor = ivSchoolOrg
	reject(30, workflows.UpdateInterventionPlan, notByTheSchool, workflows.ErrTypeNotAllowed, "")
	reject(31, workflows.UpdateInterventionReview, workflows.InterventionReviewInput{Actor: ivOrientation, Date: "2026-11-23"}, workflows.ErrTypeWrongStage, "")
	reject(32, workflows.UpdateInterventionClose, workflows.InterventionCloseInput{Actor: ivOrientation, Outcome: "transferred"}, workflows.ErrTypeInvalid, "outcome")
	reject(33, workflows.UpdateInterventionClose, workflows.InterventionCloseInput{Actor: ivSchoolOrg, Outcome: "resolved"}, workflows.ErrTypeNotAllowed, "")
	reject(34, workflows.UpdateInterventionClose, workflows.InterventionCloseInput{Actor: ivOrientation, Outcome: "resolved", Note: strings.Repeat("x", 2001)}, workflows.ErrTypeInvalid, "note")
	var after workflows.InterventionState
	var savedAfter int
	h.check(minute(40), func() { after, savedAfter = h.state(), h.savedCount() })
	closed := h.at(minute(50), workflows.UpdateInterventionClose, workflows.InterventionCloseInput{Actor: ivOrientation, Outcome: "resolved"})
	h.run()

	for i, a := range attempts {
		t.Run(strconv.Itoa(i+1), func(t *testing.T) { requireRejected(t, a.o, a.errType, a.field) })
	}
	// Nothing of a rejected Update reached the state, the timeline or the store.
	require.Equal(t, 1, savedBefore)
	require.Equal(t, int64(3), after.Seq, "opened, taken in charge, interviewed")
	require.Equal(t, []casework.EventKind{casework.EventInterventionOpened, casework.EventTakenInCharge, casework.EventInterviewed}, ivKinds(after.Timeline))
	require.Equal(t, casework.InterventionInterviewed, after.Stage)
	require.Equal(t, casework.TaskAgreePlan, after.Task.Kind)
	require.True(t, after.Task.DueAt.IsZero(), "the plan has no deadline")
	require.Nil(t, after.Plan)
	require.Equal(t, 3, savedAfter)
	requireApplied(t, closed)
	require.Equal(t, casework.InterventionResolved, h.result().Stage)
}

func TestContinuedInterventionKeepsItsState(t *testing.T) {
	t.Parallel()
	h := newIVHarness(t)
	// A run started by continue-as-new carries the state: the policy is not asked again,
	// the open review is still open and the event numbers carry on.
	policy := h.policy
	h.input.State = workflows.InterventionState{
		Stage: casework.InterventionFollowingUp, Policy: &policy, OpenedAt: ivStart.AddDate(0, -2, 0), Operator: "Giulia Bianchi",
		Plan:    &casework.InterventionPlan{Actions: []string{"tutor"}, ReviewDates: []string{"2026-11-20"}, AgreedAt: ivStart.AddDate(0, -1, 0)},
		Reviews: []casework.InterventionReview{{Date: "2026-11-20", Due: ivAt(2026, 11, 20, 9), Opened: true}},
		Desk:    workflows.Desk{Task: &casework.Task{Kind: casework.TaskRecordReview, Owner: ivOrientation, Since: ivAt(2026, 11, 20, 9), DueAt: ivAt(2026, 11, 28, 0)}},
		Seq:     6,
	}
	recorded := h.at(ivAt(2026, 11, 23, 11), workflows.UpdateInterventionReview,
		workflows.InterventionReviewInput{Actor: ivOrientation, Date: "2026-11-20", Attending: true})
	closed := h.at(ivAt(2026, 11, 23, 12), workflows.UpdateInterventionClose,
		workflows.InterventionCloseInput{Actor: ivOrientation, Outcome: "resolved"})
	h.run()

	requireApplied(t, recorded)
	require.Equal(t, int64(7), recorded.value.(workflows.InterventionActionResult).Seq)
	requireApplied(t, closed)
	require.Equal(t, casework.InterventionResolved, h.result().Stage)
	require.Zero(t, h.policyCalls)
	require.Empty(t, h.noticesTo(ivOrientation), "the intervention was opened by an earlier run")
}
