package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// formOf reads the fields of one form of the case page from posted values, as
// formGetter does.
func formOf(values url.Values, form string) formValues {
	return func(field string) string { return values.Get(form + "." + field) }
}

func invalidFields(t *testing.T, err error) map[string]string {
	t.Helper()
	var invalid *app.InvalidError
	require.True(t, errors.As(err, &invalid), "want an InvalidError, got %v", err)
	out := map[string]string{}
	for _, f := range invalid.Fields {
		out[f.Field] = f.Reason
	}
	return out
}

var (
	hub    = casework.Org{Kind: casework.OrgCTI, Code: "22"}
	school = casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}
)

func TestHubFormsBuildTheUpdatesInputs(t *testing.T) {
	t.Parallel()
	got, err := parsePropose(hub, formOf(url.Values{"proposta.school": {"MIIC90001A"}, "proposta.classYear": {"3"}, "proposta.note": {"posto in 3B"}}, formPropose))
	require.NoError(t, err)
	require.Equal(t, workflows.ProposeInput{Actor: hub, School: "MIIC90001A", Year: 3, Note: "posto in 3B"}, got)

	got, err = parsePropose(casework.UST, formOf(url.Values{"proposta.school": {"MIIC90001A"}}, formPropose))
	require.NoError(t, err)
	require.Equal(t, workflows.ProposeInput{Actor: casework.UST, School: "MIIC90001A"}, got, "an empty class keeps the suggested one")

	_, err = parsePropose(hub, formOf(url.Values{"proposta.classYear": {"terza"}}, formPropose))
	require.Contains(t, invalidFields(t, err), "classYear")

	got, err = parseWithdrawProposal(hub, formOf(url.Values{"ritiro-proposta.note": {"errore"}}, formWithdrawProposal))
	require.NoError(t, err)
	require.Equal(t, workflows.WithdrawProposalInput{Actor: hub, Note: "errore"}, got)

	got, err = parseReassign(casework.UST, formOf(url.Values{"riassegnazione.hub": {"polo_start:polo-1"}, "riassegnazione.note": {"Milano"}}, formReassign))
	require.NoError(t, err)
	require.Equal(t, workflows.ReassignInput{Actor: casework.UST, Hub: casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}, Note: "Milano"}, got)

	for _, bad := range []string{"", "school:MIIC90001A", "ust", "cti:"} {
		_, err = parseReassign(hub, formOf(url.Values{"riassegnazione.hub": {bad}}, formReassign))
		require.Contains(t, invalidFields(t, err), "hub", bad)
	}
}

func TestSchoolFormsBuildTheUpdatesInputs(t *testing.T) {
	t.Parallel()
	got, err := parseAccept(school, formOf(url.Values{"accetta.classYear": {""}, "accetta.section": {"B"}, "accetta.startDate": {"2026-09-14"}}, formAccept))
	require.NoError(t, err)
	require.Equal(t, workflows.DecideInput{Actor: school, Accept: true, Section: "B", StartDate: "2026-09-14"}, got)

	got, err = parseAccept(school, formOf(url.Values{"accetta.classYear": {"2"}, "accetta.section": {"A"}, "accetta.startDate": {"2026-09-14"}}, formAccept))
	require.NoError(t, err)
	require.Equal(t, 2, got.(workflows.DecideInput).Year)

	_, err = parseAccept(school, formOf(url.Values{"accetta.classYear": {"II"}}, formAccept))
	require.Contains(t, invalidFields(t, err), "classYear")

	got, err = parseReject(school, formOf(url.Values{"rifiuta.reason": {"other"}, "rifiuta.note": {"classe al completo fino a gennaio"}}, formReject))
	require.NoError(t, err)
	require.Equal(t, workflows.DecideInput{Actor: school, Reason: "other", Note: "classe al completo fino a gennaio"}, got)

	got, err = parseAttendance(school, formOf(url.Values{"frequenza.attending": {"si"}}, formAttendance))
	require.NoError(t, err)
	require.Equal(t, workflows.AttendanceInput{Actor: school, Attending: true}, got)
	got, err = parseAttendance(school, formOf(url.Values{"frequenza.attending": {"no"}, "frequenza.note": {"assente da tre settimane"}}, formAttendance))
	require.NoError(t, err)
	require.Equal(t, workflows.AttendanceInput{Actor: school, Note: "assente da tre settimane"}, got)
	_, err = parseAttendance(school, formOf(url.Values{}, formAttendance))
	require.Contains(t, invalidFields(t, err), "attending", "no answer is not «not attending»")

	got, err = parseDropoutReport(school, formOf(url.Values{"dispersione.note": {"assenze frequenti"}}, formDropout))
	require.NoError(t, err)
	require.Equal(t, workflows.ReportDropoutRiskInput{Actor: school, Note: "assenze frequenti"}, got)
}

func TestDirectEnrolmentFormReadsTheRequestAndThePlacement(t *testing.T) {
	t.Parallel()
	form := url.Values{
		"request.requestId": {"9f0b7a52-3c1e-4e8a-9d7b-2f1a6c5e4d3b"}, "request.comune": {"015146"}, "request.level": {"primaria"},
		"request.minor.givenName": {"Olena"}, "request.minor.familyName": {"Kovalenko"}, "request.minor.birthDate": {"2017-04-12"},
		"request.minor.sex": {"F"}, "request.minor.citizenship": {"UA"}, "request.languages": {"uk, ru"},
		"request.guardian.name": {"Iryna Kovalenko"}, "request.guardian.phone": {"+39 333 1234567"},
		"request.residence.address": {"Via Padova 100"}, "request.residence.municipio": {"2"}, "request.origin": {"ukrainian_refugee"},
		"placement.classYear": {"3"}, "placement.section": {"B"}, "placement.startDate": {"2026-09-14"},
	}
	r, p, err := directFromForm(form)
	require.NoError(t, err)
	require.Equal(t, "9f0b7a52-3c1e-4e8a-9d7b-2f1a6c5e4d3b", r.RequestID)
	require.Equal(t, "015146", r.Comune)
	require.Equal(t, "Olena", r.Minor.GivenName)
	require.Equal(t, []string{"uk", "ru"}, r.Languages)
	require.Equal(t, 2, r.Residence.Municipio)
	require.Equal(t, app.Placement{Year: 3, Section: "B", StartDate: "2026-09-14"}, p)

	form.Set("placement.classYear", "terza")
	form.Set("request.residence.municipio", "due")
	_, _, err = directFromForm(form)
	fields := invalidFields(t, err)
	require.Contains(t, fields, "placement.classYear")
	require.Contains(t, fields, "request.residence.municipio")

	// The app's errors land on their inputs, under the form's names.
	errs := directErrors([]app.FieldError{{Field: "request.languages[1]", Reason: "x"}, {Field: "placement.section", Reason: "y"}, {Field: "request.minor.birthDate", Reason: "z"}})
	require.Equal(t, map[string]string{"request.languages": "x", "placement.section": "y", "request.minor.birthDate": "z"}, errs)
}

func TestFailedFormNamesTheFieldsAsTheFormDoes(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	body := url.Values{"csrf": {"x"}, "key": {"web-1-rifiuta"}, "decisione": {"rifiuta"}, "rifiuta.reason": {"other"}, "rifiuta.note": {""}}
	c.Request = httptest.NewRequest(http.MethodPost, "/casi/x/decisione", strings.NewReader(body.Encode()))
	c.Request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	state := failedForm(c, formReject, refusal{Alert: "no", Fields: map[string]string{"note": "è obbligatoria con il motivo «other»"}})
	require.Equal(t, formReject, state.Form)
	require.Equal(t, map[string]string{"rifiuta.note": "è obbligatoria con il motivo «other»"}, state.Errors)
	require.Equal(t, map[string]string{"rifiuta.reason": "other", "rifiuta.note": ""}, state.Values, "only the form's own fields come back")
}
