package casework

import "time"

// This file is the vocabulary of the anti-dropout intervention (FAMI Lab Impact, Azione 1):
// the orientation service's case for a pupil at risk of dropping out, opened from an
// enrolment case's follow-up or from a school's own report. Like the rest of the package it
// holds codes, dates and the service's own notes, never the minor's identity: the
// intervention points at its enrolment case for that.

// InterventionStage is the step an intervention has reached. It is stored, returned by the
// API and set in the Stage search attribute, where its values do not clash with an
// enrolment case's.
type InterventionStage string

// The stages of an intervention. The last three close it, and name its outcome.
const (
	// InterventionAwaitingTakeCharge: the orientation service has to take the referral in
	// charge.
	InterventionAwaitingTakeCharge InterventionStage = "awaiting_take_charge"
	// InterventionTakenInCharge: an operator took it; the interview with the pupil (and
	// the family) is due.
	InterventionTakenInCharge InterventionStage = "taken_in_charge"
	// InterventionInterviewed: the interview took place; a plan is to be agreed.
	InterventionInterviewed InterventionStage = "interviewed"
	// InterventionFollowingUp: a plan is agreed and its reviews are under way.
	InterventionFollowingUp InterventionStage = "following_up"
	// InterventionResolved: the pupil attends again. Closed.
	InterventionResolved InterventionStage = "resolved"
	// InterventionSchoolChange: the pupil is better off at another school; the enrolment
	// case is told. Closed.
	InterventionSchoolChange InterventionStage = "school_change"
	// InterventionDropout: the pupil left school despite the intervention. Closed.
	InterventionDropout InterventionStage = "dropout"
)

// Closed reports whether an intervention at stage s is over.
func (s InterventionStage) Closed() bool {
	return s == InterventionResolved || s == InterventionSchoolChange || s == InterventionDropout
}

// InterventionOutcomes are the outcomes an intervention may close with; each is also the
// stage it closes in.
var InterventionOutcomes = []string{
	string(InterventionResolved),
	string(InterventionSchoolChange),
	string(InterventionDropout),
}

// Why a pupil was referred to the orientation service.
const (
	// ReferralNotAttending: the school answered a follow-up check that the pupil does not
	// attend.
	ReferralNotAttending = "not_attending"
	// ReferralNoAnswer: the school did not answer a follow-up check in time.
	ReferralNoAnswer = "no_answer"
	// ReferralSchoolReport: the school reported the risk on its own.
	ReferralSchoolReport = "school_report"
)

// InterventionID is the ID of the intervention opened by a referral of a case, which is
// also its workflow's ID: one per referral. It carries codes only, as workflow IDs are
// shown in the Temporal UI.
func InterventionID(caseID, referral string) string {
	return "intervention-" + caseID + "-" + referral
}

// ReferralReasons lists the reasons a referral may give.
var ReferralReasons = []string{ReferralNotAttending, ReferralNoAnswer, ReferralSchoolReport}

// The tasks of an intervention; the orientation service owns them all.
const (
	TaskTakeCharge      TaskKind = "take_charge"
	TaskRecordInterview TaskKind = "record_interview"
	// TaskAgreePlan has no deadline: the plan is agreed with the family and the school,
	// at their pace.
	TaskAgreePlan    TaskKind = "agree_plan"
	TaskRecordReview TaskKind = "record_review"
)

// The events of an intervention's timeline. Reminders and escalations use the
// enrolment case's EventReminderSent and EventEscalated.
const (
	// EventInterventionOpened: Reason is the referral's reason, School the school.
	EventInterventionOpened EventKind = "intervention_opened"
	EventTakenInCharge      EventKind = "taken_in_charge"
	// EventInterviewed: Reason is "with_family" or "pupil_only".
	EventInterviewed EventKind = "interviewed"
	EventPlanAgreed  EventKind = "plan_agreed"
	// EventReviewDue: Reason is the review, review_<n> from 1.
	EventReviewDue EventKind = "review_due"
	// EventReviewRecorded: Reason is the review and whether the pupil attends, e.g.
	// review_1:attending or review_2:not_attending.
	EventReviewRecorded EventKind = "review_recorded"
	// EventInterventionClosed: Reason is the outcome.
	EventInterventionClosed EventKind = "intervention_closed"
)

// InterventionInterview is the first meeting of the orientation service with the pupil.
type InterventionInterview struct {
	// Date is the day it took place, YYYY-MM-DD.
	Date       string
	WithFamily bool `json:",omitempty"`
}

// InterventionPlan is what the orientation service agreed with the pupil, the family and
// the school.
type InterventionPlan struct {
	// Actions are short descriptions of what each party does.
	Actions []string
	// ReviewDates are the days the plan is reviewed, YYYY-MM-DD, in order.
	ReviewDates []string
	AgreedAt    time.Time
}

// InterventionReview is one review of the plan: due on its date, then recorded.
type InterventionReview struct {
	// Date is the planned day, YYYY-MM-DD; Due is when its task opens (that morning).
	Date string
	Due  time.Time
	// Opened is set when the task to record it was opened.
	Opened bool `json:",omitempty"`
	// Recorded is set by the orientation service's record, with the day the review was
	// held, whether the pupil attends school, and its note.
	Recorded  bool   `json:",omitempty"`
	HeldOn    string `json:",omitempty"`
	Attending bool   `json:",omitempty"`
	Note      string `json:",omitempty"`
	// Missed is set when its deadline passed before it was recorded (it escalated); it
	// may still be recorded late.
	Missed bool `json:",omitempty"`
}

// InterventionPolicy sets an intervention's deadlines. The worker reads it from its
// configuration and each intervention records it when it opens, so a change applies to
// new interventions only, as with Policy.
type InterventionPolicy struct {
	// TakeChargeDays is how many working days, from the referral, the orientation service
	// has to take it in charge. Default 5.
	TakeChargeDays int
	// InterviewDays is how many working days, from taking charge, it has to hold the
	// interview. Default 10.
	InterviewDays int
	// ReviewDays is how many working days, from a review's date, it has to record the
	// review. Default 5.
	ReviewDays int
	// ReminderDays is how many working days before a deadline the service is reminded;
	// 0 sends no reminder. Default 1.
	ReminderDays int
	// LocalHolidays are holidays on top of the national ones: the orientation service's
	// office is in Milano (7 December).
	LocalHolidays []MonthDay `json:",omitempty"`
	// DemoDeadline, when set, replaces every working-day deadline with this duration (the
	// reminder falls half-way), for demonstrations and end-to-end tests; production leaves
	// it at zero.
	DemoDeadline time.Duration `json:",omitempty"`
}

// DefaultInterventionPolicy is the policy of the orientation service's agreement: five
// working days to take a referral in charge, ten to hold the interview, five to record a
// review, and a reminder the working day before each deadline.
func DefaultInterventionPolicy() InterventionPolicy {
	return InterventionPolicy{TakeChargeDays: 5, InterviewDays: 10, ReviewDays: 5, ReminderDays: 1}
}

// WithDefaults fills the deadlines left at zero with the defaults, so that a worker
// configured without them does not give the service zero days. A policy left wholly at
// zero gets the default reminder too; otherwise ReminderDays 0 stays "no reminder".
func (p InterventionPolicy) WithDefaults() InterventionPolicy {
	d := DefaultInterventionPolicy()
	if p.TakeChargeDays <= 0 && p.InterviewDays <= 0 && p.ReviewDays <= 0 && p.ReminderDays <= 0 && p.DemoDeadline <= 0 {
		d.LocalHolidays = p.LocalHolidays
		return d
	}
	if p.TakeChargeDays <= 0 {
		p.TakeChargeDays = d.TakeChargeDays
	}
	if p.InterviewDays <= 0 {
		p.InterviewDays = d.InterviewDays
	}
	if p.ReviewDays <= 0 {
		p.ReviewDays = d.ReviewDays
	}
	if p.ReminderDays < 0 {
		p.ReminderDays = 0
	}
	return p
}
