package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
)

// TestAccessMatrixOfJourneysAndInterventions is the access matrix of the reunification
// journeys, the bulk imports' readers and the interventions: who gets an answer, who is
// refused (403) and who is not told the thing exists (404). Actions carry a value the
// workflow refuses, so none changes anything (422 means "allowed here").
func TestAccessMatrixOfJourneysAndInterventions(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	orgs := []string{orgUST, orgComune, orgHub, orgSchool, orgPrefettura, orgOneStopShop, orgOrientation, orgNone}

	created := b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", reunifiedFamily("PREF-MATRIX-1"))
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	var j api.JourneyCreated
	require.NoError(t, json.Unmarshal(created.body, &j))
	journey := "/api/v1/reunifications/" + j.Id
	// Another Prefettura using the same reference, for another family, gets a journey of
	// its own: no conflict tells it the reference is taken.
	changed := reunifiedFamily("PREF-MATRIX-1")
	changed["language"] = "fr"
	probe := b.as(t, "prefettura:monza", http.MethodPost, "/api/v1/reunifications", changed)
	require.Equal(t, http.StatusCreated, probe.status, string(probe.body))
	require.NotContains(t, probe.location, j.Id)
	require.Equal(t, http.StatusConflict, b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", changed).status, "its own reference still conflicts")
	// The one-stop shop is one organisation: another of its kind reads nothing of it.
	require.Equal(t, http.StatusForbidden, b.as(t, "one_stop_shop:monza", http.MethodGet, "/api/v1/reunifications", nil).status)
	require.Equal(t, http.StatusNotFound, b.as(t, "one_stop_shop:monza", http.MethodGet, journey, nil).status)
	require.Equal(t, http.StatusNotFound, b.as(t, "one_stop_shop:monza", http.MethodPost, journey+"/contact-attempts", map[string]any{"outcome": "reached"}).status)

	c := b.fileCase(t, validBody())
	b.actOK(t, orgHub, c.Id, "proposal", map[string]any{"school": schoolA})
	b.actOK(t, orgSchool, c.Id, "decision", map[string]any{"accept": true, "section": "B", "startDate": time.Now().Format(time.DateOnly)})
	b.actOK(t, orgSchool, c.Id, "dropout-report", map[string]any{"note": "assenze"})
	intervention := "/api/v1/interventions/intervention-" + c.Id + "-report-1"
	require.Eventually(t, func() bool {
		return b.as(t, orgOrientation, http.MethodGet, intervention, nil).status == http.StatusOK
	}, 30*time.Second, 200*time.Millisecond)

	only := func(status int, allowed map[string]int) map[string]int {
		m := map[string]int{orgNone: http.StatusUnauthorized}
		for _, o := range orgs[:len(orgs)-1] {
			m[o] = status
		}
		for o, s := range allowed {
			m[o] = s
		}
		return m
	}
	tooLong := strings.Repeat("x", 2001)
	cells := []struct {
		method, path string
		body         any
		want         map[string]int
	}{
		{"GET", "/api/v1/reunifications", nil, only(403, map[string]int{orgOneStopShop: 200})},
		{"GET", "/api/v1/reunifications/counts", nil, only(403, map[string]int{orgUST: 200, orgOneStopShop: 200})},
		{"GET", journey, nil, only(404, map[string]int{orgOneStopShop: 200})},
		{"POST", "/api/v1/reunifications", map[string]any{}, only(403, map[string]int{orgPrefettura: 400, orgOneStopShop: 400})},
		{"POST", journey + "/contact-attempts", map[string]any{"outcome": "reached", "note": tooLong}, only(404, map[string]int{orgOneStopShop: 422})},
		{"POST", journey + "/arrival", map[string]any{"date": "2030-01-01"}, only(404, map[string]int{orgOneStopShop: 422})},
		{"GET", "/api/v1/interventions", nil, only(403, map[string]int{orgOrientation: 200})},
		{"GET", "/api/v1/interventions/counts", nil, only(403, map[string]int{orgUST: 200, orgOrientation: 200})},
		{"GET", intervention, nil, only(404, map[string]int{orgOrientation: 200, orgUST: 200})},
		{"POST", intervention + "/take-charge", map[string]any{"operator": ""}, only(404, map[string]int{orgOrientation: 422, orgUST: 403})},
		{"POST", "/api/v1/enrolments/" + c.Id + "/dropout-report", map[string]any{"note": tooLong},
			only(404, map[string]int{orgUST: 422, orgSchool: 422, orgComune: 403, orgHub: 403, orgOrientation: 403})},
	}
	for _, cl := range cells {
		for _, org := range orgs {
			want := cl.want[org]
			r := b.as(t, org, cl.method, cl.path, cl.body)
			require.Equal(t, want, r.status, "%s %s as %q: %s", cl.method, cl.path, org, r.body)
			if want >= 400 {
				decodeProblem(t, r)
			}
		}
	}
}
