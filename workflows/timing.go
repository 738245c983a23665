package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// dueNow is a wake-up time that has always passed: the case has something to do at once.
var dueNow = time.Unix(1, 0).UTC()

// alarms are what the case does on its own (caseFlow): remind the task's owner, escalate
// a missed deadline, open a follow-up check or, after the last check, close. None means
// it waits only for people.
func (c *enrolmentCase) alarms() []alarm {
	if t := c.state.Task; t != nil {
		return taskAlarms(t, c.remind, c.overdue)
	}
	if c.state.Stage != casework.StageEnrolled {
		return nil
	}
	i := c.pendingFollowUp()
	if i < 0 {
		return []alarm{{at: dueNow, fire: c.complete}}
	}
	return []alarm{{at: c.state.FollowUps[i].Due, fire: func(ctx workflow.Context) error { return c.openFollowUp(ctx, i) }}}
}

// pendingFollowUp returns the index of the first check without an outcome, or -1.
func (c *enrolmentCase) pendingFollowUp() int {
	for i, f := range c.state.FollowUps {
		if f.Outcome == "" {
			return i
		}
	}
	return -1
}

// remind tells the task's owner that its deadline is near.
func (c *enrolmentCase) remind(ctx workflow.Context, t *casework.Task) error {
	c.addEvent(ctx, casework.Event{Kind: casework.EventReminderSent, Reason: string(t.Kind), Hub: c.state.Hub.String(), School: c.taskSchool()})
	return c.commit(ctx, c.notice("reminder", t.Owner))
}

// overdue escalates a missed deadline to UST; an attendance check nobody answered closes
// as "no answer" instead.
func (c *enrolmentCase) overdue(ctx workflow.Context, t *casework.Task) error {
	if t.Kind == casework.TaskConfirmAttendance {
		return c.closeFollowUp(ctx, OutcomeNoAnswer, casework.Org{}, "")
	}
	c.escalate(ctx, casework.EscalationDeadline)
	c.addEvent(ctx, casework.Event{Kind: casework.EventEscalated, Reason: casework.EscalationDeadline, Hub: c.state.Hub.String(), School: c.taskSchool()})
	return c.commit(ctx, c.notice("escalation", casework.UST), c.notice("deadline_missed", t.Owner))
}

// complete closes the case after its last follow-up check.
func (c *enrolmentCase) complete(ctx workflow.Context) error {
	c.state.Stage = casework.StageCompleted
	c.addEvent(ctx, casework.Event{Kind: casework.EventCompleted, School: c.state.Placement.School})
	return c.commit(ctx)
}

// openFollowUp opens the attendance check i, which is due.
func (c *enrolmentCase) openFollowUp(ctx workflow.Context, i int) error {
	school := schoolOrg(c.state.Placement.School)
	c.openTask(ctx, casework.TaskConfirmAttendance, school, c.state.Policy.AttendanceDays)
	c.addEvent(ctx, casework.Event{Kind: casework.EventFollowUpDue, School: school.Code, Reason: "check_" + strconv.Itoa(i+1)})
	return c.commit(ctx, c.notice("attendance_check", school))
}

// taskSchool is the school that owns the task, if a school does.
func (c *enrolmentCase) taskSchool() string {
	if t := c.state.Task; t != nil && t.Owner.Kind == casework.OrgSchool {
		return t.Owner.Code
	}
	return ""
}

// closeFollowUp records the outcome of the open attendance check. "Not attending" and no
// answer open a dropout-risk referral to the orientation service.
func (c *enrolmentCase) closeFollowUp(ctx workflow.Context, outcome string, actor casework.Org, note string) error {
	i := c.pendingFollowUp()
	c.state.FollowUps[i].Outcome = outcome
	c.state.Task = nil
	school := c.state.Placement.School
	kind := map[string]casework.EventKind{
		OutcomeAttending:    casework.EventAttendanceConfirmed,
		OutcomeNotAttending: casework.EventNotAttending,
		OutcomeNoAnswer:     casework.EventNoAttendanceAnswer,
	}[outcome]
	c.addEvent(ctx, casework.Event{Kind: kind, Actor: actor, School: school, Reason: "check_" + strconv.Itoa(i+1), Note: note})
	if outcome == OutcomeAttending {
		return c.commit(ctx)
	}
	c.state.DropoutRisk = true
	c.addEvent(ctx, casework.Event{Kind: casework.EventDropoutReferral, School: school, Reason: outcome})
	var cases *activities.Cases
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, durableActivity), cases.OpenDropoutReferral, store.DropoutReferral{
		CaseID: c.input.CaseID, Check: i, School: school, Reason: outcome, OpenedAt: workflow.Now(ctx),
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	opened, err := c.openIntervention(ctx, "check-"+strconv.Itoa(i+1), outcome, note)
	if err != nil {
		return err
	}
	return c.commit(ctx, c.referralNotices(opened)...)
}
