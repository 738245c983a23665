package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// renderAs renders page as org with v and returns the body.
func renderAs(t *testing.T, w *Web, org casework.Org, page string, v view) (int, string) {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, "/casi/x", nil)
	c.Set(sessionKey, store.Session{ID: "s", CSRF: "csrf-token", ExpiresAt: time.Now().Add(time.Hour),
		User: store.User{Name: "Maria Rossi", Role: "operator", Organisation: org}})
	w.render(c, http.StatusOK, page, v)
	return rec.Code, rec.Body.String()
}

const testCaseID = "0b5e4c1a-8f1d-4a57-9a43-6b1f2d3c4e5f"

func TestHubAndUSTFormsRender(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	w.deps.TemporalUIURL = "http://127.0.0.1:8233"
	v := app.CaseView{Case: store.Case{ID: testCaseID, Stage: "awaiting_proposal", Level: "primaria", Hub: "cti:22", WorkflowID: "enrolment-" + testCaseID}}
	page := casePage{View: v, Key: "web-k", Hub: &hubForms{Propose: true, Reassign: true, SuggestedYear: 3,
		Schools:    []option{{Value: "MIIC90001A", Label: "IC Padova (MIIC90001A)"}},
		ClassYears: yearOptions(5), Hubs: []option{{Value: "polo_start:polo-1", Label: "Polo START 1"}}},
		UST: &ustForms{WorkflowLink: w.workflowLink(v.Case.WorkflowID)}}
	code, body := renderAs(t, w, casework.UST, "case", view{Data: page,
		Errors: map[string]string{"proposta.school": "non ha il livello primaria"}, Values: map[string]string{"proposta.note": "nota scritta"}})
	require.Equal(t, http.StatusOK, code, body)
	for _, want := range []string{
		`action="/casi/` + testCaseID + `/proposta"`, `name="proposta.school"`, `value="MIIC90001A"`, `name="key" value="web-k-proposta"`,
		`for="f-proposta-school"`, `non ha il livello primaria`, `nota scritta`, `name="csrf" value="csrf-token"`,
		`action="/casi/` + testCaseID + `/riassegnazione"`, `value="polo_start:polo-1"`, `name="key" value="web-k-riassegnazione"`,
		`http://127.0.0.1:8233/namespaces/default/workflows/enrolment-` + testCaseID,
	} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, "/ritiro-proposta", "no proposal to withdraw yet")
	require.NotContains(t, body, "style=")
}

func TestSchoolFormsRender(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	v := app.CaseView{Case: store.Case{ID: testCaseID, Stage: "awaiting_decision", Level: "primaria", School: "MIIC90001A", Year: 2}}
	f := schoolFormsFor(w, casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}, v)
	require.NotNil(t, f)
	require.Nil(t, schoolFormsFor(w, casework.Org{Kind: casework.OrgSchool, Code: "MIIC90002A"}, v), "another school decides nothing")
	code, body := renderAs(t, w, casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}, "case", view{Data: casePage{View: v, Key: "web-k", School: f}})
	require.Equal(t, http.StatusOK, code, body)
	for _, want := range []string{`id="form-accetta"`, `id="form-rifiuta"`, `name="decisione" value="accetta"`, `name="decisione" value="rifiuta"`,
		`type="date"`, `name="accetta.section"`, `Nessun posto disponibile`, `proposta: 2ª`} {
		require.Contains(t, body, want)
	}

	enrolled := app.CaseView{Case: store.Case{ID: testCaseID, Stage: "enrolled", Level: "primaria",
		Placement: &casework.Placement{School: "MIIC90001A"}, Task: &casework.Task{Kind: casework.TaskConfirmAttendance}}}
	f = schoolFormsFor(w, casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}, enrolled)
	require.True(t, f.Attendance && f.Dropout)
	_, body = renderAs(t, w, casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}, "case", view{Data: casePage{View: enrolled, Key: "web-k", School: f}})
	require.Contains(t, body, `action="/casi/`+testCaseID+`/frequenza"`)
	require.Contains(t, body, `action="/casi/`+testCaseID+`/segnalazione-dispersione"`)
	require.Contains(t, body, `<legend`)
}

func TestDirectPageRenders(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	d := directData{ClassYears: yearOptions(5), Comuni: []option{{Value: "015146", Label: "Milano (015146)"}},
		Levels: []option{{Value: "primaria", Label: "Scuola primaria"}}, Sexes: []option{{Value: "F", Label: "Femmina"}}}
	code, body := renderAs(t, w, casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}, "direct", view{Data: d,
		Values: map[string]string{"request.requestId": "rid-1"}, Errors: map[string]string{"placement.startDate": "non è una data valida"}})
	require.Equal(t, http.StatusOK, code, body)
	for _, want := range []string{`action="/casi/iscrizione-diretta"`, `name="request.requestId" value="rid-1"`, `name="request.minor.givenName"`,
		`name="placement.section"`, `id="f-placement-startDate"`, `non è una data valida`, `value="015146"`} {
		require.Contains(t, body, want)
	}
}

func TestUSTErasureFormShowsOnAClosedCaseOnly(t *testing.T) {
	t.Parallel()
	w := testWeb(t)
	form := func(v app.CaseView) *ustForms {
		t.Helper()
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Set(sessionKey, store.Session{User: store.User{Organisation: casework.UST}})
		f, err := w.ustActions(c, v)
		require.NoError(t, err)
		return f.(*ustForms)
	}
	closed := app.CaseView{Case: store.Case{ID: testCaseID, Stage: "withdrawn", MinorGivenName: "Olena", MinorFamilyName: "Kovalenko"}}
	require.True(t, form(closed).Erase)
	require.False(t, form(app.CaseView{Case: store.Case{ID: testCaseID, Stage: "enrolled", MinorGivenName: "Olena"}}).Erase, "open")
	require.False(t, form(app.CaseView{Case: store.Case{ID: testCaseID, Stage: "completed"}}).Erase, "pseudonymised already")
	require.False(t, form(app.CaseView{Case: closed.Case, Timeline: []casework.Event{{Kind: casework.EventPersonalDataErased}}}).Erase, "erased already")

	code, body := renderAs(t, w, casework.UST, "case", view{Data: casePage{View: closed, Key: "web-k", UST: form(closed)},
		Errors: map[string]string{"cancellazione.reason": "è obbligatorio"}})
	require.Equal(t, http.StatusOK, code, body)
	for _, want := range []string{`action="/casi/` + testCaseID + `/cancellazione"`, `name="cancellazione.reason"`,
		`for="f-cancellazione-reason"`, `è obbligatorio`, `name="csrf" value="csrf-token"`, `Cancella i dati personali`} {
		require.Contains(t, body, want)
	}
}
