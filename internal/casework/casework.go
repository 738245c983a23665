// Package casework is the vocabulary an enrolment case is worked in, shared by the
// workflow, its activities, the store and the API: the organisations that act on a case,
// its stages, the task it waits on, the events of its timeline and the policy that sets
// its deadlines.
//
// Nothing here holds personal data of the minor: organisations, stages and events are
// codes, which is what lets them go into search attributes, logs and the read model's
// filter columns.
package casework

import (
	"fmt"
	"strings"
	"time"
)

// OrgKind is the kind of organisation that acts on a case.
type OrgKind string

// The kinds of organisation.
const (
	OrgComune    OrgKind = "comune"     // Code: ISTAT code
	OrgCTI       OrgKind = "cti"        // Code: the ambito's code
	OrgPoloStart OrgKind = "polo_start" // Code: the polo's code
	OrgSchool    OrgKind = "school"     // Code: codice meccanografico
	OrgUST       OrgKind = "ust"        // no code: there is one UST
)

// Org is an organisation. Its string form, e.g. "cti:21", "school:MIIC8AB00X" or "ust",
// is what the read model stores and what the HubID search attribute holds.
type Org struct {
	Kind OrgKind
	Code string `json:",omitempty"`
}

// UST is the Ufficio Scolastico Territoriale, which supervises every case.
var UST = Org{Kind: OrgUST}

// String returns the org's stored form.
func (o Org) String() string {
	if o.Kind == "" {
		return ""
	}
	if o.Code == "" {
		// The organisations there is one of: "ust", "orientation", "family".
		return string(o.Kind)
	}
	return string(o.Kind) + ":" + o.Code
}

// IsZero reports whether o names no organisation (an event of the system itself).
func (o Org) IsZero() bool { return o.Kind == "" }

// IsHub reports whether o is a CTI or a Polo START.
func (o Org) IsHub() bool { return o.Kind == OrgCTI || o.Kind == OrgPoloStart }

// ParseOrg reads an org's stored form.
func ParseOrg(s string) (Org, error) {
	switch s {
	case string(OrgUST):
		return UST, nil
	case string(OrgOrientation):
		return Orientation, nil
	}
	kind, code, ok := strings.Cut(s, ":")
	if !ok || code == "" || strings.ContainsAny(code, " :") {
		return Org{}, fmt.Errorf("%q is not an organisation: want kind:code, e.g. cti:21, or ust", s)
	}
	switch OrgKind(kind) {
	case OrgComune, OrgCTI, OrgPoloStart, OrgSchool, OrgOneStopShop, OrgPrefettura:
		return Org{Kind: OrgKind(kind), Code: code}, nil
	}
	return Org{}, fmt.Errorf("%q is not an organisation: unknown kind %q", s, kind)
}

// Stage is the step a case has reached. It is stored, returned by the API and set in the
// Stage search attribute.
type Stage string

// The stages of an enrolment case.
const (
	// StageReceived: the workflow has started; the case is not recorded yet.
	StageReceived Stage = "received"
	// StageRegistered: the case is recorded and is being routed.
	StageRegistered Stage = "registered"
	// StageUnrouted: no hub could be found in the reference data; UST must assign one.
	StageUnrouted Stage = "unrouted"
	// StageAwaitingProposal: the hub has to propose a school.
	StageAwaitingProposal Stage = "awaiting_proposal"
	// StageAwaitingDecision: the proposed school has to accept or reject.
	StageAwaitingDecision Stage = "awaiting_decision"
	// StageEnrolled: the minor has a school seat; attendance is being followed up.
	StageEnrolled Stage = "enrolled"
	// StageCompleted: the follow-up is over. Closed.
	StageCompleted Stage = "completed"
	// StageWithdrawn: the comune or UST withdrew the request. Closed.
	StageWithdrawn Stage = "withdrawn"
)

// Closed reports whether a case at stage s is over.
func (s Stage) Closed() bool { return s == StageCompleted || s == StageWithdrawn }

// TaskKind is what a case waits for somebody to do.
type TaskKind string

// The kinds of task.
const (
	TaskAssignHub         TaskKind = "assign_hub"         // UST, for an unrouted case
	TaskProposeSchool     TaskKind = "propose_school"     // the hub
	TaskDecideProposal    TaskKind = "decide_proposal"    // the proposed school
	TaskConfirmAttendance TaskKind = "confirm_attendance" // the school, at a follow-up
)

// Task is the one thing a case waits for, with its deadline. A case with no task waits
// for time to pass (until its next follow-up) or is closed.
type Task struct {
	Kind  TaskKind
	Owner Org
	// Since is when the task was opened; DueAt is its deadline (the end of the last
	// working day allowed); ReminderAt is when the owner is reminded, zero for no reminder.
	Since      time.Time
	DueAt      time.Time
	ReminderAt time.Time `json:",omitzero"`
	Reminded   bool      `json:",omitempty"`
	// Escalated is set when the deadline passed with the task still open.
	Escalated bool `json:",omitempty"`
}

// Overdue reports whether the task's deadline has passed at now.
func (t Task) Overdue(now time.Time) bool { return !t.DueAt.IsZero() && !now.Before(t.DueAt) }

// EventKind is what happened to a case, as its timeline shows.
type EventKind string

// The kinds of event.
const (
	EventFiled               EventKind = "filed"
	EventRouted              EventKind = "routed"
	EventRoutingFailed       EventKind = "routing_failed"
	EventProposed            EventKind = "proposed"
	EventProposalWithdrawn   EventKind = "proposal_withdrawn"
	EventAccepted            EventKind = "accepted"
	EventRejected            EventKind = "rejected"
	EventReassigned          EventKind = "reassigned"
	EventTransferred         EventKind = "transferred"
	EventWithdrawn           EventKind = "withdrawn"
	EventReminderSent        EventKind = "reminder_sent"
	EventEscalated           EventKind = "escalated"
	EventEnrolledDirectly    EventKind = "enrolled_directly"
	EventFollowUpDue         EventKind = "follow_up_due"
	EventAttendanceConfirmed EventKind = "attendance_confirmed"
	EventNotAttending        EventKind = "not_attending"
	EventNoAttendanceAnswer  EventKind = "no_attendance_answer"
	EventDropoutReferral     EventKind = "dropout_referral"
	EventCompleted           EventKind = "completed"
	// EventNoticeUndelivered: a notice about the case did not reach its recipient; Reason
	// is the notice's kind, Note why (a PEC receipt's type, no receipt, refused).
	EventNoticeUndelivered EventKind = "notice_undelivered"
	// EventSchoolChange: an intervention of the orientation service found the pupil must
	// change school; School is the school left, and the case is back with its hub.
	EventSchoolChange EventKind = "school_change"
	// EventPersonalDataErased: UST erased the closed case's personal data on request;
	// Note is the reason it gave.
	EventPersonalDataErased EventKind = "personal_data_erased"
	// EventAmended: the comune or UST corrected the request. Reason is one of
	// AmendmentReasons followed by the names of the fields corrected, never their values
	// ("typo:minor.birthDate,level"; see AmendmentReason); Note is the actor's
	// explanation.
	EventAmended EventKind = "amended"
)

// Event is one entry of a case's timeline. Seq numbers a case's events from 1 and never
// repeats, which is what makes writing them to the read model idempotent.
type Event struct {
	Seq   int64
	At    time.Time
	Kind  EventKind
	Actor Org `json:",omitzero"`
	// Hub and School are the organisations the event is about, in stored form.
	Hub    string `json:",omitempty"`
	School string `json:",omitempty"`
	// Reason is a code (a rejection reason, an escalation cause); Note is free text written
	// by the actor, which only organisations working on the case read.
	Reason string `json:",omitempty"`
	Note   string `json:",omitempty"`
}

// Placement is the seat a minor got.
type Placement struct {
	School  string // codice meccanografico
	Level   string
	Year    int
	Section string
	// StartDate is the first day at school, YYYY-MM-DD.
	StartDate string
	// Direct is true when the school enrolled the minor on its own.
	Direct bool `json:",omitempty"`
}

// Escalation causes, in Event.Reason and the read model.
const (
	EscalationDeadline      = "deadline_missed"
	EscalationProposalLimit = "proposal_limit_reached"
	EscalationUnrouted      = "no_hub_found"
	// EscalationNoticeUndelivered: a notice (a PEC to the comune, say) was not delivered.
	EscalationNoticeUndelivered = "notice_not_delivered"
)

// Rejection reasons a school may give.
var RejectionReasons = []string{
	"no_seats",            // no seat left in a suitable class
	"level_not_taught",    // the school does not teach the class sought
	"support_unavailable", // the support the minor needs is not available
	"other",               // explained in the note, which is then required
}

// Withdrawal reasons a comune may give.
var WithdrawalReasons = []string{
	"moved_abroad",
	"enrolled_elsewhere", // e.g. a private school
	"duplicate",
	"family_declined",
	"other",
}

// Amendment reasons the comune or UST may give when correcting a request.
var AmendmentReasons = []string{
	"definitive_codice_fiscale", // the provisional codice fiscale became definitive
	"typo",                      // a mistake in what was typed
	"new_information",           // the family brought documents or news
	"other",                     // explained in the note, which is then required
}

// AmendmentReason is the Reason of an EventAmended: the reason code, a colon and the
// names of the fields corrected, comma-separated.
func AmendmentReason(code string, fields []string) string {
	return code + ":" + strings.Join(fields, ",")
}

// SplitAmendmentReason undoes AmendmentReason.
func SplitAmendmentReason(reason string) (code string, fields []string) {
	code, list, _ := strings.Cut(reason, ":")
	if list != "" {
		fields = strings.Split(list, ",")
	}
	return code, fields
}

// OrgOrientation is the orientation service ("Cerco Offro Scuola") that takes dropout-risk
// referrals. There is one, so it has no code.
const OrgOrientation OrgKind = "orientation"

// Orientation is the orientation service.
var Orientation = Org{Kind: OrgOrientation}

// The organisations of the reunification journey. They act on its own workflow (a later
// issue) and see no enrolment case until then.
const (
	// OrgOneStopShop is the Comune di Milano's one-stop shop (FAMI Azione 2).
	OrgOneStopShop OrgKind = "one_stop_shop"
	// OrgPrefettura is a Prefettura's Sportello Unico per l'Immigrazione, a system that
	// sends reunification data.
	OrgPrefettura OrgKind = "prefettura"
)

// OneStopShop is the one-stop shop: the Comune di Milano's. The journeys, the families'
// files and the cases the journeys open are this organisation's, not any of its kind's
// (the database names the same one: approdo_one_stop_shop(), migration 00021).
var OneStopShop = Org{Kind: OrgOneStopShop, Code: "milano"}

// OrgFamily is the minor's family, as a recipient of notices: the sender finds the
// guardian's contact and language on the case.
const OrgFamily OrgKind = "family"

// Family is the family of the case's minor.
var Family = Org{Kind: OrgFamily}

// Policy is the configurable part of how a case is worked: its deadlines, its limit of
// proposals and its follow-up calendar. The worker reads it from its configuration and
// each case records it when it starts, so a change of configuration applies to new cases
// and never reshuffles the deadlines of a running one.
type Policy struct {
	// ProposalDays is how many working days the hub has to propose a school.
	ProposalDays int
	// DecisionDays is how many working days the school has to accept or reject.
	DecisionDays int
	// ReminderDays is how many working days before a deadline its owner is reminded;
	// 0 sends no reminder.
	ReminderDays int
	// MaxProposals is how many schools a hub may propose for a case before it escalates
	// to UST.
	MaxProposals int
	// FollowUpDays are the attendance checks, in calendar days after the start date.
	FollowUpDays []int
	// AttendanceDays is how many working days the school has to answer a check.
	AttendanceDays int
	// LocalHolidays are holidays on top of the national ones (Milan's 7 December) for
	// a case routed before routing returned the offices' own calendars (Calendars).
	LocalHolidays []MonthDay
	// DemoDeadline, when set, replaces every working-day deadline with this fixed
	// duration (the reminder falls half-way). It exists so that a demonstration or an
	// end-to-end test can watch a case go overdue and escalate in minutes; production
	// leaves it at zero.
	DemoDeadline time.Duration `json:",omitempty"`
}

// MonthDay is a holiday that falls on the same day every year; it mirrors
// calendar.MonthDay so that this package stays free of the holiday library.
type MonthDay struct {
	Month time.Month
	Day   int
}
