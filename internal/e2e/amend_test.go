package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
)

// amendBody is the correction of a case filed with body: the request changed by change,
// for reason.
func amendBody(body map[string]any, reason string, change func(r map[string]any)) map[string]any {
	data, _ := json.Marshal(body)
	var r map[string]any
	_ = json.Unmarshal(data, &r) // a deep copy
	change(r)
	return map[string]any{"request": r, "reason": reason}
}

// TestAmendThroughTheAPI corrects a case's request as a comune does: the codice fiscale
// becomes definitive, then the birth date and the municipio are corrected (a new class is
// suggested and the case moves to another Polo START), then the level (it moves to the
// CTI). Supervisors find it by Ambito and Level at each step; others are refused.
func TestAmendThroughTheAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	body := validBody()
	c := b.fileCase(t, body)
	id := c.Id
	require.Equal(t, polo1, *c.Hub)
	year := c.SuggestedClass.Year
	b.requireListedByTemporal(t, c.WorkflowId, `Ambito="21" AND SchoolLevel="primaria" AND HubID="polo_start:polo-1"`)

	definitive := amendBody(body, "definitive_codice_fiscale", func(r map[string]any) {
		r["minor"].(map[string]any)["codiceFiscale"] = "RSSMRA85T10A562S"
	})
	// Only the comune of residence and UST correct it; others do not even see the case.
	require.Empty(t, b.actProblem(t, polo1, id, "amend", definitive, http.StatusForbidden))
	require.Empty(t, b.actProblem(t, "comune:015209", id, "amend", definitive, http.StatusNotFound))

	// Wrong fields are named as in a filing, every one at once (400, as a filing), and
	// nothing changes.
	wrong := amendBody(body, "typo", func(r map[string]any) {
		r["minor"].(map[string]any)["codiceFiscale"] = "RSSMRA85T10A562T"
		r["minor"].(map[string]any)["givenName"] = ""
		r["comune"] = "015209"
	})
	r := b.as(t, "comune:015146", http.MethodPost, "/api/v1/enrolments/"+id+"/amend", wrong)
	require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
	p := decodeProblem(t, r)
	fields := map[string]bool{}
	for _, e := range *p.Errors {
		fields[e.Field] = true
	}
	require.Equal(t, map[string]bool{"minor.codiceFiscale": true, "minor.givenName": true, "comune": true}, fields)
	require.NotContains(t, string(r.body), "RSSMRA85T10A562T", "a problem names fields, never values")
	// Nothing changed is refused too.
	require.Equal(t, "request", b.actProblem(t, "comune:015146", id, "amend", amendBody(body, "typo", func(map[string]any) {}), http.StatusUnprocessableEntity))
	require.Equal(t, "note", b.actProblem(t, "comune:015146", id, "amend", amendBody(body, "other", func(r map[string]any) { r["notes"] = "x" }), http.StatusBadRequest))

	// The comune makes the codice fiscale definitive.
	fixed := b.actOK(t, "comune:015146", id, "amend", definitive, "Idempotency-Key", "amend-1-"+id)
	require.Equal(t, "RSSMRA85T10A562S", *fixed.Minor.CodiceFiscale)
	require.Equal(t, "awaiting_proposal", fixed.Stage)
	require.Equal(t, polo1, *fixed.Hub, "a codice fiscale does not move the case")
	last := (*fixed.Timeline)[len(*fixed.Timeline)-1]
	require.Equal(t, "amended", last.Kind)
	require.Equal(t, "definitive_codice_fiscale:minor.codiceFiscale", *last.Reason)
	// The same key again is the same correction.
	again := b.actOK(t, "comune:015146", id, "amend", definitive, "Idempotency-Key", "amend-1-"+id)
	require.Len(t, *again.Timeline, len(*fixed.Timeline))
	b.requireNotified(t, id, "case_amended", polo1)

	// The birth date and the municipio: the class is suggested again, and Polo START 2
	// (municipi 4 and 5) takes the case.
	body["minor"].(map[string]any)["codiceFiscale"] = "RSSMRA85T10A562S"
	moved := b.actOK(t, "ust", id, "amend", amendBody(body, "new_information", func(r map[string]any) {
		r["minor"].(map[string]any)["birthDate"] = "2019-04-12"
		r["residence"].(map[string]any)["municipio"] = 5
	}))
	require.Equal(t, "polo_start:polo-2", *moved.Hub)
	require.Equal(t, 5, *moved.Residence.Municipio)
	require.Equal(t, "2019-04-12", moved.Minor.BirthDate)
	require.NotEqual(t, year, moved.SuggestedClass.Year, "a child two years younger gets another class")
	require.Equal(t, "awaiting_proposal", moved.Stage)
	b.requireNotified(t, id, "case_reassigned", polo1)
	b.requireNotified(t, id, "case_assigned", "polo_start:polo-2")
	b.requireListedByTemporal(t, c.WorkflowId, `Ambito="21" AND SchoolLevel="primaria" AND HubID="polo_start:polo-2"`)

	// The level: the second cycle goes to the CTI of Milano's ambito.
	body["minor"].(map[string]any)["birthDate"] = "2019-04-12"
	body["residence"].(map[string]any)["municipio"] = 5
	second := b.actOK(t, "comune:015146", id, "amend", amendBody(body, "typo", func(r map[string]any) {
		r["level"] = "secondaria_secondo_grado"
	}))
	require.Equal(t, "cti:21", *second.Hub)
	require.Equal(t, "secondaria_secondo_grado", second.Level)
	b.requireListedByTemporal(t, c.WorkflowId, `Ambito="21" AND SchoolLevel="secondaria_secondo_grado"`)
	old, err := b.temporal.ListWorkflow(b.ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: namespace, Query: fmt.Sprintf(`SchoolLevel="primaria" AND WorkflowId=%q`, c.WorkflowId),
	})
	require.NoError(t, err)
	require.Empty(t, old.GetExecutions(), "the level attribute follows the correction")

	// Once the case is closed, it is closed.
	b.actOK(t, "comune:015146", id, "withdrawal", map[string]any{"reason": "duplicate"})
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, b.temporal.GetWorkflow(ctx, c.WorkflowId, "").Get(ctx, nil), "the withdrawn case's workflow ends")
	require.Empty(t, b.actProblem(t, "comune:015146", id, "amend", definitive, http.StatusConflict))

	if *updateHistories {
		writeHistory(t, b.temporal, c.WorkflowId, "enrolment_amended_then_withdrawn.json")
	}
}

// TestAmendAfterATransferIsTheNewComunes: after a move the comune the case left still
// reads it but may no longer correct it; the new comune may.
func TestAmendAfterATransferIsTheNewComunes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	body := validBody()
	c := b.fileCase(t, body)
	b.actOK(t, "comune:015146", c.Id, "transfer", map[string]any{"comune": "015209"})
	body["comune"] = "015209"
	delete(body["residence"].(map[string]any), "municipio")
	fix := amendBody(body, "typo", func(r map[string]any) { r["guardian"].(map[string]any)["phone"] = "+39 333 7654321" })
	require.Empty(t, b.actProblem(t, "comune:015146", c.Id, "amend", fix, http.StatusForbidden))
	fixed := b.actOK(t, "comune:015209", c.Id, "amend", fix)
	require.Equal(t, "+39 333 7654321", *fixed.Guardian.Phone)
	b.requireListedByTemporal(t, c.WorkflowId, `Ambito="22" AND SchoolLevel="primaria" AND ComuneIstat="015209"`)
}

// TestAccessMatrixAmend is the access matrix's row for the correction (see
// TestAccessMatrix): the comune of residence and UST get as far as the checks of the
// request (a wrong codice fiscale, 400); the hub and the school are refused; the others are not
// told the case exists.
func TestAccessMatrixAmend(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	body := validBody()
	c := b.fileCase(t, body)
	b.actOK(t, orgHub, c.Id, "proposal", map[string]any{"school": schoolA})
	refused := amendBody(body, "typo", func(r map[string]any) { r["minor"].(map[string]any)["codiceFiscale"] = "RSSMRA85T10A562T" })
	want := map[string]int{
		orgUST: 400, orgComune: 400, orgHub: 403, orgSchool: 403,
		orgOtherComune: 404, orgOtherHub: 404, orgOtherSchool: 404, orgNone: 401,
	}
	require.ElementsMatch(t, matrixOrgs, slicesOfKeys(want), "every organisation of the matrix")
	data, err := json.Marshal(refused)
	require.NoError(t, err)
	for org, status := range want {
		r := b.doAs(t, org, http.MethodPost, "/api/v1/enrolments/"+c.Id+"/amend", "application/json", string(data))
		require.Equal(t, status, r.status, "amend as %q: %s", org, r.body)
		p := decodeProblem(t, r)
		if status == 400 {
			require.Equal(t, "minor.codiceFiscale", (*p.Errors)[0].Field, fmt.Sprint(org))
		}
	}
	require.Equal(t, "awaiting_decision", b.getCase(t, c.Id).Stage, "no refused correction changed the case")
}

func slicesOfKeys(m map[string]int) []string {
	var out []string
	for k := range maps.Keys(m) {
		out = append(out, k)
	}
	return out
}

// requireNotified checks that a notice of kind about the case is queued for recipient.
func (b *bundle) requireNotified(t *testing.T, caseID, kind, recipient string) {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM notification WHERE case_id = $1 AND kind = $2 AND recipient = $3", caseID, kind, recipient).Scan(&n))
	require.Equal(t, 1, n, "%s to %s", kind, recipient)
}
