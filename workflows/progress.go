package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
)

// This file holds the changes a case goes through and how each is made durable: the
// timeline, the task and its deadline, the search attributes, the read model and the
// notifications.

// route asks the reference data for the case's hub: the one the routing rule picks, or
// hub when a person chose it.
func (c *enrolmentCase) route(ctx workflow.Context, hub casework.Org) (activities.RouteResult, error) {
	var routing *activities.Routing
	var result activities.RouteResult
	err := c.executeShort(ctx, routing.RouteCase, activities.RouteInput{
		CaseID: c.input.CaseID, Comune: c.state.Comune, Municipio: c.state.Municipio, Level: c.state.Level, Hub: hub,
	}).Get(ctx, &result)
	return result, err
}

func (c *enrolmentCase) setHub(r activities.RouteResult) {
	c.state.Hub, c.state.HubName, c.state.Territory = r.Hub, r.HubName, r.Territory
	c.state.Ambito, c.state.Calendars = r.Ambito, r.Calendars
	c.state.RoundProposals, c.state.RejectedBy = 0, nil
}

// unrouted hands a case no hub could be found for to UST, which assigns one.
func (c *enrolmentCase) unrouted(ctx workflow.Context) {
	c.state.Stage = casework.StageUnrouted
	c.state.Hub, c.state.HubName, c.state.Territory, c.state.Ambito = casework.Org{}, "", nil, ""
	c.state.Calendars = nil
	c.state.Task = &casework.Task{Kind: casework.TaskAssignHub, Owner: casework.UST, Since: workflow.Now(ctx)}
	c.escalate(ctx, casework.EscalationUnrouted)
	c.addEvent(ctx, casework.Event{Kind: casework.EventRoutingFailed, Reason: casework.EscalationUnrouted})
}

// openProposalTask gives the hub its task: propose a school within the deadline. Past
// the proposal limit the task goes to UST, without a deadline.
func (c *enrolmentCase) openProposalTask(ctx workflow.Context) {
	c.state.Stage = casework.StageAwaitingProposal
	c.state.Proposal = nil
	if c.state.RoundProposals >= c.state.Policy.MaxProposals {
		c.state.Task = &casework.Task{Kind: casework.TaskProposeSchool, Owner: casework.UST, Since: workflow.Now(ctx)}
		c.escalate(ctx, casework.EscalationProposalLimit)
		c.addEvent(ctx, casework.Event{Kind: casework.EventEscalated, Hub: c.state.Hub.String(), Reason: casework.EscalationProposalLimit})
		return
	}
	c.openTask(ctx, casework.TaskProposeSchool, c.state.Hub, c.state.Policy.ProposalDays)
}

// openTask replaces the case's task with a new one for owner, due in days working days
// on owner's calendar. A new task ends an escalation: somebody has acted.
func (c *enrolmentCase) openTask(ctx workflow.Context, kind casework.TaskKind, owner casework.Org, days int) {
	c.state.openTask(ctx, kind, owner, days, func() deadlineRules { return c.deadlineRules(ctx, owner) })
}

// deadlineTimes is the result of deadline's side effect.
type deadlineTimes struct {
	Due, Remind time.Time
}

// deadlineRules are the rules of a deadline for owner, the office that must act: the
// policy's, on owner's calendar.
func (c *enrolmentCase) deadlineRules(ctx workflow.Context, owner casework.Org) deadlineRules {
	p := c.state.Policy
	rules := deadlineRules{DemoDeadline: p.DemoDeadline, ReminderDays: p.ReminderDays, LocalHolidays: p.LocalHolidays}
	// A case routed before routing returned the calendars keeps the one list of local
	// holidays of its policy; so does a history recorded before this change.
	if c.state.Calendars != nil && c.version(ctx, officeCalendarChange) >= 1 {
		rules.LocalHolidays, rules.Closures = officeCalendar(c.state.Calendars, owner)
	}
	return rules
}

// officeCalendarChange is the GetVersion change ID of deadlines counted with the calendar
// of the office that acts (its comune's patron day, the school closures for a school)
// instead of one list of local holidays for everybody.
const officeCalendarChange = "office-calendar"

// officeCalendar returns the patron day and closures of owner: a hub works on the
// calendar of its host school's comune, without the school breaks (UST's hubs answer
// for the territory all year); a school on its comune's, closed in the breaks of the
// regional school calendar (the Carnival of its comune's rite). A school the calendars
// do not know (not in the territory the case was routed with) gets no patron day but
// the breaks; UST and anybody else, the national calendar.
func officeCalendar(cals *casework.Calendars, owner casework.Org) ([]casework.MonthDay, []casework.SchoolClosure) {
	var comune string
	switch owner.Kind {
	case casework.OrgCTI, casework.OrgPoloStart:
		comune = cals.HubComune
	case casework.OrgSchool:
		comune = cals.Schools[owner.Code]
	default:
		return nil, nil
	}
	local := cals.OfComune(comune)
	var patron []casework.MonthDay
	if local.Patron != nil {
		patron = []casework.MonthDay{*local.Patron}
	}
	if owner.Kind != casework.OrgSchool {
		return patron, nil
	}
	return patron, cals.ClosuresFor(local.Rite)
}

// deadlineRules are the parts of a policy that set a deadline.
type deadlineRules struct {
	DemoDeadline  time.Duration
	ReminderDays  int
	LocalHolidays []casework.MonthDay
	// Closures are days the office is closed on top of the holidays (a school's breaks).
	Closures []casework.SchoolClosure
}

// workingDeadline counts days working days from now and returns the deadline and the
// reminder time. The holiday library runs in a side effect: its answer is recorded in the
// history, so a newer library that knows another holiday cannot change the deadlines of
// a running case on replay.
func workingDeadline(ctx workflow.Context, now time.Time, days int, p deadlineRules) (time.Time, time.Time) {
	var t deadlineTimes
	encoded := workflow.SideEffect(ctx, func(workflow.Context) any {
		if p.DemoDeadline > 0 {
			t := deadlineTimes{Due: now.Add(p.DemoDeadline)}
			if p.ReminderDays > 0 {
				t.Remind = now.Add(p.DemoDeadline / 2)
			}
			return t
		}
		local := make([]calendar.MonthDay, len(p.LocalHolidays))
		for i, h := range p.LocalHolidays {
			local[i] = calendar.MonthDay{Month: h.Month, Day: h.Day}
		}
		cal := calendar.New(local...).WithClosures(closures(p.Closures)...)
		due := cal.Deadline(now, days)
		var remind time.Time
		if p.ReminderDays > 0 {
			if r := cal.WorkingDaysBefore(due, p.ReminderDays); r.After(now) {
				remind = r
			}
		}
		return deadlineTimes{Due: due, Remind: remind}
	})
	if err := encoded.Get(&t); err != nil {
		// A value this workflow encoded itself always decodes; reaching here is a bug.
		panic(fmt.Sprintf("decode deadline: %v", err))
	}
	return t.Due, t.Remind
}

// closures turns the school closures into the calendar's. A closure whose dates do not
// parse is left out: the reference data was checked when imported.
func closures(in []casework.SchoolClosure) []calendar.Closure {
	var out []calendar.Closure
	for _, cl := range in {
		first, errF := time.ParseInLocation(time.DateOnly, cl.First, calendar.Rome)
		last, errL := time.ParseInLocation(time.DateOnly, cl.Last, calendar.Rome)
		if errF == nil && errL == nil {
			out = append(out, calendar.Closure{First: first, Last: last})
		}
	}
	return out
}

func (c *enrolmentCase) escalate(ctx workflow.Context, reason string) { c.state.escalate(ctx, reason) }

// enrol records the placement and schedules the attendance checks after its start date.
func (c *enrolmentCase) enrol(ctx workflow.Context, p casework.Placement) {
	c.state.Stage = casework.StageEnrolled
	c.state.Placement = &p
	c.state.Proposal = nil
	c.state.closeTask()
	start, err := parseDay(p.StartDate)
	if err != nil {
		// Validators and the API check the date; reaching here is a bug.
		panic(fmt.Sprintf("start date of case %s: %v", c.input.CaseID, err))
	}
	c.state.FollowUps = nil
	for _, days := range c.state.Policy.FollowUpDays {
		// Checks fall at nine in the morning, when the school office is open.
		c.state.FollowUps = append(c.state.FollowUps, FollowUp{Due: start.AddDate(0, 0, days).Add(9 * time.Hour)})
	}
}

// addEvent appends an event to the timeline with the next sequence number.
func (c *enrolmentCase) addEvent(ctx workflow.Context, e casework.Event) {
	appendEvent(ctx, &c.state.Seq, &c.state.Timeline, e)
}

func (c *enrolmentCase) notice(kind string, to casework.Org) notice {
	return notice{kind: kind, to: to}
}

// attributes are the case's search attributes (caseFlow). Ambito, Level and Origin came
// later: a run whose history has no marker for them keeps upserting exactly what it
// did; a new run, or a continued one, sets them too.
func (c *enrolmentCase) attributes(ctx workflow.Context) []temporal.SearchAttributeUpdate {
	attributes := c.searchAttributes()
	if c.version(ctx, filterAttributesChange) >= 1 {
		attributes = append(attributes, c.filterAttributes()...)
	}
	return attributes
}

// noticeInput keys a notice by the case, its newest event's number, the kind and the
// recipient (caseFlow).
func (c *enrolmentCase) noticeInput(n notice) activities.NotifyInput {
	return activities.NotifyInput{
		Key:       fmt.Sprintf("%s/%d/%s/%s", c.input.CaseID, c.state.Seq, n.kind, n.to),
		CaseID:    c.input.CaseID,
		Kind:      n.kind,
		Recipient: n.to,
	}
}

// save writes the read model and queues the notices (caseFlow): in one local activity
// once the case has the localActivitiesChange marker, as scheduled activities before.
func (c *enrolmentCase) save(ctx workflow.Context, queue []activities.NotifyInput) error {
	var cases *activities.Cases
	if c.version(ctx, localActivitiesChange) >= 1 {
		in := activities.SaveProgressAndNotifyInput{Progress: c.progress(), Notices: queue}
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, durableLocalActivity), cases.SaveProgressAndNotify, in).Get(ctx, nil)
	}
	return saveThenNotify(ctx, cases.SaveProgress, c.progress(), queue)
}

// localActivitiesChange is the GetVersion change ID of the case's short database writes
// run as local activities: a commit's progress and notices in one local activity, and
// the policy and the routing each in one (the recording too, since
// recordInFirstTaskChange). A local activity costs one marker event and no workflow task
// of its own; a scheduled activity costs three events and a workflow task of three more.
// A history without the marker replays the scheduled activities it recorded.
const localActivitiesChange = "local-activities"

// leanChange is the GetVersion change ID that stands for the four changes of the case
// before it (routingChange, localActivitiesChange, officeCalendarChange and
// filterAttributesChange): a case with its marker takes the newest branch of each without
// asking, and saves events besides (one upsert of the stage with the first commit rather
// than one of its own after the recording, one timer at a time: see engine.sleep). Each
// GetVersion marker costs two events, since the SDK adds an upsert of
// TemporalChangeVersion to it: a new case records one marker instead of four.
//
// It is asked (lean) right after a new case's recording, where the first of the four was
// asked before (routingChange, a few lines on, with no wait between), or at the first of
// the four that a run asks, so that it is always asked before any of them. A history
// without its marker was recorded by code that asked the four: replayed, leanChange is
// DefaultVersion there, at the very place it is asked, and the four are asked as before.
// A running case that asked any of the four before this change has asked leanChange
// (DefaultVersion) by then, and goes on asking them. A case recorded in its first task
// (recordInFirstTaskChange) has leanChange implied and never asks it.
const leanChange = "lean-case"

// lean reports whether the case has the leanChange marker, asking once per run.
func (c *enrolmentCase) lean(ctx workflow.Context) bool {
	if c.leanVersion == nil {
		v := workflow.GetVersion(ctx, leanChange, workflow.DefaultVersion, 1)
		c.leanVersion = &v
	}
	return *c.leanVersion >= 1
}

// version is the case's version of changeID, one of the four changes that leanChange
// stands for: their newest, 1, for a lean case, and what its marker says (or its absence)
// otherwise.
func (c *enrolmentCase) version(ctx workflow.Context, changeID string) workflow.Version {
	if c.lean(ctx) {
		return 1
	}
	return workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, 1)
}

// durableLocalActivity retries like durableActivity, for a year rather than forever: a
// local activity needs an end to its retries (the SDK would otherwise stop at the first
// attempt's timeout), and a database down for a year is not "a while". Every activity
// run this way is idempotent and short (a read or a write keyed by the case).
var durableLocalActivity = workflow.LocalActivityOptions{
	StartToCloseTimeout:    durableActivity.StartToCloseTimeout,
	ScheduleToCloseTimeout: 365 * 24 * time.Hour,
	RetryPolicy:            durableActivity.RetryPolicy,
}

// executeShort runs a short, idempotent activity of the case: as a local activity once
// the case has the localActivitiesChange marker, as a scheduled one in a history
// recorded before it.
func (c *enrolmentCase) executeShort(ctx workflow.Context, activity any, args ...any) workflow.Future {
	if c.version(ctx, localActivitiesChange) >= 1 {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, durableLocalActivity), activity, args...)
	}
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, durableActivity), activity, args...)
}

func (c *enrolmentCase) searchAttributes() []temporal.SearchAttributeUpdate {
	s := c.state
	updates := []temporal.SearchAttributeUpdate{
		searchattr.Stage.ValueSet(string(s.Stage)),
		searchattr.ComuneIstat.ValueSet(s.Comune),
		searchattr.Escalated.ValueSet(s.Escalated),
		searchattr.ProposalCount.ValueSet(int64(s.ProposalCount)),
		searchattr.DropoutRisk.ValueSet(s.DropoutRisk),
	}
	if s.Hub.IsZero() {
		updates = append(updates, searchattr.HubID.ValueUnset())
	} else {
		updates = append(updates, searchattr.HubID.ValueSet(s.Hub.String()))
	}
	switch school := c.currentSchool(); school {
	case "":
		updates = append(updates, searchattr.SchoolCode.ValueUnset())
	default:
		updates = append(updates, searchattr.SchoolCode.ValueSet(school))
	}
	if s.Task == nil || s.Task.DueAt.IsZero() {
		updates = append(updates, searchattr.Deadline.ValueUnset())
	} else {
		updates = append(updates, searchattr.Deadline.ValueSet(s.Task.DueAt))
	}
	return updates
}

// filterAttributesChange is the GetVersion change ID of the Ambito, Level and Origin
// search attributes set at every commit.
const filterAttributesChange = "filter-attributes"

// filterAttributes are the codes supervisors filter by besides the stage and the hub:
// the ambito of the comune, the level sought and the origin. Codes only, like every
// search attribute.
func (c *enrolmentCase) filterAttributes() []temporal.SearchAttributeUpdate {
	s := c.state
	var updates []temporal.SearchAttributeUpdate
	if s.Ambito == "" {
		updates = append(updates, searchattr.Ambito.ValueUnset())
	} else {
		updates = append(updates, searchattr.Ambito.ValueSet(s.Ambito))
	}
	if s.Level == "" {
		updates = append(updates, searchattr.SchoolLevel.ValueUnset())
	} else {
		updates = append(updates, searchattr.SchoolLevel.ValueSet(s.Level))
	}
	// The origin was set when the case started; a correction may change it.
	if o := c.input.Request.Origin; o != "" {
		updates = append(updates, searchattr.Origin.ValueSet(string(o)))
	}
	return updates
}

// currentSchool is the school proposed or, once enrolled, the school of the placement.
func (c *enrolmentCase) currentSchool() string {
	if c.state.Proposal != nil {
		return c.state.Proposal.School
	}
	if c.state.Placement != nil {
		return c.state.Placement.School
	}
	return ""
}

func (c *enrolmentCase) progress() store.Progress {
	s := c.state
	p := store.Progress{
		CaseID:           c.input.CaseID,
		Seq:              s.Seq,
		Stage:            s.Stage,
		Comune:           s.Comune,
		Municipio:        s.Municipio,
		Level:            s.Level,
		Year:             s.Year,
		Hub:              s.Hub.String(),
		School:           c.currentSchool(),
		ProposalCount:    s.ProposalCount,
		Escalated:        s.Escalated,
		EscalationReason: s.EscalationReason,
		DropoutRisk:      s.DropoutRisk,
		Placement:        s.Placement,
		Events:           s.Timeline,
	}
	if s.Task != nil {
		task := *s.Task
		p.Task = &task
	}
	return p
}

func (c *enrolmentCase) comuneOrg() casework.Org {
	return casework.Org{Kind: casework.OrgComune, Code: c.state.Comune}
}

func schoolOrg(code string) casework.Org {
	return casework.Org{Kind: casework.OrgSchool, Code: code}
}

// filer is the organisation that filed the case: a comune by its ISTAT code, or another
// organisation by its stored form (a school's direct enrolment).
func filer(in EnrolmentInput) casework.Org {
	if org, err := casework.ParseOrg(in.FiledBy); err == nil {
		return org
	}
	return casework.Org{Kind: casework.OrgComune, Code: in.FiledBy}
}
