package e2e_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/workflows"
)

const orgOrientation = "orientation"

// TestPupilNotAttendingBecomesAnInterventionCase: a school answers a follow-up check
// "not attending"; the orientation service finds an intervention case, takes it in
// charge and, agreeing a change of school, sends the enrolment case back to its hub.
func TestPupilNotAttendingBecomesAnInterventionCase(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{mail: &devmail.Options{}})
	c := b.fileCase(t, validBody())
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})
	// The pupil started 40 days ago: the first check (after 30 days) is due at once.
	b.actOK(t, "school:"+schoolA, c.Id, "decision", map[string]any{"accept": true, "section": "B",
		"startDate": time.Now().AddDate(0, 0, -40).Format(time.DateOnly)})
	require.Eventually(t, func() bool {
		k := b.getCase(t, c.Id)
		return k.Task != nil && k.Task.Kind == "confirm_attendance"
	}, 30*time.Second, 200*time.Millisecond)
	b.actOK(t, "school:"+schoolA, c.Id, "attendance", map[string]any{"attending": false, "note": "assente da tre settimane"})

	var in api.Intervention
	require.Eventually(t, func() bool {
		r := b.as(t, orgOrientation, http.MethodGet, "/api/v1/interventions", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var list api.InterventionList
		require.NoError(t, json.Unmarshal(r.body, &list))
		for _, item := range list.Items {
			if item.CaseId == c.Id {
				in = item
				return true
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the orientation service finds the intervention")
	require.Equal(t, api.InterventionReason("not_attending"), in.Reason)
	require.Equal(t, "awaiting_take_charge", in.Stage)
	require.Equal(t, schoolA, in.School)
	require.NotNil(t, in.Task)
	opened := b.waitForMail(t, "orientamento@approdo.test", "Nuovo intervento")
	require.Contains(t, decodedBody(t, opened), "https://approdo.test/interventi/"+in.Id, "the notice links to the intervention's page")

	// Who sees what: the orientation service the intervention and the pupil's case; UST
	// counts; the school and the comune nothing of it.
	require.Equal(t, http.StatusOK, b.as(t, orgOrientation, http.MethodGet, "/api/v1/enrolments/"+c.Id, nil).status)
	require.Equal(t, http.StatusForbidden, b.as(t, "ust", http.MethodGet, "/api/v1/interventions", nil).status)
	counts := b.as(t, "ust", http.MethodGet, "/api/v1/interventions/counts", nil)
	require.Equal(t, http.StatusOK, counts.status, string(counts.body))
	require.Contains(t, string(counts.body), `"stage":"awaiting_take_charge"`)
	for _, org := range []string{"school:" + schoolA, "comune:015146", polo1} {
		require.Equal(t, http.StatusNotFound, b.as(t, org, http.MethodGet, "/api/v1/interventions/"+in.Id, nil).status, org)
	}

	act := func(org, action string, body any) (int, api.Intervention) {
		r := b.as(t, org, http.MethodPost, "/api/v1/interventions/"+in.Id+"/"+action, body)
		var out api.Intervention
		if r.status == http.StatusOK {
			require.NoError(t, json.Unmarshal(r.body, &out))
		}
		return r.status, out
	}
	status, _ := act("school:"+schoolA, "take-charge", map[string]any{"operator": "Giulia"})
	require.Equal(t, http.StatusNotFound, status, "a school cannot act on it")
	status, _ = act(orgOrientation, "take-charge", map[string]any{"operator": ""})
	require.Equal(t, http.StatusUnprocessableEntity, status, "the operator is required")
	status, got := act(orgOrientation, "take-charge", map[string]any{"operator": "Giulia Rossi"})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "taken_in_charge", got.Stage)
	require.Eventually(t, func() bool {
		return b.countWorkflows(t, `WorkflowType = 'InterventionCase' AND Stage = 'taken_in_charge' AND WorkflowId = '`+in.Id+`'`) == 1
	}, 30*time.Second, 500*time.Millisecond, "findable in the Temporal UI by stage")

	status, got = act(orgOrientation, "close", map[string]any{"outcome": "school_change", "note": "nuova scuola più vicina"})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "school_change", got.Stage)
	require.Eventually(t, func() bool {
		return b.getCase(t, c.Id).Stage == "awaiting_proposal"
	}, 30*time.Second, 200*time.Millisecond, "the school change sends the case back to its hub")
	if *updateHistories {
		// Its Updates have their snake_case names; intervention_taken_in_charge_then_school_change.json
		// keeps the history of one worked under the old ones (take-charge), replayed too.
		writeHistory(t, b.temporal, in.Id, "intervention_snake_case_updates_then_school_change.json")
		writeHistory(t, b.temporal, "enrolment-"+c.Id, "enrolment_not_attending_then_school_change.json")
	}
}

func TestSchoolReportsAPupilAtRisk(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})
	b.actOK(t, "school:"+schoolA, c.Id, "decision", map[string]any{"accept": true, "section": "B", "startDate": time.Now().Format(time.DateOnly)})

	other := b.as(t, "school:"+schoolB, http.MethodPost, "/api/v1/enrolments/"+c.Id+"/dropout-report", map[string]any{"note": "x"})
	require.Equal(t, http.StatusNotFound, other.status, "another school does not see the case")
	reported := b.actOK(t, "school:"+schoolA, c.Id, "dropout-report", map[string]any{"note": "assenze ripetute"})
	require.True(t, *reported.DropoutRisk)
	require.Eventually(t, func() bool {
		r := b.as(t, orgOrientation, http.MethodGet, "/api/v1/interventions/intervention-"+c.Id+"-report-1", nil)
		if r.status != http.StatusOK {
			return false
		}
		var in api.Intervention
		require.NoError(t, json.Unmarshal(r.body, &in))
		return in.Reason == "school_report" && in.Stage == "awaiting_take_charge"
	}, 30*time.Second, 200*time.Millisecond)

	// The orientation service gets the pupil and the family, not why the family migrated,
	// the comune's notes nor the special-needs note.
	r := b.as(t, orgOrientation, http.MethodGet, "/api/v1/enrolments/"+c.Id, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	seen := decodeCase(t, r)
	require.NotEmpty(t, seen.Minor.GivenName)
	require.Nil(t, seen.Origin)
	require.Nil(t, seen.SpecialNeeds.Note)
	require.NotContains(t, string(r.body), "segue logopedia")

	// UST supervises the intervention (stage, task, outcome) without what was said in it.
	notes := func(org string) []string {
		r := b.as(t, org, http.MethodGet, "/api/v1/interventions/intervention-"+c.Id+"-report-1", nil)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", org, r.body)
		var in api.Intervention
		require.NoError(t, json.Unmarshal(r.body, &in))
		require.Equal(t, "awaiting_take_charge", in.Stage)
		var out []string
		for _, e := range in.Timeline {
			if e.Note != nil {
				out = append(out, *e.Note)
			}
		}
		return out
	}
	require.Contains(t, notes(orgOrientation), "assenze ripetute")
	require.Empty(t, notes("ust"))

	// A caller from before the intervention's Updates took snake_case names still sends
	// take-charge: the running intervention takes it, as take_charge, and answers with
	// the one result shape.
	id := "intervention-" + c.Id + "-report-1"
	h, err := b.temporal.UpdateWorkflow(b.ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: "take-charge", WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.InterventionTakeChargeInput{Actor: casework.Orientation, Operator: "Giulia Rossi"}},
	})
	require.NoError(t, err)
	var taken workflows.InterventionActionResult
	require.NoError(t, h.Get(b.ctx, &taken))
	require.Equal(t, casework.InterventionTakenInCharge, taken.Stage)
	require.Eventually(t, func() bool {
		r := b.as(t, orgOrientation, http.MethodGet, "/api/v1/interventions/"+id, nil)
		var in api.Intervention
		return r.status == http.StatusOK && json.Unmarshal(r.body, &in) == nil && in.Stage == string(casework.InterventionTakenInCharge)
	}, 30*time.Second, 200*time.Millisecond, "the read model shows the intervention taken in charge")
}
