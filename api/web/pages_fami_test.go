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
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/reunification/intake"
	"github.com/approdo/approdo/internal/store"
)

func renderFami(t *testing.T, w *Web, org casework.Org, role, page string, v view) string {
	t.Helper()
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	c.Set(sessionKey, store.Session{ID: "s", CSRF: "csrf-token", ExpiresAt: time.Now().Add(time.Hour),
		User: store.User{Name: "Operatrice", Role: role, Organisation: org}})
	w.render(c, http.StatusOK, page, v)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return rec.Body.String()
}

// TestFamiPagesRenderWithSampleData renders each FAMI page with data, without a database.
func TestFamiPagesRenderWithSampleData(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	w := testWeb(t)
	w.app = app.New(app.Options{})
	shop := casework.Org{Kind: casework.OrgOneStopShop, Code: "milano"}
	pref := casework.Org{Kind: casework.OrgPrefettura, Code: "milano"}
	now := time.Now()

	p := w.newFamiliesPage()
	p.Rejected = rejectedRows([]intake.RejectedFamily{{Reference: "R-2", Lines: []int{3}, Errors: []intake.RowError{{Line: 3, Column: "data_nascita", Reason: "non è una data"}}}})
	body := renderFami(t, w, pref, "operator", "families", view{Data: p, Errors: map[string]string{"members[1].birthDate": "è obbligatoria"}})
	require.Contains(t, body, `id="errori-file"`)
	require.Contains(t, body, "data_nascita")
	require.Contains(t, body, `name="members[3].givenName"`, "four member rows")
	require.Contains(t, body, `id="f-members-1-birthDate-errore"`, "a member's error is on its row")
	require.Contains(t, body, `href="/famiglie"`, "the Prefettura's nav")

	imp := app.ImportView{FamilyImport: store.FamilyImport{ID: "0b0c7a52-8f5e-4f6e-9d0c-2a1f6a9f4c11", Filename: "f.csv", Lines: 3, Families: 2, Started: 1}}
	body = renderFami(t, w, pref, "operator", "family_import", view{Data: importData(imp)})
	require.Contains(t, body, `data-aggiorna="3"`, "a running import's status follows it")
	require.NotContains(t, body, "http-equiv", "the page is not reloaded under its reader (WCAG 2.2.1)")
	imp.Done, imp.Started = true, 2
	require.NotContains(t, renderFami(t, w, pref, "operator", "family_import", view{Data: importData(imp)}), "data-aggiorna=")

	fam := &reunification.Family{Reference: "R-1", Sponsor: reunification.Sponsor{GivenName: "Amina", FamilyName: "Haddad", Comune: "015146"},
		Members: []reunification.Member{{GivenName: "Omar", FamilyName: "Haddad", BirthDate: "2015-03-01", Relation: "child"}},
		Notes:   "Segnalazione — Scuola: IC Padova. Recarsi presso: via Padova 1."}
	j := store.Journey{ID: "5f0e7a52-8f5e-4f6e-9d0c-2a1f6a9f4c11", Stage: "awaiting_arrival", Family: fam, Deadline: now.Add(-time.Hour),
		Children: []casework.JourneyChild{{Member: 0, CaseID: "6f0e7a52-8f5e-4f6e-9d0c-2a1f6a9f4c11", Stage: casework.StageAwaitingProposal}},
		Timeline: []casework.JourneyEvent{{Seq: 1, At: now, Kind: "registered"}}}
	rows := journeyRows([]store.Journey{{ID: "b", Stage: "contacting"}, j}, now)
	require.Equal(t, j.ID, rows[0].ID, "overdue first")
	body = renderFami(t, w, shop, "operator", "journeys", view{Data: journeyListPage{Rows: rows}})
	require.Contains(t, body, "Scaduto")
	body = renderFami(t, w, shop, "operator", "journey", view{Data: w.journeyData(j, nil)})
	for _, want := range []string{`id="form-arrivo"`, `id="form-contatto"`, `id="form-fissa"`, `id="form-colloquio"`, `id="form-permesso"`, `id="form-followup"`, "/casi/6f0e7a52", "via Padova 1"} {
		require.Contains(t, body, want)
	}
	p = w.newFamiliesPage()
	p.ReferralKinds = referralOptions
	require.Contains(t, renderFami(t, w, shop, "operator", "referral", view{Data: p}), `name="referral.address"`)

	in := store.Intervention{InterventionProgress: store.InterventionProgress{ID: "intervention-x", CaseID: j.ID, Stage: casework.InterventionAwaitingTakeCharge,
		Task: &casework.Task{DueAt: now.Add(-time.Hour)}, Events: []casework.Event{{Seq: 1, At: now, Kind: "referred"}}}}
	body = renderFami(t, w, casework.Orientation, "operator", "interventions", view{Data: interventionListPage{Rows: []interventionRow{{Intervention: in, Overdue: true}}}})
	require.Contains(t, body, `href="/interventi/intervention-x"`)
	body = renderFami(t, w, casework.Orientation, "operator", "intervention", view{Data: w.interventionData(in, nil)})
	for _, want := range []string{`id="form-carico"`, `id="form-piano"`, `name="piano.review4"`, `id="form-verifica"`, `id="form-chiusura"`} {
		require.Contains(t, body, want)
	}

	body = renderFami(t, w, pref, store.RoleAdmin, "organisation", view{Data: orgPageData{Secret: "s3cret",
		Users: []orgUser{{User: store.User{ID: "u1", Name: "A", Email: "a@example.org", Role: "admin"}}, {User: store.User{ID: "u2", Name: "B", Role: "operator"}, Self: true}}, Tokens: []orgToken{{Token: store.Token{ID: "t1", Name: "integrazione", Role: "operator", ExpiresAt: now.Add(time.Hour)}}}}})
	require.Contains(t, body, "s3cret")
	require.Contains(t, body, `/organizzazione/token/t1/revoca`)
	require.Contains(t, body, `/organizzazione/persone/u1/disattiva`, "a disable button per person")
	require.NotContains(t, body, `/organizzazione/persone/u2/disattiva`, "but not for the admin itself")
	require.Contains(t, body, `href="/organizzazione"`, "an admin's nav")
}

func TestMemberErrorsLandOnTheirFormRow(t *testing.T) {
	t.Parallel()
	require.Equal(t, "members[2].birthDate", memberRow("members[1].birthDate", []int{0, 2}))
	require.Equal(t, "reference", memberRow("reference", []int{0}))
}
