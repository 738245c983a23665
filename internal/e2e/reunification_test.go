package e2e_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/workflows"
)

const (
	orgPrefettura  = "prefettura:milano"
	orgOneStopShop = "one_stop_shop:milano"
)

// reunifiedFamily has two school-age children (9 and 13), a toddler and the other parent.
func reunifiedFamily(reference string) map[string]any {
	return map[string]any{
		"reference": reference,
		"sponsor": map[string]any{"givenName": "Ahmed", "familyName": "Benali", "phone": "+39 333 0000000",
			"comune": "015146", "address": "Via Padova 10", "municipio": 2},
		"members": []map[string]any{
			{"givenName": "Amina", "familyName": "Benali", "birthDate": "2017-04-12", "relation": "child", "sex": "F", "citizenship": "MA"},
			{"givenName": "Karim", "familyName": "Benali", "birthDate": "2013-05-01", "relation": "child", "sex": "M", "citizenship": "MA"},
			{"givenName": "Sara", "familyName": "Benali", "birthDate": "2024-05-01", "relation": "child", "citizenship": "MA"},
			{"givenName": "Fatima", "familyName": "Zahra", "birthDate": "1988-01-01", "relation": "spouse", "citizenship": "MA"},
		},
		"nullaOsta": map[string]any{"number": "NO-2026-77", "issuedOn": time.Now().AddDate(0, -1, 0).Format(time.DateOnly)},
		"language":  "ar",
	}
}

func (b *bundle) journey(t *testing.T, org, id string) (int, api.Journey) {
	t.Helper()
	r := b.as(t, org, http.MethodGet, "/api/v1/reunifications/"+id, nil)
	var j api.Journey
	if r.status == http.StatusOK {
		require.NoError(t, json.Unmarshal(r.body, &j), string(r.body))
	}
	return r.status, j
}

func (b *bundle) journeyAct(t *testing.T, id, action string, body any) api.Journey {
	t.Helper()
	r := b.as(t, orgOneStopShop, http.MethodPost, "/api/v1/reunifications/"+id+"/"+action, body)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var j api.Journey
	require.NoError(t, json.Unmarshal(r.body, &j))
	return j
}

// TestReunifiedFamilysChildrenEndUpEnrolled is the reunification journey through the API:
// the Prefettura sends a family, the one-stop shop follows it, the arrival opens enrolment
// cases for the two school-age children (not the toddler, not the mother), and once both
// are enrolled the journey moves on to the family-support follow-ups.
func TestReunifiedFamilysChildrenEndUpEnrolled(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	family := reunifiedFamily("PREF-MI-2026-0042")

	created := b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", family)
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	var c api.JourneyCreated
	require.NoError(t, json.Unmarshal(created.body, &c))
	require.Equal(t, workflows.JourneyContacting, c.Stage)
	require.Equal(t, "/api/v1/reunifications/"+c.Id, created.location)
	again := b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", family)
	require.Equal(t, http.StatusOK, again.status, "the same family sent twice opens one journey")
	changed := reunifiedFamily("PREF-MI-2026-0042")
	changed["language"] = "fr"
	require.Equal(t, http.StatusConflict, b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", changed).status)
	bad := reunifiedFamily("PREF-MI-2026-0043")
	bad["members"].([]map[string]any)[0]["birthDate"] = "12/04/2017"
	bad["sponsor"].(map[string]any)["comune"] = "099999"
	invalid := b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", bad)
	require.Equal(t, http.StatusBadRequest, invalid.status)
	require.Len(t, *decodeProblem(t, invalid).Errors, 3, "every field error at once: the date, the comune, and the municipio that only Milano has")
	require.Equal(t, http.StatusForbidden, b.as(t, "comune:015146", http.MethodPost, "/api/v1/reunifications", family).status)

	// Only the one-stop shop reads the family; UST counts.
	status, j := b.journey(t, orgOneStopShop, c.Id)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Ahmed", j.Family.Sponsor.GivenName)
	for _, org := range []string{"ust", "comune:015146", orgPrefettura, "school:" + schoolA} {
		status, _ := b.journey(t, org, c.Id)
		require.Equal(t, http.StatusNotFound, status, org)
	}
	counts := b.as(t, "ust", http.MethodGet, "/api/v1/reunifications/counts", nil)
	require.Equal(t, http.StatusOK, counts.status, string(counts.body))
	require.Contains(t, string(counts.body), `"stage":"contacting"`)
	require.NotContains(t, string(counts.body), "Ahmed")

	b.journeyAct(t, c.Id, "contact-attempts", map[string]any{"outcome": "no_answer"})
	b.journeyAct(t, c.Id, "contact-attempts", map[string]any{"outcome": "reached"})
	b.journeyAct(t, c.Id, "interview-schedule", map[string]any{"at": time.Now().Add(48 * time.Hour).Format(time.RFC3339)})
	wrong := b.as(t, orgOneStopShop, http.MethodPost, "/api/v1/reunifications/"+c.Id+"/interview", map[string]any{"held": true, "supportAreas": []string{}})
	require.Equal(t, http.StatusUnprocessableEntity, wrong.status, "a held interview names its support areas")
	b.journeyAct(t, c.Id, "interview", map[string]any{"held": true, "supportAreas": []string{"school", "family_support"}})
	j = b.journeyAct(t, c.Id, "arrival", map[string]any{"date": time.Now().Format(time.DateOnly)})
	require.Equal(t, workflows.JourneyEnrolling, j.Stage)
	require.Len(t, j.Children, 2, "Amina and Karim; not the toddler, not the mother")

	// Each child's case is an ordinary enrolment case: the hub proposes, the school accepts.
	for _, child := range j.Children {
		var kase api.EnrolmentCase
		require.Eventually(t, func() bool {
			r := b.do(t, http.MethodGet, "/api/v1/enrolments/"+child.CaseId, "", "")
			if r.status != http.StatusOK {
				return false
			}
			kase = decodeCase(t, r)
			return kase.Stage == "awaiting_proposal"
		}, 20*time.Second, 100*time.Millisecond)
		require.Equal(t, "family_reunification", *kase.Origin)
		require.Equal(t, http.StatusOK, b.as(t, orgOneStopShop, http.MethodGet, "/api/v1/enrolments/"+child.CaseId, nil).status,
			"the one-stop shop sees the cases its journeys opened")
		b.actOK(t, polo1, child.CaseId, "proposal", map[string]any{"school": schoolA})
		b.actOK(t, "school:"+schoolA, child.CaseId, "decision", map[string]any{"accept": true, "section": "A", "startDate": time.Now().Format(time.DateOnly)})
	}
	require.Eventually(t, func() bool {
		_, j = b.journey(t, orgOneStopShop, c.Id)
		return j.Stage == workflows.JourneyFollowingUp
	}, 30*time.Second, 200*time.Millisecond, "both children enrolled: the follow-ups begin")
	for _, child := range j.Children {
		require.Equal(t, "enrolled", *child.Stage)
	}
	require.Eventually(t, func() bool {
		return b.countWorkflows(t, `WorkflowType = 'ReunificationJourney' AND Stage = 'following_up' AND WorkflowId = '`+j.WorkflowId+`'`) == 1
	}, 30*time.Second, 500*time.Millisecond, "findable in the Temporal UI by stage")
	if *updateHistories {
		writeHistory(t, b.temporal, j.WorkflowId, "reunification_children_enrolled.json")
		writeHistory(t, b.temporal, "enrolment-"+j.Children[0].CaseId, "enrolment_opened_by_a_reunification.json")
	}
}
