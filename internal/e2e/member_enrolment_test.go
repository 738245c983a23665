package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/workflows"
)

// TestOneStopShopEnrolsAFamilyMemberInInfanzia is the one-stop shop's request for a family
// member the arrival left out: after the arrival opened the case of the 9-year-old, the
// family asks for the scuola dell'infanzia for the 4-year-old. The case is filed once for
// the same Idempotency-Key, pre-filled from the journey, and routed like any other; a
// second request for her, a request before the arrival, or anyone else's, is refused.
func TestOneStopShopEnrolsAFamilyMemberInInfanzia(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	now := time.Now()
	family := reunifiedFamily("PREF-MI-2026-0101")
	family["members"] = []map[string]any{
		{"givenName": "Amina", "familyName": "Benali", "birthDate": now.AddDate(-9, -2, 0).Format(time.DateOnly), "relation": "child", "sex": "F", "citizenship": "MA"},
		{"givenName": "Layla", "familyName": "Benali", "birthDate": now.AddDate(-4, -2, 0).Format(time.DateOnly), "relation": "child", "sex": "F", "citizenship": "MA"},
		{"givenName": "Fatima", "familyName": "Zahra", "birthDate": "1988-01-01", "relation": "spouse", "citizenship": "MA"},
	}
	created := b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", family)
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	var c api.JourneyCreated
	require.NoError(t, json.Unmarshal(created.body, &c))
	path := "/api/v1/reunifications/" + c.Id + "/member-enrolments"
	layla := map[string]any{"member": 1, "level": "infanzia", "note": "La famiglia chiede la scuola dell'infanzia vicino a casa."}

	early := b.as(t, orgOneStopShop, http.MethodPost, path, layla)
	require.Equal(t, http.StatusConflict, early.status, "before the arrival: %s", early.body)

	b.journeyAct(t, c.Id, "contact-attempts", map[string]any{"outcome": "reached"})
	b.journeyAct(t, c.Id, "interview-schedule", map[string]any{"at": now.Add(48 * time.Hour).Format(time.RFC3339)})
	b.journeyAct(t, c.Id, "interview", map[string]any{"held": true, "supportAreas": []string{"school"}})
	j := b.journeyAct(t, c.Id, "arrival", map[string]any{"date": now.Format(time.DateOnly)})
	require.Equal(t, workflows.JourneyEnrolling, j.Stage)
	require.Len(t, j.Children, 1, "the arrival opens Amina's case only: Layla is 4")
	require.Equal(t, 0, j.Children[0].Member)

	// Nobody but the one-stop shop sees the journey, so nobody else can act on it.
	for _, org := range []string{"school:" + schoolA, "comune:015146", polo1, "ust"} {
		r := b.as(t, org, http.MethodPost, path, layla, "Idempotency-Key", "layla-infanzia")
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.status, "%s: %s", org, r.body)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"member": 0, "level": "primaria"}, "member"}, // Amina has her case
		{map[string]any{"member": 2, "level": "cpia"}, "member"},     // Fatima is an adult
		{map[string]any{"member": 7, "level": "infanzia"}, "member"}, // no such member
		{map[string]any{"member": 1, "level": "nido"}, "level"},
	} {
		r := b.as(t, orgOneStopShop, http.MethodPost, path, bad.body)
		require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
		require.Equal(t, bad.field, (*decodeProblem(t, r).Errors)[0].Field)
	}

	// The request, and the same request again (a retry): one case.
	var first, again api.Journey
	for i, into := range []*api.Journey{&first, &again} {
		r := b.as(t, orgOneStopShop, http.MethodPost, path, layla, "Idempotency-Key", "layla-infanzia")
		require.Equal(t, http.StatusOK, r.status, "request %d: %s", i+1, r.body)
		require.NoError(t, json.Unmarshal(r.body, into))
	}
	require.Len(t, first.Children, 2)
	require.Equal(t, first.Children, again.Children, "the same key acts once")
	requested := 0
	for _, e := range again.Timeline {
		if e.Kind == "enrolment_requested" {
			requested++
			require.Equal(t, orgOneStopShop, *e.Actor)
			require.Equal(t, "infanzia", *e.Reason)
			require.Equal(t, layla["note"], *e.Note)
		}
	}
	require.Equal(t, 1, requested, "one event for the two deliveries")
	other := b.as(t, orgOneStopShop, http.MethodPost, path, layla, "Idempotency-Key", "layla-infanzia-bis")
	require.Equal(t, http.StatusUnprocessableEntity, other.status, "another key for the same member: she has her case")

	// Layla's case is an ordinary enrolment case, routed to the CTI (infanzia is not a
	// Polo START's), that the one-stop shop sees.
	laylaCase := first.Children[1]
	require.Equal(t, 1, laylaCase.Member)
	var kase api.EnrolmentCase
	require.Eventually(t, func() bool {
		r := b.as(t, orgOneStopShop, http.MethodGet, "/api/v1/enrolments/"+laylaCase.CaseId, nil)
		if r.status != http.StatusOK {
			return false
		}
		kase = decodeCase(t, r)
		return kase.Stage == "awaiting_proposal"
	}, 30*time.Second, 100*time.Millisecond, "routed to its hub")
	require.Equal(t, "infanzia", kase.Level)
	require.Equal(t, "Layla", kase.Minor.GivenName)
	require.Equal(t, "family_reunification", *kase.Origin)
	require.NotNil(t, kase.Hub)
	require.True(t, strings.HasPrefix(*kase.Hub, "cti:"), *kase.Hub)
	require.Equal(t, http.StatusNotFound, b.as(t, "school:"+schoolA, http.MethodGet, "/api/v1/enrolments/"+laylaCase.CaseId, nil).status,
		"no school sees the case before it is proposed one")

	_, j = b.journey(t, orgOneStopShop, c.Id)
	require.Len(t, j.Children, 2)
	if *updateHistories {
		// A journey with the rome-days marker; reunification_member_enrolled.json keeps one
		// from before it (days in UTC), replayed too.
		writeHistory(t, b.temporal, j.WorkflowId, "reunification_member_enrolled_rome_days.json")
	}
}
