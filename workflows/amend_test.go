package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/workflows"
)

// fullForm fills in the fields of the full form on the harness's first-slice request,
// as a filing through the app would have them.
func fullForm(h *harness) {
	r := &h.input.Request
	r.Minor.Sex, r.Minor.Citizenship, r.Minor.CodiceFiscale = "F", "UA", "12345678903"
	r.Languages = []string{"uk"}
	r.Guardian = enrolment.Guardian{Name: "Iryna Kovalenko", Phone: "+39 333 1234567"}
	r.Residence.Address = "Via Padova 1"
	h.input.RequestHash = r.Hash()
}

// amendment is the request of h corrected by change, sent by actor for reason.
func amendment(h *harness, actor casework.Org, reason string, change func(*enrolment.Request)) workflows.AmendInput {
	r := h.input.Request
	r.Languages = append([]string(nil), r.Languages...)
	change(&r)
	return workflows.AmendInput{Actor: actor, Request: r, Reason: reason}
}

func TestAmendCodiceFiscaleTellsTheHubAndKeepsTheTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fullForm(h)
	fixed := h.at(time.Hour, workflows.UpdateAmend, amendment(h, milano, "definitive_codice_fiscale", func(r *enrolment.Request) {
		r.Minor.CodiceFiscale = "RSSMRA85T10A562S"
	}))
	var before, after workflows.State
	h.check(30*time.Minute, func() { before = h.state() })
	h.check(2*time.Hour, func() { after = h.state() })
	h.finish(3 * time.Hour)
	h.run()

	requireApplied(t, fixed)
	require.Equal(t, casework.StageAwaitingProposal, after.Stage)
	require.Equal(t, before.Task.DueAt, after.Task.DueAt, "a correction that does not move the case keeps the hub's deadline")
	last := after.Timeline[len(after.Timeline)-1]
	require.Equal(t, casework.EventAmended, last.Kind)
	require.Equal(t, milano, last.Actor)
	require.Equal(t, "definitive_codice_fiscale:minor.codiceFiscale", last.Reason, "the fields by name, never their values")
	require.Equal(t, []string{"case_assigned", "case_amended"}, h.noticesTo(hubPolo1))
	require.Len(t, h.amended, 1)
	require.Equal(t, "RSSMRA85T10A562S", h.amended[0].Request.Minor.CodiceFiscale)
	require.Equal(t, last.Seq, h.amended[0].Seq, "the read model's write carries the correction's number")
	require.False(t, h.amended[0].Suggest, "the birth date did not change")
	require.Len(t, h.routes, 1, "not routed again")
	require.Equal(t, last.Seq, h.lastSaved().Seq)
}

func TestAmendBirthDateSuggestsTheClassAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fullForm(h)
	h.suggest = func(r enrolment.Request) activities.AmendCaseResult {
		require.Equal(t, "2019-04-12", r.Minor.BirthDate)
		return activities.AmendCaseResult{SuggestedLevel: "primaria", SuggestedYear: 2}
	}
	fixed := h.at(time.Hour, workflows.UpdateAmend, amendment(h, casework.UST, "typo", func(r *enrolment.Request) {
		r.Minor.BirthDate = "2019-04-12"
	}))
	var s workflows.State
	h.check(2*time.Hour, func() { s = h.state() })
	h.finish(3 * time.Hour)
	h.run()

	requireApplied(t, fixed)
	require.True(t, h.amended[0].Suggest)
	require.Equal(t, 2, s.Year, "the class follows the corrected age")
	require.Equal(t, 2, h.lastSaved().Year)
}

func TestAmendLevelDropsTheProposalAndReroutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fullForm(h)
	h.at(time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	moved := h.at(2*time.Hour, workflows.UpdateAmend, amendment(h, milano, "new_information", func(r *enrolment.Request) {
		r.Level = enrolment.LevelSecondariaSecondoGrado
	}))
	var s workflows.State
	h.check(3*time.Hour, func() { s = h.state() })
	h.finish(4 * time.Hour)
	h.run()

	requireApplied(t, moved)
	require.Equal(t, casework.StageAwaitingProposal, s.Stage)
	require.Nil(t, s.Proposal, "the proposal for the old level is dropped")
	require.Equal(t, hubCTI21, s.Hub)
	require.Equal(t, "secondaria_secondo_grado", s.Level)
	require.Equal(t, hubCTI21, s.Task.Owner)
	require.Equal(t, 0, s.Year, "no class of the new level was suggested")
	containsInOrder(t, kinds(s.Timeline), casework.EventProposed, casework.EventAmended, casework.EventRouted)
	require.Equal(t, []string{"proposal", "case_amended"}, h.noticesTo(school(schoolA)))
	require.Equal(t, []string{"case_assigned", "case_reassigned"}, h.noticesTo(hubPolo1))
	require.Equal(t, []string{"case_assigned"}, h.noticesTo(hubCTI21))
	require.Equal(t, "secondaria_secondo_grado", h.routes[len(h.routes)-1].Level)
}

func TestAmendMunicipioWithoutAHubGoesToUST(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fullForm(h)
	moved := h.at(time.Hour, workflows.UpdateAmend, amendment(h, milano, "typo", func(r *enrolment.Request) {
		r.Residence.Municipio = 8 // no Polo START of the fake data covers it
	}))
	var s workflows.State
	h.check(2*time.Hour, func() { s = h.state() })
	h.finish(3 * time.Hour)
	h.run()

	requireApplied(t, moved)
	require.Equal(t, casework.StageUnrouted, s.Stage)
	require.Equal(t, 8, s.Municipio)
	require.True(t, s.Escalated)
	require.Equal(t, []string{"case_assigned", "case_reassigned"}, h.noticesTo(hubPolo1))
	require.Contains(t, h.noticesTo(casework.UST), "case_unrouted")
}

func TestAmendIsRefusedToOthersAndOnWrongInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fullForm(h)
	fix := func(r *enrolment.Request) { r.Minor.GivenName = "Olena Maria" }
	hub := h.at(time.Hour, workflows.UpdateAmend, amendment(h, hubPolo1, "typo", fix))
	otherComune := h.at(time.Hour, workflows.UpdateAmend, amendment(h, casework.Org{Kind: casework.OrgComune, Code: "015209"}, "typo", fix))
	noReason := h.at(time.Hour, workflows.UpdateAmend, amendment(h, milano, "", fix))
	otherNoNote := h.at(time.Hour, workflows.UpdateAmend, amendment(h, milano, "other", fix))
	nothing := h.at(time.Hour, workflows.UpdateAmend, amendment(h, milano, "typo", func(*enrolment.Request) {}))
	badCF := h.at(time.Hour, workflows.UpdateAmend, amendment(h, milano, "typo", func(r *enrolment.Request) { r.Minor.CodiceFiscale = "RSSMRA85T10A562T" }))
	comune := h.at(time.Hour, workflows.UpdateAmend, amendment(h, milano, "typo", func(r *enrolment.Request) {
		r.Comune, r.Residence.Municipio = "015209", 0
	}))
	h.at(2*time.Hour, workflows.UpdatePropose, propose(hubPolo1, schoolA))
	h.at(3*time.Hour, workflows.UpdateDecide, workflows.DecideInput{Actor: school(schoolA), Accept: true, Section: "B", StartDate: "2026-11-30"})
	afterEnrolment := h.at(4*time.Hour, workflows.UpdateAmend, amendment(h, milano, "typo", func(r *enrolment.Request) { r.Residence.Municipio = 3 }))
	nameAfterEnrolment := h.at(4*time.Hour+time.Minute, workflows.UpdateAmend, amendment(h, milano, "typo", fix))
	h.at(5*time.Hour, workflows.UpdateWithdraw, workflows.WithdrawInput{Actor: casework.UST, Reason: "duplicate"})
	h.finish(6 * time.Hour)
	h.run()

	requireRejected(t, hub, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, otherComune, workflows.ErrTypeNotAllowed, "")
	requireRejected(t, noReason, workflows.ErrTypeInvalid, "reason")
	requireRejected(t, otherNoNote, workflows.ErrTypeInvalid, "note")
	requireRejected(t, nothing, workflows.ErrTypeInvalid, "request")
	requireRejected(t, badCF, workflows.ErrTypeInvalid, "minor.codiceFiscale")
	requireRejected(t, comune, workflows.ErrTypeInvalid, "comune")
	requireRejected(t, afterEnrolment, workflows.ErrTypeInvalid, "residence.municipio")
	requireApplied(t, nameAfterEnrolment)
	require.Len(t, h.amended, 1)
	require.Equal(t, []string{"case_amended"}, h.noticesTo(school(schoolA))[2:], "the school of the placement is told")
}

func TestAmendAfterATransferIsTheNewComunes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fullForm(h)
	sestoOrg := casework.Org{Kind: casework.OrgComune, Code: "015209"}
	h.at(time.Hour, workflows.UpdateTransfer, workflows.TransferInput{Actor: milano, Comune: "015209"})
	moved := func(r *enrolment.Request) { r.Comune, r.Residence.Municipio, r.Notes = "015209", 0, "corretto" }
	oldComune := h.at(2*time.Hour, workflows.UpdateAmend, amendment(h, milano, "typo", moved))
	newComune := h.at(2*time.Hour+time.Minute, workflows.UpdateAmend, amendment(h, sestoOrg, "typo", moved))
	var s workflows.State
	h.check(3*time.Hour, func() { s = h.state() })
	h.finish(4 * time.Hour)
	h.run()

	requireRejected(t, oldComune, workflows.ErrTypeNotAllowed, "")
	requireApplied(t, newComune)
	require.Equal(t, "typo:notes", s.Timeline[len(s.Timeline)-1].Reason)
	require.Equal(t, hubCTI21, s.Hub, "the correction did not move the case")
	require.Equal(t, "21", s.Ambito)
}
