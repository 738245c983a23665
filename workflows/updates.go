package workflows

import (
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
)

// The Updates through which people act on an enrolment case. Each has a validator: an
// action by the wrong organisation, in the wrong stage or with wrong values is rejected
// before it is written to the history, with an application error of one of the ErrType
// types below.
const (
	// UpdatePropose: the hub (or UST) proposes a school.
	UpdatePropose = "propose"
	// UpdateDecide: the proposed school accepts or rejects.
	UpdateDecide = "decide"
	// UpdateWithdrawProposal: the hub (or UST) takes back its proposal before the school
	// decides.
	UpdateWithdrawProposal = "withdraw_proposal"
	// UpdateReassign: the hub hands the case to another hub, or UST assigns it.
	UpdateReassign = "reassign"
	// UpdateWithdraw: the comune (or UST) withdraws the request. It closes the case.
	UpdateWithdraw = "withdraw"
	// UpdateTransfer: the family moved to another comune; the case is routed again.
	UpdateTransfer = "transfer"
	// UpdateConfirmAttendance: the school answers a follow-up check.
	UpdateConfirmAttendance = "confirm_attendance"
	// UpdateAmend: the comune of residence (or UST) corrects the request; see amend.go.
	UpdateAmend = "amend"
)

// Application error types of rejected Updates. The API turns them into 403, 409 and 422.
const (
	// ErrTypeNotAllowed: the organisation may not take this action on this case.
	ErrTypeNotAllowed = "NotAllowed"
	// ErrTypeWrongStage: the action does not apply to the case's current stage.
	ErrTypeWrongStage = "WrongStage"
	// ErrTypeInvalid: a value is wrong; the error's details hold a FieldProblem.
	ErrTypeInvalid = "InvalidInput"
)

// FieldProblem names the field of an Update's input that was rejected and why, in
// Italian: the API passes it on to the caller.
type FieldProblem struct {
	Field  string
	Reason string
}

// ProposeInput is the argument of UpdatePropose.
type ProposeInput struct {
	Actor casework.Org
	// School is the codice meccanografico of the school proposed.
	School string
	// Level and Year change the class sought; empty and 0 keep the current one.
	Level string
	Year  int
	Note  string
}

// DecideInput is the argument of UpdateDecide.
type DecideInput struct {
	Actor  casework.Org
	Accept bool
	// On acceptance: the class year (0 keeps the proposed one), the section and the first
	// day at school (YYYY-MM-DD).
	Year      int
	Section   string
	StartDate string
	// On rejection: one of casework.RejectionReasons; the note is required for "other".
	Reason string
	Note   string
}

// WithdrawProposalInput is the argument of UpdateWithdrawProposal.
type WithdrawProposalInput struct {
	Actor casework.Org
	Note  string
}

// ReassignInput is the argument of UpdateReassign.
type ReassignInput struct {
	Actor casework.Org
	// Hub is the CTI or Polo START that takes the case.
	Hub  casework.Org
	Note string
}

// WithdrawInput is the argument of UpdateWithdraw.
type WithdrawInput struct {
	Actor casework.Org
	// Reason is one of casework.WithdrawalReasons; the note is required for "other".
	Reason string
	Note   string
}

// TransferInput is the argument of UpdateTransfer.
type TransferInput struct {
	Actor casework.Org
	// Comune is the ISTAT code of the new comune of residence; Municipio is required when
	// it is Milano.
	Comune    string
	Municipio int
	Note      string
}

// AmendInput is the argument of UpdateAmend.
type AmendInput struct {
	Actor casework.Org
	// Request is the whole request as corrected, normalised and validated by the app as a
	// filing is. Its RequestID and Comune are the case's: a move is a transfer, not a
	// correction.
	Request enrolment.Request
	// Reason is one of casework.AmendmentReasons; the note is required for "other".
	Reason string
	Note   string
}

// AttendanceInput is the argument of UpdateConfirmAttendance.
type AttendanceInput struct {
	Actor     casework.Org
	Attending bool
	Note      string
}

// Result is the one shape of the answer to every action Update of the three long
// workflows (all but register): the stage after the action and the number of the newest
// event, which the caller can wait for in the read model.
type Result[S ~string] struct {
	Stage S
	Seq   int64
}

// ActionResult answers an action on an enrolment case.
type ActionResult = Result[casework.Stage]

// DirectEnrolment starts a case that a school enrolled on its own: the case begins as
// enrolled, is counted in monitoring and is followed up like any other.
type DirectEnrolment struct {
	School    string
	Year      int
	Section   string
	StartDate string
}
