package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// TestUSTFiltersTheListAsTheAPIDoes: UST's list has the API's filters (stage, overdue,
// escalated, hub, comune, school), kept in the next page's address; a comune's has no
// territory filters.
func TestUSTFiltersTheListAsTheAPIDoes(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	w := testWeb(t)
	render := func(org casework.Org, page caseListPage) string {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodGet, "/casi", nil)
		c.Set(sessionKey, store.Session{CSRF: "x", ExpiresAt: time.Now().Add(time.Hour), User: store.User{Name: "N", Organisation: org}})
		w.render(c, http.StatusOK, "cases", view{Data: page})
		require.Equal(t, http.StatusOK, rec.Code)
		return rec.Body.String()
	}
	ust := render(casework.UST, caseListPage{ShowTerritoryFilters: true, Hub: "cti:22", Comune: "015146", School: "MIIC90001A",
		Escalated: true, Hubs: []option{{Value: "cti:22", Label: "CTI 22"}}})
	for _, want := range []string{`id="f-hub"`, `<option value="cti:22" selected>CTI 22</option>`, `id="f-comune"`, `value="015146"`,
		`id="f-scuola"`, `value="MIIC90001A"`, `id="f-segnalati" name="segnalati" value="1" checked`} {
		require.Contains(t, ust, want)
	}
	comune := render(casework.Org{Kind: casework.OrgComune, Code: "015146"}, caseListPage{})
	require.NotContains(t, comune, `id="f-hub"`)
	require.Contains(t, comune, `id="f-segnalati"`)

	escalated := true
	href := listHref(store.CaseFilter{Stage: casework.StageAwaitingProposal, Escalated: &escalated, Hub: "cti:22", Comune: "015146", School: "MIIC90001A"}, "abc")
	u, err := url.Parse(href)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, "awaiting_proposal", q.Get("fase"))
	require.Equal(t, "1", q.Get("segnalati"))
	require.Equal(t, "cti:22", q.Get("hub"))
	require.Equal(t, "015146", q.Get("comune"))
	require.Equal(t, "MIIC90001A", q.Get("scuola"))
	require.Equal(t, "abc", q.Get("cursore"))
}
