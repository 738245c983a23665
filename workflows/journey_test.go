package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// since returns how long after the start of the tests' cases t is, for the delayed
// callbacks of the test environment.
func since(t time.Time) time.Duration { return t.Sub(monday) }

func propose(hub casework.Org, school string) workflows.ProposeInput {
	return workflows.ProposeInput{Actor: hub, School: school}
}

func accept(code, startDate string) workflows.DecideInput {
	return workflows.DecideInput{Actor: school(code), Accept: true, Section: "B", StartDate: startDate}
}

func reject(code, reason string) workflows.DecideInput {
	return workflows.DecideInput{Actor: school(code), Reason: reason}
}

func attending(code string, yes bool) workflows.AttendanceInput {
	return workflows.AttendanceInput{Actor: school(code), Attending: yes}
}

func TestHappyPathFromRequestToCompletedFollowUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	proposed := h.at(time.Hour, workflows.UpdatePropose, workflows.ProposeInput{Actor: hubPolo1, School: schoolA, Year: 3})
	h.check(90*time.Minute, func() {
		s := h.state()
		require.Equal(t, casework.StageAwaitingDecision, s.Stage)
		require.Equal(t, casework.TaskDecideProposal, s.Task.Kind)
		require.Equal(t, school(schoolA), s.Task.Owner)
		sameTime(t, rome(2026, time.December, 1, 0), s.Task.DueAt, "five working days: the end of Monday 30 November")
		sameTime(t, rome(2026, time.November, 30, 0), s.Task.ReminderAt)
		require.Equal(t, schoolA, h.lastSaved().School)
	})
	accepted := h.at(2*time.Hour, workflows.UpdateDecide, accept(schoolA, "2026-11-30"))
	// The checks fall 30 and 90 days after the start date, at nine.
	h.check(since(rome(2026, time.December, 30, 9))+time.Minute, func() {
		s := h.state()
		require.Equal(t, casework.TaskConfirmAttendance, s.Task.Kind)
		require.Equal(t, school(schoolA), s.Task.Owner)
	})
	first := h.at(since(rome(2026, time.December, 30, 10)), workflows.UpdateConfirmAttendance, attending(schoolA, true))
	second := h.at(since(rome(2027, time.March, 1, 10)), workflows.UpdateConfirmAttendance, attending(schoolA, true))
	h.run()

	requireApplied(t, proposed)
	requireApplied(t, accepted)
	require.Equal(t, casework.StageEnrolled, accepted.result.Stage)
	requireApplied(t, first)
	requireApplied(t, second)
	require.Equal(t, casework.StageCompleted, h.result().Stage)

	s := h.state()
	require.Equal(t, []casework.EventKind{
		casework.EventFiled, casework.EventRouted, casework.EventProposed, casework.EventAccepted,
		casework.EventFollowUpDue, casework.EventAttendanceConfirmed,
		casework.EventFollowUpDue, casework.EventAttendanceConfirmed, casework.EventCompleted,
	}, kinds(s.Timeline))
	for i, e := range s.Timeline {
		require.Equal(t, int64(i+1), e.Seq, "events are numbered from 1 without gaps")
	}
	require.Equal(t, &casework.Placement{School: schoolA, Level: "primaria", Year: 3, Section: "B", StartDate: "2026-11-30"}, s.Placement)
	require.False(t, s.DropoutRisk)

	saved := h.lastSaved()
	require.Equal(t, casework.StageCompleted, saved.Stage)
	require.Equal(t, hubPolo1.String(), saved.Hub)
	require.Equal(t, s.Seq, saved.Seq)
	require.Len(t, saved.Events, len(s.Timeline))

	require.Equal(t, []string{"case_assigned", "placement_confirmed"}, h.noticesTo(hubPolo1))
	require.Equal(t, []string{"proposal", "placement_confirmed", "attendance_check", "attendance_check"}, h.noticesTo(school(schoolA)))
	require.Equal(t, []string{"placement_confirmed"}, h.noticesTo(milano))
	require.Equal(t, []string{"placement_confirmed"}, h.noticesTo(casework.Family))
	require.Empty(t, h.noticesTo(casework.UST), "nothing was late")
}

func TestRejectionReturnsTheCaseToTheHub(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	rejected := h.at(2*time.Hour, workflows.UpdateDecide, reject(schoolA, "no_seats"))
	h.check(150*time.Minute, func() {
		s := h.state()
		require.Equal(t, casework.StageAwaitingProposal, s.Stage)
		require.Equal(t, hubPolo1, s.Task.Owner)
		sameTime(t, rome(2026, time.December, 1, 0), s.Task.DueAt, "the hub gets a new deadline from the rejection")
	})
	again := h.at(3*time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	other := h.at(3*time.Hour+time.Minute, workflows.UpdatePropose, propose(hubPolo1, schoolB))
	accepted := h.at(4*time.Hour, workflows.UpdateDecide, accept(schoolB, "2026-11-30"))
	h.finish(5 * time.Hour)
	h.run()

	requireApplied(t, rejected)
	requireRejected(t, again, workflows.ErrTypeInvalid, "school")
	requireApplied(t, other)
	requireApplied(t, accepted)
	s := h.state()
	require.Equal(t, casework.StageEnrolled, s.Stage)
	require.Equal(t, 4, s.Placement.Year, "the class suggested from the age, as nobody changed it")
	require.Equal(t, 2, s.ProposalCount)
	require.Equal(t, []casework.EventKind{
		casework.EventFiled, casework.EventRouted, casework.EventProposed, casework.EventRejected, casework.EventProposed, casework.EventAccepted,
	}, kinds(s.Timeline))
	require.Equal(t, "no_seats", s.Timeline[3].Reason)
	require.Equal(t, []string{"case_assigned", "proposal_rejected", "placement_confirmed"}, h.noticesTo(hubPolo1))
	require.Equal(t, 2, h.lastSaved().ProposalCount)
}

func TestMissedDeadlineRemindsThenEscalatesWithoutEndingTheCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	reminderAt := rome(2026, time.November, 30, 0)
	dueAt := rome(2026, time.December, 1, 0)
	h.check(since(reminderAt)-time.Minute, func() {
		require.Empty(t, h.noticesTo(hubPolo1)[1:], "no reminder before its time")
	})
	h.check(since(reminderAt)+time.Minute, func() {
		require.Equal(t, []string{"case_assigned", "reminder"}, h.noticesTo(hubPolo1))
		s := h.state()
		require.True(t, s.Task.Reminded)
		require.False(t, s.Escalated)
	})
	h.check(since(dueAt)+time.Minute, func() {
		s := h.state()
		require.Equal(t, casework.StageAwaitingProposal, s.Stage, "an escalation never ends the case")
		require.True(t, s.Escalated)
		require.Equal(t, casework.EscalationDeadline, s.EscalationReason)
		require.True(t, s.Task.Escalated)
		require.Equal(t, []string{"escalation"}, h.noticesTo(casework.UST))
		require.True(t, h.lastSaved().Escalated)
		require.False(t, h.env.IsWorkflowCompleted())
	})
	late := h.at(since(dueAt)+24*time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.finish(since(dueAt) + 25*time.Hour)
	h.run()

	requireApplied(t, late)
	s := h.state()
	require.False(t, s.Escalated, "acting on the case ends the escalation")
	require.Equal(t, []casework.EventKind{
		casework.EventFiled, casework.EventRouted, casework.EventReminderSent, casework.EventEscalated, casework.EventProposed,
	}, kinds(s.Timeline))
	require.Equal(t, []string{"escalation"}, h.noticesTo(casework.UST), "one escalation, not one per wake-up")
}

func TestProposalLimitEscalatesToUST(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.policy.MaxProposals = 2
	h.at(1*time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.at(2*time.Hour, workflows.UpdateDecide, reject(schoolA, "no_seats"))
	h.at(3*time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolB))
	h.at(4*time.Hour, workflows.UpdateDecide, workflows.DecideInput{Actor: school(schoolB), Reason: "other", Note: "classe al completo fino a gennaio"})
	h.check(5*time.Hour, func() {
		s := h.state()
		require.Equal(t, casework.StageAwaitingProposal, s.Stage)
		require.True(t, s.Escalated)
		require.Equal(t, casework.EscalationProposalLimit, s.EscalationReason)
		require.Equal(t, casework.UST, s.Task.Owner)
		require.True(t, s.Task.DueAt.IsZero(), "UST's task has no deadline")
	})
	byHub := h.at(6*time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	byUST := h.at(7*time.Hour, workflows.UpdatePropose, propose(casework.UST, schoolA))
	h.finish(8 * time.Hour)
	h.run()

	requireRejected(t, byHub, workflows.ErrTypeNotAllowed, "")
	requireApplied(t, byUST)
	s := h.state()
	require.Equal(t, casework.StageAwaitingDecision, s.Stage)
	require.Equal(t, 3, s.ProposalCount)
	require.False(t, s.Escalated)
	require.Contains(t, kinds(s.Timeline), casework.EventEscalated)
}

func TestValidatorsTurnAwayWrongActorsStagesAndValues(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	early := h.at(time.Hour, workflows.UpdateDecide, accept(schoolA, "2026-11-30"))
	wrongHub := h.at(time.Hour, workflows.UpdatePropose, propose(hubCTI21, schoolA))
	byComune := h.at(time.Hour, workflows.UpdatePropose, propose(milano, schoolA))
	wrongLevel := h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolSS))
	outside := h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, sesto))
	badYear := h.at(time.Hour, workflows.UpdatePropose, workflows.ProposeInput{Actor: hubPolo1, School: schoolA, Year: 7})
	badLevel := h.at(time.Hour, workflows.UpdatePropose, workflows.ProposeInput{Actor: hubPolo1, School: schoolA, Level: "università"})
	noAttendanceYet := h.at(time.Hour, workflows.UpdateConfirmAttendance, attending(schoolA, true))
	h.at(2*time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	otherSchool := h.at(3*time.Hour, workflows.UpdateDecide, accept(schoolB, "2026-11-30"))
	badDate := h.at(3*time.Hour, workflows.UpdateDecide, accept(schoolA, "30/11/2026"))
	farDate := h.at(3*time.Hour, workflows.UpdateDecide, accept(schoolA, "2028-09-01"))
	noSection := h.at(3*time.Hour, workflows.UpdateDecide, workflows.DecideInput{Actor: school(schoolA), Accept: true, StartDate: "2026-11-30"})
	badReason := h.at(3*time.Hour, workflows.UpdateDecide, reject(schoolA, "nope"))
	otherNoNote := h.at(3*time.Hour, workflows.UpdateDecide, reject(schoolA, "other"))
	reassignNow := h.at(3*time.Hour, workflows.UpdateReassign, workflows.ReassignInput{Actor: casework.UST, Hub: hubCTI21})
	h.finish(4 * time.Hour)
	h.run()

	requireRejected(t, early, workflows.ErrTypeWrongStage, "")
	requireRejected(t, wrongHub, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, byComune, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, wrongLevel, workflows.ErrTypeInvalid, "school")
	requireRejected(t, outside, workflows.ErrTypeInvalid, "school")
	requireRejected(t, badYear, workflows.ErrTypeInvalid, "classYear")
	requireRejected(t, badLevel, workflows.ErrTypeInvalid, "level")
	requireRejected(t, noAttendanceYet, workflows.ErrTypeWrongStage, "")
	requireRejected(t, otherSchool, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, badDate, workflows.ErrTypeInvalid, "startDate")
	requireRejected(t, farDate, workflows.ErrTypeInvalid, "startDate")
	requireRejected(t, noSection, workflows.ErrTypeInvalid, "section")
	requireRejected(t, badReason, workflows.ErrTypeInvalid, "reason")
	requireRejected(t, otherNoNote, workflows.ErrTypeInvalid, "note")
	requireRejected(t, reassignNow, workflows.ErrTypeWrongStage, "")
	s := h.state()
	require.Equal(t, int64(3), s.Seq, "a rejected action writes nothing: filed, routed, proposed")
	require.Equal(t, 1, s.ProposalCount)
}

func TestComuneWithdrawsTheRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	otherComune := h.at(2*time.Hour, workflows.UpdateWithdraw, workflows.WithdrawInput{Actor: casework.Org{Kind: casework.OrgComune, Code: "015209"}, Reason: "moved_abroad"})
	noReason := h.at(2*time.Hour, workflows.UpdateWithdraw, workflows.WithdrawInput{Actor: milano})
	withdrawn := h.at(3*time.Hour, workflows.UpdateWithdraw, workflows.WithdrawInput{Actor: milano, Reason: "moved_abroad"})
	h.run()

	requireRejected(t, otherComune, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, noReason, workflows.ErrTypeInvalid, "reason")
	requireApplied(t, withdrawn)
	require.Equal(t, casework.StageWithdrawn, h.result().Stage)
	s := h.state()
	require.Nil(t, s.Task)
	require.Equal(t, casework.EventWithdrawn, s.Timeline[len(s.Timeline)-1].Kind)
	require.Equal(t, []string{"proposal", "case_withdrawn"}, h.noticesTo(school(schoolA)), "the school that was asked is told")
	require.Equal(t, casework.StageWithdrawn, h.lastSaved().Stage)
}

func TestEnrolledCaseCannotBeWithdrawn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.at(2*time.Hour, workflows.UpdateDecide, accept(schoolA, "2026-11-30"))
	withdraw := h.at(3*time.Hour, workflows.UpdateWithdraw, workflows.WithdrawInput{Actor: milano, Reason: "moved_abroad"})
	h.finish(4 * time.Hour)
	h.run()
	requireRejected(t, withdraw, workflows.ErrTypeWrongStage, "")
}

func TestTransferRoutesAgainAndKeepsTheHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	noMunicipio := h.at(2*time.Hour, workflows.UpdateTransfer, workflows.TransferInput{Actor: milano, Comune: "015209", Municipio: 4})
	transferred := h.at(2*time.Hour+time.Minute, workflows.UpdateTransfer, workflows.TransferInput{Actor: milano, Comune: "015209"})
	oldHub := h.at(3*time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	newHub := h.at(3*time.Hour+time.Minute, workflows.UpdatePropose, propose(hubCTI21, sesto))
	h.finish(4 * time.Hour)
	h.run()

	requireRejected(t, noMunicipio, workflows.ErrTypeInvalid, "municipio")
	requireApplied(t, transferred)
	require.Equal(t, casework.StageAwaitingProposal, transferred.result.Stage)
	requireRejected(t, oldHub, workflows.ErrTypeNotAllowed, "")
	requireApplied(t, newHub)

	s := h.state()
	require.Equal(t, "015209", s.Comune)
	require.Equal(t, hubCTI21, s.Hub)
	require.Equal(t, []casework.EventKind{
		casework.EventFiled, casework.EventRouted, casework.EventProposed, casework.EventTransferred, casework.EventRouted, casework.EventProposed,
	}, kinds(s.Timeline))
	require.Equal(t, enrolmentMilano, s.Timeline[3].Reason, "the transfer event names the comune the family left")
	require.Equal(t, "015209", h.routes[len(h.routes)-1].Comune)
	require.Equal(t, []string{"proposal", "case_transferred"}, h.noticesTo(school(schoolA)))
	require.Equal(t, []string{"case_assigned", "proposal"}[:1], h.noticesTo(hubCTI21))
}

const enrolmentMilano = "015146"

func TestDirectEnrolmentStartsEnrolledAndIsFollowedUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.input.FiledBy = school(schoolA).String()
	h.input.Direct = &workflows.DirectEnrolment{School: schoolA, Year: 2, Section: "A", StartDate: "2026-11-23"}
	h.check(time.Hour, func() {
		s := h.state()
		require.Equal(t, casework.StageEnrolled, s.Stage)
		require.Nil(t, s.Task, "nobody has anything to do until the first check")
		require.Equal(t, hubPolo1, s.Hub, "counted under the hub of its territory")
		require.Equal(t, []casework.EventKind{casework.EventFiled, casework.EventEnrolledDirectly}, kinds(s.Timeline))
		require.Equal(t, school(schoolA), s.Timeline[0].Actor)
		require.True(t, s.Placement.Direct)
		sameTime(t, rome(2026, time.December, 23, 9), s.FollowUps[0].Due)
	})
	h.finish(2 * time.Hour)
	h.run()
	require.Equal(t, []string{"direct_enrolment"}, h.noticesTo(milano))
	require.Empty(t, h.noticesTo(school(schoolA)))
}

func TestFollowUpOpensDropoutReferrals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.at(2*time.Hour, workflows.UpdateDecide, accept(schoolA, "2026-11-30"))
	notAttending := h.at(since(rome(2026, time.December, 30, 10)), workflows.UpdateConfirmAttendance, attending(schoolA, false))
	// The second check (28 February 2027, a Sunday) gets no answer: the school had five
	// working days, to the end of Friday 5 March.
	h.check(since(rome(2027, time.March, 5, 23)), func() {
		require.Len(t, h.referrals, 1, "no referral before the deadline")
	})
	h.run()

	requireApplied(t, notAttending)
	require.Equal(t, casework.StageCompleted, h.result().Stage)
	require.Len(t, h.referrals, 2)
	require.Equal(t, 0, h.referrals[0].Check)
	require.Equal(t, workflows.OutcomeNotAttending, h.referrals[0].Reason)
	require.Equal(t, 1, h.referrals[1].Check)
	require.Equal(t, workflows.OutcomeNoAnswer, h.referrals[1].Reason)
	sameTime(t, rome(2027, time.March, 6, 0), h.referrals[1].OpenedAt)
	require.Equal(t, schoolA, h.referrals[1].School)
	require.Empty(t, h.noticesTo(casework.Orientation), "the orientation service hears of it from the intervention case")
	require.Equal(t, []string{"placement_confirmed", "dropout_referral", "dropout_referral"}, h.noticesTo(milano))
	s := h.state()
	require.True(t, s.DropoutRisk)
	containsInOrder(t, kinds(s.Timeline),
		casework.EventNotAttending, casework.EventDropoutReferral,
		casework.EventFollowUpDue, casework.EventReminderSent, casework.EventNoAttendanceAnswer, casework.EventDropoutReferral,
		casework.EventCompleted)
	require.True(t, h.lastSaved().DropoutRisk)
}

func TestUnroutedCaseWaitsForUST(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.noHub = true
	h.check(time.Minute, func() {
		s := h.state()
		require.Equal(t, casework.StageUnrouted, s.Stage)
		require.True(t, s.Escalated)
		require.Equal(t, casework.EscalationUnrouted, s.EscalationReason)
		require.Equal(t, casework.TaskAssignHub, s.Task.Kind)
		require.Equal(t, casework.UST, s.Task.Owner)
		require.True(t, s.Task.DueAt.IsZero(), "UST has no deadline")
		require.Equal(t, []string{"case_unrouted"}, h.noticesTo(casework.UST))
	})
	unknown := h.at(time.Hour, workflows.UpdateReassign, workflows.ReassignInput{Actor: casework.UST, Hub: casework.Org{Kind: casework.OrgCTI, Code: "99"}})
	assigned := h.at(2*time.Hour, workflows.UpdateReassign, workflows.ReassignInput{Actor: casework.UST, Hub: hubCTI21})
	h.finish(3 * time.Hour)
	h.run()

	require.True(t, unknown.done)
	require.ErrorContains(t, unknown.err, "hub", "routing to a hub that does not exist fails the action")
	requireApplied(t, assigned)
	s := h.state()
	require.Equal(t, casework.StageAwaitingProposal, s.Stage)
	require.Equal(t, hubCTI21, s.Hub)
	require.False(t, s.Escalated)
	require.Equal(t, []string{"case_assigned"}, h.noticesTo(hubCTI21))
}

func TestDeadlinesSkipMilanHolidays(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Proposed on Thursday 3 December: Monday 7 (Sant'Ambrogio, a local holiday of the
	// policy) and Tuesday 8 (Immacolata, national) are not working days.
	h.at(since(rome(2026, time.December, 3, 10)), workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.check(since(rome(2026, time.December, 3, 11)), func() {
		s := h.state()
		sameTime(t, rome(2026, time.December, 15, 0), s.Task.DueAt, "Fri 4, Wed 9, Thu 10, Fri 11, Mon 14")
		sameTime(t, rome(2026, time.December, 14, 0), s.Task.ReminderAt)
	})
	h.finish(since(rome(2026, time.December, 4, 0)))
	h.run()
}

func sameTime(t *testing.T, want, got time.Time, msg ...any) {
	t.Helper()
	require.True(t, want.Equal(got), "want %v, got %v %v", want, got, msg)
}

// After a transfer, the comune the family left still sees the case it filed, but may
// neither withdraw it nor move it back: the comune of residence now, or UST, decides.
func TestComuneLeftByATransferNoLongerActsOnTheCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	sestoComune := casework.Org{Kind: casework.OrgComune, Code: "015209"}
	h.at(time.Hour, workflows.UpdateTransfer, workflows.TransferInput{Actor: milano, Comune: "015209"})
	withdrawByOld := h.at(2*time.Hour, workflows.UpdateWithdraw, workflows.WithdrawInput{Actor: milano, Reason: "moved_abroad"})
	backByOld := h.at(2*time.Hour+time.Minute, workflows.UpdateTransfer, workflows.TransferInput{Actor: milano, Comune: enrolmentMilano, Municipio: 2})
	backByNew := h.at(3*time.Hour, workflows.UpdateTransfer, workflows.TransferInput{Actor: sestoComune, Comune: enrolmentMilano, Municipio: 2})
	// Back in Milano, the comune of residence again: it acts as before.
	withdrawn := h.at(4*time.Hour, workflows.UpdateWithdraw, workflows.WithdrawInput{Actor: milano, Reason: "moved_abroad"})
	h.run()

	requireRejected(t, withdrawByOld, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, backByOld, workflows.ErrTypeNotAllowed, "")
	requireApplied(t, backByNew)
	requireApplied(t, withdrawn)
	require.Equal(t, casework.StageWithdrawn, h.result().Stage)
}
