package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/store"
)

// sampleCaseData is the Data of the case pages for the render tests: a case with every
// section filled, the comune's forms shown, and a list with one overdue case.
func sampleCaseData(page string) any {
	due := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
	task := &casework.Task{Kind: casework.TaskProposeSchool, Owner: casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}, DueAt: due}
	switch page {
	case "cases":
		return caseListPage{
			Rows: []caseRow{{CaseSummary: store.CaseSummary{ID: "0b6f4f8e-0000-4000-8000-000000000001", Stage: casework.StageAwaitingProposal,
				Comune: "015146", Level: "primaria", Hub: "polo_start:polo-1", Task: task, Escalated: true}, Overdue: true}},
			Stages: []option{{Value: "awaiting_proposal", Label: "In attesa di proposta"}}, Stage: "awaiting_proposal", Overdue: true,
			Next: "/casi?cursore=abc&fase=awaiting_proposal&scaduti=1", FirstHref: "/casi?fase=awaiting_proposal&scaduti=1",
		}
	case "case_new":
		return newCaseForm{Comune: "015146", Levels: []option{{Value: "primaria", Label: "Scuola primaria"}},
			Origins: []option{{Value: "ukrainian_refugee", Label: "Profugo dall'Ucraina"}}, Sexes: []option{{"F", "F"}, {"M", "M"}},
			Municipi: []option{{Value: "2", Label: "Municipio 2"}}}
	}
	c := store.Case{
		ID: "0b6f4f8e-0000-4000-8000-000000000001", FiledBy: "015146", Comune: "015146", Level: "primaria",
		MinorGivenName: "Olena", MinorFamilyName: "Kovalenko", MinorBirthDate: "2017-04-12", Stage: "enrolled",
		MinorSex: "F", MinorCitizenship: "UA", MinorCodiceFiscale: "KVLLNO17D52Z138X", Municipio: 2, Origin: "ukrainian_refugee",
		SpecialNeeds: true, SpecialNeedsNote: "Sostegno linguistico", SuggestedLevel: "primaria", SuggestedYear: 3,
		Details: store.CaseDetails{Languages: []string{"uk", "ru"}, PriorSchoolingYears: 2, LastClassAbroad: "2",
			GuardianName: "Iryna Kovalenko", GuardianPhone: "+39 333 1234567", GuardianLanguage: "uk", ResidenceAddress: "Via Padova 100", Notes: "Nessuna"},
		Hub: "polo_start:polo-1", School: "MIIC90002A", Year: 3, Escalated: true, EscalationReason: "deadline_missed", Task: task,
		Placement: &casework.Placement{School: "MIIC90002A", Level: "primaria", Year: 3, Section: "B", StartDate: "2026-03-09"},
	}
	events := []casework.Event{
		{Seq: 1, At: due, Kind: casework.EventFiled, Actor: casework.Org{Kind: casework.OrgComune, Code: "015146"}},
		{Seq: 2, At: due, Kind: casework.EventRejected, Actor: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}, School: "MIIC90001A", Reason: "no_seats", Note: "Classi piene"},
		{Seq: 3, At: due, Kind: casework.EventEscalated, Hub: "polo_start:polo-1", Reason: "deadline_missed"},
	}
	return casePage{
		View: app.CaseView{Case: c, Timeline: events, FullForm: true}, Now: due.Add(time.Hour), Key: newKey(),
		Comune: comuneForms{Withdraw: true, Transfer: true, Amend: true,
			Reasons: []option{{Value: "other", Label: "Altro"}}, Municipi: []option{{Value: "2", Label: "Municipio 2"}},
			AmendReasons: []option{{Value: "typo", Label: "Errore di digitazione"}},
			Request:      newCaseForm{Levels: []option{{Value: "primaria", Label: "Primaria"}}, Sexes: []option{{Value: "F", Label: "F"}}, Municipi: []option{{Value: "2", Label: "Municipio 2"}}},
		},
		Failed:   &formState{Form: formWithdraw},
		Timeline: []timelineRow{{At: due, Kind: "Richiesta presentata", Actor: "Comune 015146"}, {At: due, Kind: "Proposta rifiutata", School: "MIIC90001A", Reason: "Nessun posto", Note: "Classi piene"}},
	}
}

func TestTheRequestFormBecomesARequest(t *testing.T) {
	t.Parallel()
	form := url.Values{
		"requestId": {" 3F2C1A9E-8D7B-4C6A-9E5F-1A2B3C4D5E6F "}, "comune": {"015146"}, "level": {"primaria"},
		"minor.givenName": {"Olena"}, "minor.familyName": {"Kovalenko"}, "minor.birthDate": {"2017-04-12"},
		"minor.sex": {"F"}, "minor.citizenship": {"ua"}, "minor.codiceFiscale": {""},
		"languages": {"uk, ru;en  ar"}, "priorSchooling.years": {"2"}, "priorSchooling.lastClassAbroad": {"2ª"},
		"specialNeeds.present": {"1"}, "specialNeeds.note": {"Sostegno"},
		"guardian.name": {"Iryna Kovalenko"}, "guardian.phone": {"+39 333 1234567"}, "guardian.email": {""}, "guardian.preferredLanguage": {"uk"},
		"residence.address": {"Via Padova 100"}, "residence.municipio": {"2"}, "origin": {"ukrainian_refugee"}, "notes": {"Arrivata a marzo"},
	}
	r, bad := parseRequestForm(form)
	require.Empty(t, bad)
	require.Equal(t, enrolment.Request{
		RequestID: "3F2C1A9E-8D7B-4C6A-9E5F-1A2B3C4D5E6F", Comune: "015146", Level: enrolment.LevelPrimaria,
		Minor:          enrolment.Minor{GivenName: "Olena", FamilyName: "Kovalenko", BirthDate: "2017-04-12", Sex: "F", Citizenship: "ua"},
		Languages:      []string{"uk", "ru", "en", "ar"},
		PriorSchooling: enrolment.PriorSchooling{Years: 2, LastClassAbroad: "2ª"},
		SpecialNeeds:   enrolment.SpecialNeeds{Present: true, Note: "Sostegno"},
		Guardian:       enrolment.Guardian{Name: "Iryna Kovalenko", Phone: "+39 333 1234567", PreferredLanguage: "uk"},
		Residence:      enrolment.Residence{Address: "Via Padova 100", Municipio: 2},
		Origin:         enrolment.OriginUkrainianRefugee, Notes: "Arrivata a marzo",
	}, r)
	// The request as parsed passes the app's validation as it stands.
	require.NoError(t, r.Normalize().Validate(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)))

	values := requestFormValues(form)
	require.Equal(t, "uk, ru;en  ar", values["languages"], "what was typed is shown again as typed")
	require.NotContains(t, values, "guardian.email")
}

func TestTheRequestFormRefusesNumbersThatAreNot(t *testing.T) {
	t.Parallel()
	r, bad := parseRequestForm(url.Values{"priorSchooling.years": {"tre"}, "residence.municipio": {"2b"}, "languages": {""}})
	require.ElementsMatch(t, []string{"priorSchooling.years", "residence.municipio"}, []string{bad[0].Field, bad[1].Field})
	require.Nil(t, r.Languages)
	require.False(t, r.SpecialNeeds.Present)
}

func TestEveryErrorOfTheRequestLandsOnAnInput(t *testing.T) {
	t.Parallel()
	// Validate an empty request as the app does: every field it names must be an input.
	err := enrolment.Request{Languages: []string{"xx-invalid-tag!"}, Guardian: enrolment.Guardian{}}.Normalize().Validate(time.Now())
	var v *enrolment.ValidationError
	require.ErrorAs(t, err, &v)
	var fields []app.FieldError
	for _, f := range v.Fields {
		fields = append(fields, app.FieldError{Field: f.Field, Reason: f.Reason})
	}
	errs := requestErrors(fields)
	require.NotEmpty(t, errs)
	for name := range errs {
		require.Contains(t, requestFields, name, "error on %s has no input", name)
	}
	labelledErrs := labelled(errs, func(n string) string { return "L(" + n + ")" })
	require.True(t, strings.HasPrefix(labelledErrs["minor.givenName"], "L(minor.givenName): "))
}

func TestEveryRequestInputHasALabelForItsErrors(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	for _, name := range requestFields {
		key := "web.cases.field." + strings.ReplaceAll(name, ".", "_")
		require.True(t, w.catalog.Has(key), key)
	}
	for _, kind := range []casework.EventKind{casework.EventFiled, casework.EventRouted, casework.EventTransferred, casework.EventSchoolChange, casework.EventNoticeUndelivered, casework.EventPersonalDataErased} {
		require.True(t, w.catalog.Has("web.cases.event."+string(kind)), kind)
	}
	for _, r := range casework.WithdrawalReasons {
		require.True(t, w.catalog.Has("web.cases.withdrawal."+r), r)
	}
	for _, o := range enrolment.Origins {
		require.True(t, w.catalog.Has("web.cases.origin."+string(o)), o)
	}
}

// TestTheCasePageShowsTheCaseAndTheComuneForms renders the case page as the comune sees
// it: the sections, the forms with their ids and keys, the timeline in Rome time.
func TestTheCasePageShowsTheCaseAndTheComuneForms(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	w := testWeb(t)
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, "/casi/x", nil)
	c.Set(sessionKey, store.Session{ID: "s", CSRF: "csrf-token", ExpiresAt: time.Now().Add(time.Hour),
		User: store.User{Name: "Maria Rossi", Role: "operator", Organisation: casework.Org{Kind: casework.OrgComune, Code: "015146"}}})
	page := sampleCaseData("case").(casePage)
	page.Timeline = w.timeline(page.View.Timeline)
	w.render(c, http.StatusUnprocessableEntity, "case", view{Data: page, Alert: "Alcuni campi non sono validi",
		Errors: map[string]string{"ritiro.reason": "deve essere uno tra: moved_abroad"}, Values: map[string]string{"ritiro.note": "scritta prima"}})
	body := rec.Body.String()
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, body)
	for _, want := range []string{
		`id="form-ritiro"`, `id="form-trasferimento"`, `name="ritiro.reason"`, `name="trasferimento.comune"`,
		`value="` + page.Key + `-ritiro"`, `value="` + page.Key + `-trasferimento"`,
		`id="form-correzione"`, `name="correzione.minor.codiceFiscale"`, `name="correzione.reason"`, `value="` + page.Key + `-correzione"`,
		"deve essere uno tra: moved_abroad", "scritta prima", `href="#f-ritiro-reason"`,
		"Olena", "Kovalenko", "12/04/2017", "Iscritto presso MIIC90002A, classe 3ª sezione B dal 09/03/2026",
		"Polo START 1", "Scaduta", "Segnalato all&#39;UST", "02/03/2026 18:00", "Proposta rifiutata dalla scuola", "Nessun posto disponibile",
		"Classi piene", "Sostegno linguistico", "Profugo dall&#39;Ucraina",
	} {
		require.Contains(t, body, want)
	}
	require.Equal(t, 1, strings.Count(body, "<h1"), "one h1 per page")
	require.NotContains(t, body, "style=")
}
