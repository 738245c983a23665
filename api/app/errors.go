package app

import (
	"errors"
	"strings"
)

// Subject names what an action or a read was about, so that a door can say "case not
// found" rather than "not found".
type Subject string

// The subjects.
const (
	SubjectCase         Subject = "case"
	SubjectJourney      Subject = "journey"
	SubjectIntervention Subject = "intervention"
)

// FieldError is one wrong field: its name as the JSON API spells it (minor.birthDate) and
// the reason, in Italian, for the person who typed it.
type FieldError struct {
	Field  string
	Reason string
}

// InvalidError is input that cannot be accepted as it is, before anything was sent or
// stored. Every wrong field is listed at once.
type InvalidError struct {
	Fields []FieldError
}

func (e *InvalidError) Error() string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = f.Field
	}
	return "invalid fields: " + strings.Join(names, ", ")
}

// Invalid returns an InvalidError for one field.
func Invalid(field, reason string) error {
	return &InvalidError{Fields: []FieldError{{Field: field, Reason: reason}}}
}

// Required is the InvalidError of a missing field.
func Required(field string) error { return Invalid(field, "è obbligatorio") }

// NotFoundError is a subject that does not exist or that the caller may not see: the
// two are answered alike, so that its existence is not confirmed.
type NotFoundError struct {
	Subject Subject
}

func (e *NotFoundError) Error() string { return string(e.Subject) + " not found" }

// Refusal is why an action was refused after it reached its subject.
type Refusal string

// The refusals.
const (
	// RefusedNotAllowed: the caller sees the subject but may not take this action.
	RefusedNotAllowed Refusal = "not_allowed"
	// RefusedWrongStage: the action does not fit the subject's stage now.
	RefusedWrongStage Refusal = "wrong_stage"
	// RefusedInvalid: a value does not fit this subject (Field says which).
	RefusedInvalid Refusal = "invalid"
	// RefusedClosed: the subject is closed and takes no more actions.
	RefusedClosed Refusal = "closed"
)

// RefusedError is an action the subject refused; nothing changed. Message says why, in
// Italian, as the workflow's validator put it.
type RefusedError struct {
	Subject Subject
	Reason  Refusal
	Message string
	// Field is the wrong field of a RefusedInvalid, with its reason in Message.
	Field string
}

func (e *RefusedError) Error() string {
	return string(e.Subject) + " refused the action (" + string(e.Reason) + "): " + e.Message
}

// ErrRequestConflict is a requestId used before for a request with other data.
var ErrRequestConflict = errors.New("request ID reused for a different request")

// ErrClosedUnrecorded is a request whose case was closed before it was recorded.
var ErrClosedUnrecorded = errors.New("case closed before it was recorded")

// ErrNoReferenceData means no reference data was ever imported: nothing can be routed,
// which is the service being unavailable rather than the caller's mistake.
var ErrNoReferenceData = errors.New("no reference data imported")

// ErrUnavailable wraps a dependency that is down or too slow; retrying the same request
// is safe.
var ErrUnavailable = errors.New("service unavailable")
