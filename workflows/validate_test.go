package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

// The engine's validation rules (workflows/validate.go), checked on the journey, whose
// copies used to break them: notes were counted in bytes, days in UTC.

// TestJourneyNoteIsCountedInCharacters: 2000 Cyrillic letters (4000 bytes) are a note of
// 2000 characters, accepted; one more is refused, naming the note.
func TestJourneyNoteIsCountedInCharacters(t *testing.T) {
	t.Parallel()
	r := newJourneyRun(t, family())
	longest := strings.Repeat("Ж", 2000)
	tooLong := r.at(time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: shop, Outcome: "no_answer", Note: longest + "Ж"})
	fits := r.at(2*time.Hour, workflows.UpdateJourneyContact, workflows.JourneyContactInput{Actor: shop, Outcome: "no_answer", Note: longest})
	r.env.RegisterDelayedCallback(r.env.CancelWorkflow, 3*time.Hour)
	r.run()
	requireRejected(t, tooLong, workflows.ErrTypeInvalid, "note")
	requireApplied(t, fits)
}

// TestDropoutReportNoteIsCountedInCharacters: the school's dropout report follows the
// same rule as every other note.
func TestDropoutReportNoteIsCountedInCharacters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.at(2*time.Hour, workflows.UpdateDecide, accept(schoolA, "2026-12-01"))
	longest := strings.Repeat("ї", 2000)
	tooLong := h.at(3*time.Hour, workflows.UpdateReportDropoutRisk, workflows.ReportDropoutRiskInput{Actor: school(schoolA), Note: longest + "ї"})
	fits := h.at(4*time.Hour, workflows.UpdateReportDropoutRisk, workflows.ReportDropoutRiskInput{Actor: school(schoolA), Note: longest})
	h.check(5*time.Hour, h.env.CancelWorkflow)
	h.run()
	requireRejected(t, tooLong, workflows.ErrTypeInvalid, "note")
	requireApplied(t, fits)
}

// TestJourneyArrivalIsADayInRome: at half past midnight in Rome it is still yesterday in
// UTC; the family that arrived today, Rome's today, is not "in the future".
func TestJourneyArrivalIsADayInRome(t *testing.T) {
	t.Parallel()
	r := newJourneyRun(t, family())
	r.env.SetStartTime(time.Date(2026, time.November, 23, 0, 30, 0, 0, calendar.Rome))
	tomorrow := r.at(time.Minute, workflows.UpdateJourneyArrival, workflows.JourneyArrivalInput{Actor: shop, Date: "2026-11-24"})
	today := r.at(2*time.Minute, workflows.UpdateJourneyArrival, workflows.JourneyArrivalInput{Actor: shop, Date: "2026-11-23"})
	permessoTomorrow := r.at(3*time.Minute, workflows.UpdateJourneyPermesso, workflows.JourneyPermessoInput{Actor: shop, Date: "2026-11-24"})
	permessoToday := r.at(4*time.Minute, workflows.UpdateJourneyPermesso, workflows.JourneyPermessoInput{Actor: shop, Date: "2026-11-23"})
	r.env.RegisterDelayedCallback(func() {
		s := r.state()
		// The permesso is due PermessoDays after the arrival's midnight in Rome.
		want := time.Date(2026, time.November, 23, 0, 0, 0, 0, calendar.Rome).AddDate(0, 0, worker.DefaultJourneyPolicy.PermessoDays)
		require.True(t, want.Equal(s.PermessoDue), "permesso due %v, want %v", s.PermessoDue, want)
		r.env.CancelWorkflow()
	}, time.Hour)
	r.run()
	requireRejected(t, tomorrow, workflows.ErrTypeInvalid, "date")
	requireApplied(t, today)
	requireRejected(t, permessoTomorrow, workflows.ErrTypeInvalid, "date")
	requireApplied(t, permessoToday)
}

// TestJourneyNullaOstaExpiresFromItsDayInRome: the nulla osta is valid from its day of
// issue in Rome, not from midnight UTC.
func TestJourneyNullaOstaExpiresFromItsDayInRome(t *testing.T) {
	t.Parallel()
	r := newJourneyRun(t, family())
	r.env.RegisterDelayedCallback(func() {
		s := r.state()
		want := time.Date(2026, time.October, 1, 0, 0, 0, 0, calendar.Rome).Add(worker.DefaultJourneyPolicy.NullaOstaValidity)
		require.True(t, want.Equal(s.NullaOstaExpiry), "nulla osta expires %v, want %v", s.NullaOstaExpiry, want)
		r.env.CancelWorkflow()
	}, time.Hour)
	r.run()
}
