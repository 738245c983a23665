package workflows

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/internal/calendar"
)

// This file holds the validation helpers of the case engine, shared by the enrolment
// case, the reunification journey and the intervention. They hold the two rules the
// three used to disagree on:
//
//   - a note is counted in characters (runes), as people count them and as the forms and
//     the API describe it, not in the bytes of its UTF-8 form: 2000 Cyrillic letters are
//     2000 characters, not 4000;
//   - a day (YYYY-MM-DD) is a day in Rome: the offices that record it are in Italy, so
//     "not in the future" means not after today in Rome, also between midnight in Rome
//     and midnight in UTC.
//
// Validators only read the state and the SDK does not run them on replay, so a change to
// these rules needs no GetVersion; a handler that turns a day into a timer does (see
// romeDaysChange).

// maxNoteLength bounds the free-text notes of every action, in characters.
const maxNoteLength = 2000

func notAllowed(msg string) error { return temporal.NewApplicationError(msg, ErrTypeNotAllowed) }
func wrongStage(msg string) error { return temporal.NewApplicationError(msg, ErrTypeWrongStage) }
func invalid(field, reason string) error {
	return temporal.NewApplicationError(field+": "+reason, ErrTypeInvalid, FieldProblem{Field: field, Reason: reason})
}

// checkNote checks a free-text note: at most maxNoteLength characters, and present when
// required (the reason "other" asks for one).
func checkNote(note string, required bool) error {
	switch {
	case required && note == "":
		return invalid("note", "è obbligatoria con il motivo «other»")
	case utf8.RuneCountInString(note) > maxNoteLength:
		return invalid("note", "supera i "+strconv.Itoa(maxNoteLength)+" caratteri")
	}
	return nil
}

// parseDay reads a day, YYYY-MM-DD, as its midnight in Rome.
func parseDay(value string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, value, calendar.Rome)
}

// validDay reports whether value is a day, YYYY-MM-DD.
func validDay(value string) bool {
	_, err := parseDay(value)
	return err == nil
}

// dayInRome is the day, YYYY-MM-DD, that t falls on in Rome.
func dayInRome(t time.Time) string { return t.In(calendar.Rome).Format(time.DateOnly) }

// todayInRome is the day it is now in Rome, by the workflow's clock.
func todayInRome(ctx workflow.Context) string { return dayInRome(workflow.Now(ctx)) }

// isFutureDay reports whether day (a valid YYYY-MM-DD) is after today in Rome. Valid days
// of this layout compare as strings.
func isFutureDay(ctx workflow.Context, day string) bool { return day > todayInRome(ctx) }

// checkHeldOn checks a date of something that happened: YYYY-MM-DD, not after today in
// Rome, not before notBefore (a YYYY-MM-DD, or empty).
func checkHeldOn(ctx workflow.Context, field, value, notBefore string) error {
	if _, err := parseDay(value); err != nil {
		return invalid(field, "è obbligatoria, nel formato AAAA-MM-GG")
	}
	if isFutureDay(ctx, value) {
		return invalid(field, "non può essere nel futuro")
	}
	if value < notBefore {
		return invalid(field, "non può precedere il "+notBefore)
	}
	return nil
}

func joinCodes(codes []string) string { return strings.Join(codes, ", ") }
