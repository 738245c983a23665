package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/internal/store"
)

// This file is the anti-dropout intervention (FAMI Lab Impact, Azione 1): a dropout-risk
// referral worked by the orientation service "Cerco Offro Scuola". The service takes it
// in charge, interviews the pupil, agrees a plan with reviews and closes it with an
// outcome; each step has a deadline in working days, with a reminder before it and an
// escalation to UST after it, as in an enrolment case. Its notices and read model follow
// the enrolment case's patterns (see progress.go).

// InterventionWorkflowName is the registered type name of the intervention workflow,
// fixed so that renaming the function cannot orphan running interventions.
const InterventionWorkflowName = start.InterventionName

// InterventionWorkflowID is the ID of the intervention opened by a referral of a case:
// one per referral, so a referral sent twice opens one intervention. It carries codes
// only, as workflow IDs are shown in the Temporal UI.
func InterventionWorkflowID(caseID, referral string) string {
	return start.InterventionID(caseID, referral)
}

// SignalSchoolChange is the signal an intervention closed with a school change sends to
// its enrolment case (enrolment.WorkflowID), with a SchoolChange.
const SignalSchoolChange = "school-change"

// SchoolChange is the payload of SignalSchoolChange.
type SchoolChange struct {
	// InterventionID is the workflow ID of the intervention that asks for the change.
	InterventionID string
	Note           string `json:",omitempty"`
}

// QueryIntervention returns an intervention's InterventionState. It is QueryState, the
// one query of every case; use that.
//
// Deprecated: use QueryState.
const QueryIntervention = QueryState

// The Updates through which the orientation service works an intervention. Each has a
// validator that rejects the wrong organisation, stage or values before anything is
// written to the history, with the ErrType errors of the enrolment case. Their names
// are snake_case like every other Update's.
const (
	// UpdateInterventionTakeCharge: the service takes the referral in charge (InterventionTakeChargeInput).
	UpdateInterventionTakeCharge = "take_charge"
	// UpdateInterventionInterview: the service records the interview (InterventionInterviewInput).
	UpdateInterventionInterview = "record_interview"
	// UpdateInterventionPlan: the service records the plan and its reviews (InterventionPlanInput).
	UpdateInterventionPlan = "agree_plan"
	// UpdateInterventionReview: the service records the review that is due (InterventionReviewInput).
	UpdateInterventionReview = "record_review"
	// UpdateInterventionClose: the service or UST closes the intervention with an outcome
	// (InterventionCloseInput).
	UpdateInterventionClose = "close"
)

// The names the intervention's Updates had until they took the snake_case of every
// other Update. They stay registered as aliases: the histories of running interventions
// hold Updates accepted under them, and a caller started before the rename may still
// send them.
const (
	oldUpdateInterventionTakeCharge = "take-charge"
	oldUpdateInterventionInterview  = "record-interview"
	oldUpdateInterventionPlan       = "agree-plan"
	oldUpdateInterventionReview     = "record-review"
)

// The notices of an intervention, in NotifyInput.Kind.
const (
	NoticeInterventionOpened     = "intervention_opened"
	NoticeInterventionReminder   = "intervention_reminder"
	NoticeInterventionEscalation = "intervention_escalation"
	NoticeInterventionClosed     = "intervention_closed"
)

// InterventionInput starts an intervention.
type InterventionInput struct {
	// CaseID is the enrolment case of the pupil.
	CaseID string
	// Referral tells the referrals of one case apart: "check-1" for the first follow-up
	// check, or the id of a school's report.
	Referral string
	// School is the codice meccanografico of the pupil's school; Comune, the ISTAT code of
	// the comune of residence.
	School string
	Comune string
	// Reason is one of casework.ReferralReasons.
	Reason string
	Note   string `json:",omitempty"`
	// State is carried over by continue-as-new; zero for a new intervention.
	State InterventionState
}

// InterventionState is the progress of an intervention, returned by QueryIntervention and
// carried across continue-as-new.
type InterventionState struct {
	Stage casework.InterventionStage
	// Policy is the deadlines the intervention follows, fixed when it opened.
	Policy   *casework.InterventionPolicy `json:",omitempty"`
	OpenedAt time.Time                    `json:",omitzero"`
	// Operator is who took it in charge at the orientation service.
	Operator  string                          `json:",omitempty"`
	Interview *casework.InterventionInterview `json:",omitempty"`
	Plan      *casework.InterventionPlan      `json:",omitempty"`
	Reviews   []casework.InterventionReview   `json:",omitempty"`
	// Desk is the task the intervention waits for (nil when it waits for nobody: for the
	// next review, or for the service to close it) and its escalation.
	Desk
	// Outcome is set when it closes: resolved, school_change or dropout.
	Outcome string `json:",omitempty"`
	// Timeline is every event; Seq is the number of the newest.
	Timeline []casework.Event `json:",omitempty"`
	Seq      int64            `json:",omitempty"`
}

// InterventionResult is what a closed intervention returns.
type InterventionResult struct {
	Stage casework.InterventionStage
}

// InterventionActionResult answers every Update of an intervention: its stage after the
// action and the number of its newest event.
type InterventionActionResult = Result[casework.InterventionStage]

// InterventionTakeChargeInput is the argument of UpdateInterventionTakeCharge.
type InterventionTakeChargeInput struct {
	Actor casework.Org
	// Operator is the name of the operator who follows the pupil.
	Operator string
	Note     string
}

// InterventionInterviewInput is the argument of UpdateInterventionInterview.
type InterventionInterviewInput struct {
	Actor casework.Org
	// Date is the day of the interview, YYYY-MM-DD, not in the future.
	Date       string
	WithFamily bool
	Note       string
}

// InterventionPlanInput is the argument of UpdateInterventionPlan.
type InterventionPlanInput struct {
	Actor casework.Org
	// Actions are short texts, at least one.
	Actions []string
	// ReviewDates are 1 to 6 days, YYYY-MM-DD, in order, after today and within a year.
	ReviewDates []string
}

// InterventionReviewInput is the argument of UpdateInterventionReview.
type InterventionReviewInput struct {
	Actor casework.Org
	// Date is the day the review was held, YYYY-MM-DD, not in the future.
	Date      string
	Attending bool
	Note      string
}

// InterventionCloseInput is the argument of UpdateInterventionClose.
type InterventionCloseInput struct {
	Actor casework.Org
	// Outcome is one of casework.InterventionOutcomes.
	Outcome string
	Note    string
}

// Limits of a plan.
const (
	maxPlanActions    = 20
	maxActionLength   = 200
	maxReviewDates    = 6
	maxOperatorLength = 100
)

// reviewHour is when a review's task opens on its day: the service's office is open.
const reviewHour = 9

// InterventionWorkflow runs one intervention until it closes.
func InterventionWorkflow(ctx workflow.Context, in InterventionInput) (InterventionResult, error) {
	if in.CaseID == "" || in.Referral == "" || !slices.Contains(casework.ReferralReasons, in.Reason) {
		// The starter's bug, not the service's: no retry can mend it.
		return InterventionResult{}, temporal.NewNonRetryableApplicationError(
			"an intervention needs a case, a referral and one of the reasons "+joinCodes(casework.ReferralReasons), ErrTypeInvalid, nil)
	}
	c := &interventionCase{input: in, state: in.State}
	c.flow = c
	if c.state.Stage == "" {
		c.state.Stage = casework.InterventionAwaitingTakeCharge
	}
	if err := c.setup(ctx); err != nil {
		return InterventionResult{}, err
	}
	if c.state.Policy == nil {
		if err := c.open(ctx); err != nil {
			return InterventionResult{}, err
		}
	}
	if err := c.loop(ctx); err != nil {
		return InterventionResult{}, err
	}
	return InterventionResult{Stage: c.state.Stage}, nil
}

type interventionCase struct {
	engine
	input InterventionInput
	state InterventionState
}

func (c *interventionCase) setup(ctx workflow.Context) error {
	if err := setQuery(ctx, &c.state); err != nil {
		return err
	}
	return setUpdates(ctx,
		handle(UpdateInterventionTakeCharge, c.takeCharge, c.validateTakeCharge).alias(oldUpdateInterventionTakeCharge),
		handle(UpdateInterventionInterview, c.recordInterview, c.validateRecordInterview).alias(oldUpdateInterventionInterview),
		handle(UpdateInterventionPlan, c.agreePlan, c.validateAgreePlan).alias(oldUpdateInterventionPlan),
		handle(UpdateInterventionReview, c.recordReview, c.validateRecordReview).alias(oldUpdateInterventionReview),
		handle(UpdateInterventionClose, c.close, c.validateClose),
	)
}

// open fixes the policy and gives the orientation service its first task.
func (c *interventionCase) open(ctx workflow.Context) error {
	var acts *activities.Interventions
	var policy casework.InterventionPolicy
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, durableActivity), acts.InterventionPolicy).Get(ctx, &policy); err != nil {
		return err
	}
	c.state.Policy = &policy
	c.state.OpenedAt = workflow.Now(ctx)
	c.openTask(ctx, casework.TaskTakeCharge, policy.TakeChargeDays)
	c.addEvent(ctx, casework.Event{Kind: casework.EventInterventionOpened, School: c.input.School, Reason: c.input.Reason, Note: c.input.Note})
	return c.commit(ctx, notice{kind: NoticeInterventionOpened, to: casework.Orientation})
}

// alarms are what the intervention does on its own (caseFlow): remind, escalate, or open
// the next review. An open task holds the next review back: one review is recorded at
// a time, and one recorded late lets the next, if its day has passed, open at once.
func (c *interventionCase) alarms() []alarm {
	if t := c.state.Task; t != nil {
		return taskAlarms(t, c.remind, c.overdue)
	}
	if c.state.Stage != casework.InterventionFollowingUp {
		return nil
	}
	i := c.nextReview()
	if i < 0 {
		return nil
	}
	return []alarm{{at: c.state.Reviews[i].Due, fire: func(ctx workflow.Context) error { return c.openReviewTask(ctx, i) }}}
}

func (c *interventionCase) closed() bool { return c.state.Stage.Closed() }

// nextRun continues the intervention in a new run with its state (caseFlow).
func (c *interventionCase) nextRun() (string, any) {
	next := c.input
	next.State = c.state
	return InterventionWorkflowName, next
}

// nextReview returns the index of the first review not opened yet, or -1.
func (c *interventionCase) nextReview() int {
	return slices.IndexFunc(c.state.Reviews, func(r casework.InterventionReview) bool { return !r.Opened })
}

// openReview returns the index of the review whose task is open, or -1.
func (c *interventionCase) openReview() int {
	return slices.IndexFunc(c.state.Reviews, func(r casework.InterventionReview) bool { return r.Opened && !r.Recorded })
}

// remind tells the service that its deadline is near.
func (c *interventionCase) remind(ctx workflow.Context, t *casework.Task) error {
	c.addEvent(ctx, casework.Event{Kind: casework.EventReminderSent, Reason: string(t.Kind), School: c.input.School})
	return c.commit(ctx, notice{kind: NoticeInterventionReminder, to: t.Owner})
}

// overdue calls UST in on a missed deadline; the task stays with the service, and the
// intervention goes on.
func (c *interventionCase) overdue(ctx workflow.Context, t *casework.Task) error {
	c.state.escalate(ctx, casework.EscalationDeadline)
	if i := c.openReview(); i >= 0 && t.Kind == casework.TaskRecordReview {
		c.state.Reviews[i].Missed = true
	}
	c.addEvent(ctx, casework.Event{Kind: casework.EventEscalated, Reason: casework.EscalationDeadline, School: c.input.School})
	return c.commit(ctx, notice{kind: NoticeInterventionEscalation, to: casework.UST})
}

// openReviewTask opens review i, whose day has come.
func (c *interventionCase) openReviewTask(ctx workflow.Context, i int) error {
	c.state.Reviews[i].Opened = true
	c.openTask(ctx, casework.TaskRecordReview, c.state.Policy.ReviewDays)
	c.addEvent(ctx, casework.Event{Kind: casework.EventReviewDue, School: c.input.School, Reason: reviewCode(i)})
	return c.commit(ctx)
}

func reviewCode(i int) string { return "review_" + strconv.Itoa(i+1) }

// openTask gives the service a new task, due in days working days (none for 0). A new
// task ends an escalation: the service has acted.
func (c *interventionCase) openTask(ctx workflow.Context, kind casework.TaskKind, days int) {
	c.state.openTask(ctx, kind, casework.Orientation, days, func() deadlineRules {
		p := c.state.Policy
		return deadlineRules{DemoDeadline: p.DemoDeadline, ReminderDays: p.ReminderDays, LocalHolidays: p.LocalHolidays}
	})
}

// addEvent appends an event to the timeline with the next sequence number.
func (c *interventionCase) addEvent(ctx workflow.Context, e casework.Event) {
	appendEvent(ctx, &c.state.Seq, &c.state.Timeline, e)
}

// noticeInput keys a notice by the intervention, its newest event's number, the kind and
// the recipient (caseFlow).
func (c *interventionCase) noticeInput(n notice) activities.NotifyInput {
	return activities.NotifyInput{
		Key:       activities.InterventionNoticeKey(c.input.CaseID, c.input.Referral, c.state.Seq, n.kind, n.to),
		CaseID:    c.input.CaseID,
		Kind:      n.kind,
		Recipient: n.to,
	}
}

// save writes the read model and queues the notices (caseFlow).
func (c *interventionCase) save(ctx workflow.Context, queue []activities.NotifyInput) error {
	var acts *activities.Interventions
	return saveThenNotify(ctx, acts.SaveIntervention, c.progress(ctx), queue)
}

// searchAttributes are codes only: the stage, the deadline, the escalation, the school
// and the comune.
func (c *interventionCase) attributes(workflow.Context) []temporal.SearchAttributeUpdate {
	s := c.state
	updates := []temporal.SearchAttributeUpdate{
		searchattr.Stage.ValueSet(string(s.Stage)),
		searchattr.Escalated.ValueSet(s.Escalated),
	}
	if c.input.School == "" {
		updates = append(updates, searchattr.SchoolCode.ValueUnset())
	} else {
		updates = append(updates, searchattr.SchoolCode.ValueSet(c.input.School))
	}
	if c.input.Comune == "" {
		updates = append(updates, searchattr.ComuneIstat.ValueUnset())
	} else {
		updates = append(updates, searchattr.ComuneIstat.ValueSet(c.input.Comune))
	}
	if s.Task == nil || s.Task.DueAt.IsZero() {
		updates = append(updates, searchattr.Deadline.ValueUnset())
	} else {
		updates = append(updates, searchattr.Deadline.ValueSet(s.Task.DueAt))
	}
	return updates
}

func (c *interventionCase) progress(ctx workflow.Context) store.InterventionProgress {
	s := c.state
	p := store.InterventionProgress{
		ID:               workflow.GetInfo(ctx).WorkflowExecution.ID,
		CaseID:           c.input.CaseID,
		Referral:         c.input.Referral,
		School:           c.input.School,
		Comune:           c.input.Comune,
		Reason:           c.input.Reason,
		Stage:            s.Stage,
		Operator:         s.Operator,
		Escalated:        s.Escalated,
		EscalationReason: s.EscalationReason,
		Outcome:          s.Outcome,
		Interview:        s.Interview,
		Plan:             s.Plan,
		Reviews:          s.Reviews,
		Events:           s.Timeline,
		Seq:              s.Seq,
		OpenedAt:         s.OpenedAt,
	}
	if s.Task != nil {
		task := *s.Task
		p.Task = &task
	}
	return p
}

func (c *interventionCase) result() InterventionActionResult {
	return InterventionActionResult{Stage: c.state.Stage, Seq: c.state.Seq}
}

// --- validators ---
//
// They only read the state; the handlers change it before they wait on anything, so the
// next validator already sees the change.

// ready turns away any action before the intervention has its policy and once it is
// closed.
func (c *interventionCase) ready() error {
	switch {
	case c.state.Stage.Closed():
		return wrongStage("l'intervento è chiuso")
	case c.state.Policy == nil:
		return wrongStage("l'intervento è in apertura: riprovare tra qualche istante")
	}
	return nil
}

// byOrientation turns away every organisation but the orientation service.
func byOrientation(actor casework.Org, what string) error {
	if actor.Kind != casework.OrgOrientation {
		return notAllowed("solo il servizio di orientamento può " + what)
	}
	return nil
}

func (c *interventionCase) stageIs(want casework.InterventionStage, msg string) error {
	if c.state.Stage != want {
		return wrongStage(msg + " (stato attuale: " + string(c.state.Stage) + ")")
	}
	return nil
}

func (c *interventionCase) validateTakeCharge(_ workflow.Context, in InterventionTakeChargeInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	if err := byOrientation(in.Actor, "prendere in carico la segnalazione"); err != nil {
		return err
	}
	if err := c.stageIs(casework.InterventionAwaitingTakeCharge, "la segnalazione è già stata presa in carico"); err != nil {
		return err
	}
	switch operator := strings.TrimSpace(in.Operator); {
	case operator == "":
		return invalid("operator", "è obbligatorio: il nome dell'operatore che segue l'alunno")
	case utf8.RuneCountInString(operator) > maxOperatorLength:
		return invalid("operator", "supera i "+strconv.Itoa(maxOperatorLength)+" caratteri")
	}
	return checkNote(in.Note, false)
}

func (c *interventionCase) takeCharge(ctx workflow.Context, in InterventionTakeChargeInput) (InterventionActionResult, error) {
	c.state.Stage = casework.InterventionTakenInCharge
	c.state.Operator = strings.TrimSpace(in.Operator)
	c.openTask(ctx, casework.TaskRecordInterview, c.state.Policy.InterviewDays)
	c.addEvent(ctx, casework.Event{Kind: casework.EventTakenInCharge, Actor: in.Actor, School: c.input.School, Note: in.Note})
	return c.result(), c.commit(ctx)
}

func (c *interventionCase) validateRecordInterview(ctx workflow.Context, in InterventionInterviewInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	if err := byOrientation(in.Actor, "registrare il colloquio"); err != nil {
		return err
	}
	if err := c.stageIs(casework.InterventionTakenInCharge, "il colloquio si registra dopo la presa in carico, una sola volta"); err != nil {
		return err
	}
	if err := checkHeldOn(ctx, "date", in.Date, dayInRome(c.state.OpenedAt)); err != nil {
		return err
	}
	return checkNote(in.Note, false)
}

func (c *interventionCase) recordInterview(ctx workflow.Context, in InterventionInterviewInput) (InterventionActionResult, error) {
	c.state.Stage = casework.InterventionInterviewed
	c.state.Interview = &casework.InterventionInterview{Date: in.Date, WithFamily: in.WithFamily}
	// The plan is agreed with the family and the school, at their pace: no deadline.
	c.openTask(ctx, casework.TaskAgreePlan, 0)
	who := "pupil_only"
	if in.WithFamily {
		who = "with_family"
	}
	c.addEvent(ctx, casework.Event{Kind: casework.EventInterviewed, Actor: in.Actor, School: c.input.School, Reason: who, Note: in.Note})
	return c.result(), c.commit(ctx)
}

func (c *interventionCase) validateAgreePlan(ctx workflow.Context, in InterventionPlanInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	if err := byOrientation(in.Actor, "concordare il piano"); err != nil {
		return err
	}
	if err := c.stageIs(casework.InterventionInterviewed, "il piano si concorda dopo il colloquio, una sola volta"); err != nil {
		return err
	}
	switch {
	case len(in.Actions) == 0:
		return invalid("actions", "indicare almeno un'azione del piano")
	case len(in.Actions) > maxPlanActions:
		return invalid("actions", "al massimo "+strconv.Itoa(maxPlanActions)+" azioni")
	}
	for i, a := range in.Actions {
		switch a = strings.TrimSpace(a); {
		case a == "":
			return invalid("actions", "l'azione "+strconv.Itoa(i+1)+" è vuota")
		case utf8.RuneCountInString(a) > maxActionLength:
			return invalid("actions", "l'azione "+strconv.Itoa(i+1)+" supera i "+strconv.Itoa(maxActionLength)+" caratteri")
		}
	}
	if len(in.ReviewDates) == 0 || len(in.ReviewDates) > maxReviewDates {
		return invalid("reviewDates", "indicare da 1 a "+strconv.Itoa(maxReviewDates)+" date di verifica")
	}
	today := workflow.Now(ctx).In(calendar.Rome)
	first, last := today.Format(time.DateOnly), today.AddDate(1, 0, 0).Format(time.DateOnly)
	previous := ""
	for _, d := range in.ReviewDates {
		if _, err := parseDay(d); err != nil {
			return invalid("reviewDates", "«"+d+"» non è una data nel formato AAAA-MM-GG")
		}
		switch {
		case d <= first:
			return invalid("reviewDates", "le verifiche vanno fissate da domani in poi ("+d+")")
		case d > last:
			return invalid("reviewDates", "le verifiche vanno fissate entro un anno ("+d+")")
		case d <= previous:
			return invalid("reviewDates", "le date vanno indicate in ordine, senza ripetizioni ("+d+")")
		}
		previous = d
	}
	return nil
}

func (c *interventionCase) agreePlan(ctx workflow.Context, in InterventionPlanInput) (InterventionActionResult, error) {
	actions := make([]string, len(in.Actions))
	for i, a := range in.Actions {
		actions[i] = strings.TrimSpace(a)
	}
	c.state.Plan = &casework.InterventionPlan{Actions: actions, ReviewDates: slices.Clone(in.ReviewDates), AgreedAt: workflow.Now(ctx)}
	c.state.Reviews = make([]casework.InterventionReview, len(in.ReviewDates))
	for i, d := range in.ReviewDates {
		day, err := parseDay(d)
		if err != nil {
			// The validator checked every date; reaching here is a bug.
			panic(fmt.Sprintf("review date of intervention %s: %v", c.input.CaseID, err))
		}
		due := time.Date(day.Year(), day.Month(), day.Day(), reviewHour, 0, 0, 0, calendar.Rome)
		c.state.Reviews[i] = casework.InterventionReview{Date: d, Due: due}
	}
	c.state.Stage = casework.InterventionFollowingUp
	c.state.closeTask()
	c.addEvent(ctx, casework.Event{Kind: casework.EventPlanAgreed, Actor: in.Actor, School: c.input.School})
	return c.result(), c.commit(ctx)
}

func (c *interventionCase) validateRecordReview(ctx workflow.Context, in InterventionReviewInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	if err := byOrientation(in.Actor, "registrare la verifica"); err != nil {
		return err
	}
	if t := c.state.Task; c.state.Stage != casework.InterventionFollowingUp || t == nil || t.Kind != casework.TaskRecordReview || c.openReview() < 0 {
		return wrongStage("nessuna verifica del piano è in attesa di essere registrata (stato attuale: " + string(c.state.Stage) + ")")
	}
	if err := checkHeldOn(ctx, "date", in.Date, dayInRome(c.state.Plan.AgreedAt)); err != nil {
		return err
	}
	return checkNote(in.Note, false)
}

func (c *interventionCase) recordReview(ctx workflow.Context, in InterventionReviewInput) (InterventionActionResult, error) {
	i := c.openReview()
	r := &c.state.Reviews[i]
	r.Recorded, r.HeldOn, r.Attending, r.Note = true, in.Date, in.Attending, in.Note
	c.state.closeTask()
	attendance := OutcomeNotAttending
	if in.Attending {
		attendance = OutcomeAttending
	}
	c.addEvent(ctx, casework.Event{Kind: casework.EventReviewRecorded, Actor: in.Actor, School: c.input.School, Reason: reviewCode(i) + ":" + attendance, Note: in.Note})
	return c.result(), c.commit(ctx)
}

func (c *interventionCase) validateClose(_ workflow.Context, in InterventionCloseInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	if in.Actor.Kind != casework.OrgOrientation && in.Actor != casework.UST {
		return notAllowed("solo il servizio di orientamento o l'UST può chiudere l'intervento")
	}
	if c.state.Stage == casework.InterventionAwaitingTakeCharge {
		return wrongStage("l'intervento si chiude solo dopo la presa in carico (stato attuale: " + string(c.state.Stage) + ")")
	}
	if !slices.Contains(casework.InterventionOutcomes, in.Outcome) {
		return invalid("outcome", "deve essere uno tra: "+joinCodes(casework.InterventionOutcomes))
	}
	return checkNote(in.Note, false)
}

func (c *interventionCase) close(ctx workflow.Context, in InterventionCloseInput) (InterventionActionResult, error) {
	c.state.Stage = casework.InterventionStage(in.Outcome)
	c.state.Outcome = in.Outcome
	c.state.closeTask()
	c.addEvent(ctx, casework.Event{Kind: casework.EventInterventionClosed, Actor: in.Actor, School: c.input.School, Reason: in.Outcome, Note: in.Note})
	var notices []notice
	if c.input.School != "" {
		notices = append(notices, notice{kind: NoticeInterventionClosed, to: schoolOrg(c.input.School)})
	}
	if err := c.commit(ctx, notices...); err != nil {
		return InterventionActionResult{}, err
	}
	if in.Outcome == string(casework.InterventionSchoolChange) {
		c.tellEnrolmentCase(ctx, in.Note)
	}
	return c.result(), nil
}

// tellEnrolmentCase asks the pupil's enrolment case to find another school. The case may
// be closed already (its follow-up over): the intervention is closed all the same, and
// the failure is left in the log for UST.
func (c *interventionCase) tellEnrolmentCase(ctx workflow.Context, note string) {
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	err := workflow.SignalExternalWorkflow(ctx, enrolment.WorkflowID(c.input.CaseID), "", SignalSchoolChange,
		SchoolChange{InterventionID: id, Note: note}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("Could not tell the enrolment case of a school change", "CaseID", c.input.CaseID, "InterventionID", id, "Error", err)
	}
}
