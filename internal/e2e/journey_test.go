package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/enrolment"
)

const (
	polo1     = "polo_start:polo-1"
	schoolA   = "MIIC90001A" // Milano, municipio 1: infanzia to secondaria I grado
	schoolB   = "MIIC90002A" // Milano, municipio 2
	schoolSS  = "MIIS90006A" // Milano, municipio 3: secondaria II grado only
	sestoSchl = "MIIC90011A" // Sesto San Giovanni, ambito 22
)

// as sends a request on behalf of an organisation, with a token of its own.
func (b *bundle) as(t *testing.T, org, method, path string, body any, headers ...string) response {
	t.Helper()
	var data []byte
	if body != nil {
		var err error
		data, err = json.Marshal(body)
		require.NoError(t, err)
	}
	req, err := http.NewRequestWithContext(b.ctx, method, b.api.URL+path, strings.NewReader(string(data)))
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if org != "" {
		req.Header.Set("Authorization", "Bearer "+b.token(t, org))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err = io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), location: res.Header.Get("Location"), body: data}
}

// fileCase files a valid request and waits until the case is routed.
func (b *bundle) fileCase(t *testing.T, body map[string]any) api.EnrolmentCase {
	t.Helper()
	created := b.post(t, body)
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	id := decodeCase(t, created).Id
	var c api.EnrolmentCase
	require.Eventually(t, func() bool {
		c = b.getCase(t, id)
		return c.Stage != "registered" && c.Stage != "received"
	}, 20*time.Second, 100*time.Millisecond)
	return c
}

func (b *bundle) getCase(t *testing.T, id string) api.EnrolmentCase {
	t.Helper()
	r := b.do(t, http.MethodGet, "/api/v1/enrolments/"+id, "", "")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	return decodeCase(t, r)
}

func (b *bundle) actOK(t *testing.T, org, id, action string, body any, headers ...string) api.EnrolmentCase {
	t.Helper()
	r := b.as(t, org, http.MethodPost, "/api/v1/enrolments/"+id+"/"+action, body, headers...)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	return decodeCase(t, r)
}

// actProblem sends an action that must be refused with status; it returns the field the
// problem names, if any.
func (b *bundle) actProblem(t *testing.T, org, id, action string, body any, status int) string {
	t.Helper()
	r := b.as(t, org, http.MethodPost, "/api/v1/enrolments/"+id+"/"+action, body)
	require.Equal(t, status, r.status, string(r.body))
	p := decodeProblem(t, r)
	if p.Errors != nil && len(*p.Errors) > 0 {
		return (*p.Errors)[0].Field
	}
	return ""
}

func timelineKinds(c api.EnrolmentCase) []string {
	var out []string
	for _, e := range *c.Timeline {
		out = append(out, e.Kind)
	}
	return out
}

// listedByTemporal reports whether Temporal's visibility finds the workflow by query,
// and, through the Web UI's own API, that the UI would list it.
func (b *bundle) requireListedByTemporal(t *testing.T, workflowID, query string) {
	t.Helper()
	full := query + fmt.Sprintf(" AND WorkflowId=%q", workflowID)
	require.Eventually(t, func() bool {
		res, err := b.temporal.ListWorkflow(b.ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, Query: full})
		return err == nil && len(res.GetExecutions()) == 1
	}, 20*time.Second, 200*time.Millisecond, "Temporal does not find the case by %s", full)
	uiURL := temporalServer.UIURL() + "/api/v1/namespaces/" + namespace + "/workflows?query=" + url.QueryEscape(full)
	require.Eventually(t, func() bool {
		res, err := http.Get(uiURL)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var listed struct {
			Executions []json.RawMessage `json:"executions"`
		}
		return res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&listed) == nil && len(listed.Executions) == 1
	}, 20*time.Second, 200*time.Millisecond, "the Web UI does not list the case for %s", full)
}

func TestJourneyThroughTheAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	id := c.Id

	// Milano, primaria, municipio 2: Polo START 1, which has a task with a deadline.
	require.Equal(t, "awaiting_proposal", c.Stage)
	require.Equal(t, polo1, *c.Hub)
	require.Equal(t, "propose_school", string(c.Task.Kind))
	require.Equal(t, polo1, c.Task.Owner)
	require.NotNil(t, c.Task.DueAt)
	require.Equal(t, []string{"filed", "routed"}, timelineKinds(c))

	inbox := b.as(t, polo1, http.MethodGet, "/api/v1/tasks", nil)
	require.Equal(t, http.StatusOK, inbox.status, string(inbox.body))
	var tasks api.TaskList
	require.NoError(t, json.Unmarshal(inbox.body, &tasks))
	require.Len(t, tasks.Items, 1)
	require.Equal(t, id, tasks.Items[0].CaseId)
	other := b.as(t, "cti:21", http.MethodGet, "/api/v1/tasks", nil)
	require.NoError(t, json.Unmarshal(other.body, &tasks))
	require.Empty(t, tasks.Items, "another hub's inbox does not show the case")
	require.Equal(t, http.StatusUnauthorized, b.as(t, "", http.MethodGet, "/api/v1/tasks", nil).status)

	// Wrong actor, wrong school, wrong level, no identity: refused, nothing written.
	// Another hub does not even learn that the case exists; the comune sees it but may
	// not propose.
	b.actProblem(t, "cti:21", id, "proposal", map[string]any{"school": schoolA}, http.StatusNotFound)
	b.actProblem(t, "comune:015146", id, "proposal", map[string]any{"school": schoolA}, http.StatusForbidden)
	require.Equal(t, "school", b.actProblem(t, polo1, id, "proposal", map[string]any{"school": sestoSchl}, http.StatusUnprocessableEntity))
	require.Equal(t, "school", b.actProblem(t, polo1, id, "proposal", map[string]any{"school": schoolSS}, http.StatusUnprocessableEntity))
	b.actProblem(t, "", id, "proposal", map[string]any{"school": schoolA}, http.StatusUnauthorized)
	forged := b.as(t, "", http.MethodPost, "/api/v1/enrolments/"+id+"/proposal", map[string]any{"school": schoolA}, "Authorization", "Bearer apd_not-a-token")
	require.Equal(t, http.StatusUnauthorized, forged.status)
	b.actProblem(t, "school:"+schoolA, id, "decision", map[string]any{"accept": true}, http.StatusNotFound)
	b.actProblem(t, polo1, id, "proposal-withdrawal", map[string]any{}, http.StatusConflict)
	require.Equal(t, "id", b.actProblem(t, polo1, "not-a-case", "proposal", map[string]any{"school": schoolA}, http.StatusBadRequest))
	b.actProblem(t, polo1, uuid.NewString(), "proposal", map[string]any{"school": schoolA}, http.StatusNotFound)
	require.Equal(t, []string{"filed", "routed"}, timelineKinds(b.getCase(t, id)))

	// The proposal; repeated with the same Idempotency-Key it is applied once.
	key := "proposal-" + uuid.NewString()
	c = b.actOK(t, polo1, id, "proposal", map[string]any{"school": schoolA, "note": "posti disponibili in terza"}, "Idempotency-Key", key)
	require.Equal(t, "awaiting_decision", c.Stage)
	require.Equal(t, schoolA, *c.School)
	c = b.actOK(t, polo1, id, "proposal", map[string]any{"school": schoolA, "note": "posti disponibili in terza"}, "Idempotency-Key", key)
	require.Equal(t, 1, *c.ProposalCount, "a retried POST with the same key is not a second proposal")

	// Another school cannot decide; the proposed one rejects; the case goes back.
	b.actProblem(t, "school:"+schoolB, id, "decision", map[string]any{"accept": true, "section": "A", "startDate": time.Now().Format(time.DateOnly)}, http.StatusNotFound)
	b.actProblem(t, polo1, id, "decision", map[string]any{"accept": true, "section": "A", "startDate": time.Now().Format(time.DateOnly)}, http.StatusForbidden)
	require.Equal(t, "reason", b.actProblem(t, "school:"+schoolA, id, "decision", map[string]any{"accept": false}, http.StatusUnprocessableEntity))
	c = b.actOK(t, "school:"+schoolA, id, "decision", map[string]any{"accept": false, "reason": "no_seats"})
	require.Equal(t, "awaiting_proposal", c.Stage)
	require.Equal(t, polo1, c.Task.Owner)

	c = b.actOK(t, polo1, id, "proposal", map[string]any{"school": schoolB})
	start := time.Now().Format(time.DateOnly)
	c = b.actOK(t, "school:"+schoolB, id, "decision", map[string]any{"accept": true, "section": "C", "startDate": start})
	require.Equal(t, "enrolled", c.Stage)
	year := 0
	if suggested, _ := enrolment.SuggestClass(time.Date(2017, 4, 12, 0, 0, 0, 0, time.UTC), time.Now()); suggested.Level == enrolment.LevelPrimaria {
		year = suggested.Year
	}
	require.Equal(t, api.Placement{School: schoolB, Level: "primaria", Year: year, Section: "C", StartDate: start}, *c.Placement,
		"nobody changed the class suggested from the age")
	require.Nil(t, c.Task, "nothing to do until the first attendance check")
	require.Equal(t, 2, *c.ProposalCount)
	require.Equal(t, []string{"filed", "routed", "proposed", "rejected", "proposed", "accepted"}, timelineKinds(c))
	require.Equal(t, "no_seats", *(*c.Timeline)[3].Reason)
	require.Equal(t, "posti disponibili in terza", *(*c.Timeline)[2].Note)

	// An enrolled case cannot be withdrawn.
	b.actProblem(t, "comune:015146", id, "withdrawal", map[string]any{"reason": "moved_abroad"}, http.StatusConflict)

	// Supervisors find it in Temporal by the attributes the README documents.
	b.requireListedByTemporal(t, c.WorkflowId, fmt.Sprintf(`Stage="enrolled" AND HubID=%q AND SchoolCode=%q AND ProposalCount=2 AND Escalated=false`, polo1, schoolB))

	// The notifications are queued once each for the sender.
	var queued, distinct int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*), count(DISTINCT (kind, recipient)) FROM notification WHERE case_id = $1 AND kind = 'placement_confirmed'", id).Scan(&queued, &distinct))
	require.Equal(t, 4, queued, "comune, hub, school and family")
	require.Equal(t, 4, distinct)

	if *updateHistories {
		writeHistory(t, b.temporal, c.WorkflowId, "enrolment_rejected_then_accepted.json")
	}
}

func TestOverdueCaseIsEscalatedAndFoundInTheTemporalUI(t *testing.T) {
	t.Parallel()
	policy := testPolicy
	policy.DemoDeadline = 3 * time.Second
	b := setup(t, setupOptions{policy: &policy})
	c := b.fileCase(t, validBody())

	require.Eventually(t, func() bool {
		c = b.getCase(t, c.Id)
		return c.Escalated != nil && *c.Escalated
	}, 30*time.Second, 200*time.Millisecond, "the case never escalated")
	require.Equal(t, "deadline_missed", *c.EscalationReason)
	require.Equal(t, "awaiting_proposal", c.Stage, "escalation does not end the case")
	require.True(t, c.Task.Overdue)
	require.True(t, c.Task.Reminded)
	require.Equal(t, []string{"filed", "routed", "reminder_sent", "escalated"}, timelineKinds(c))

	// The filters of the README: stuck cases, and escalated cases by hub.
	now := time.Now().Add(time.Second).UTC().Format(time.RFC3339)
	b.requireListedByTemporal(t, c.WorkflowId, fmt.Sprintf(`ExecutionStatus="Running" AND Deadline < %q`, now))
	b.requireListedByTemporal(t, c.WorkflowId, fmt.Sprintf(`Escalated=true AND HubID=%q`, polo1))

	overdue := b.do(t, http.MethodGet, "/api/v1/enrolments?overdue=true&hub="+url.QueryEscape(polo1), "", "")
	require.Equal(t, http.StatusOK, overdue.status, string(overdue.body))
	var list api.CaseList
	require.NoError(t, json.Unmarshal(overdue.body, &list))
	require.Len(t, list.Items, 1)
	require.Equal(t, c.Id, list.Items[0].Id)

	var reminders, escalations int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FILTER (WHERE kind = 'reminder' AND recipient = $2), count(*) FILTER (WHERE kind = 'escalation' AND recipient = 'ust') FROM notification WHERE case_id = $1", c.Id, polo1).Scan(&reminders, &escalations))
	require.Equal(t, 1, reminders)
	require.Equal(t, 1, escalations)

	// The hub acts late: the escalation ends, the case goes on.
	c = b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})
	require.False(t, *c.Escalated)
}

func TestDirectEnrolmentTransferWithdrawalAndLists(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	today := time.Now().Format(time.DateOnly)

	// A school registers a minor it enrolled on its own.
	direct := map[string]any{"request": validBody(), "placement": map[string]any{"classYear": 3, "section": "B", "startDate": today}}
	r := b.as(t, "cti:21", http.MethodPost, "/api/v1/enrolments/direct", direct)
	require.Equal(t, http.StatusForbidden, r.status, string(r.body))
	r = b.as(t, "school:"+schoolSS, http.MethodPost, "/api/v1/enrolments/direct", direct)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	require.Equal(t, "request.level", (*decodeProblem(t, r).Errors)[0].Field)
	bad := map[string]any{"request": validBody(), "placement": map[string]any{"classYear": 9, "section": "", "startDate": "domani"}}
	r = b.as(t, "school:"+schoolA, http.MethodPost, "/api/v1/enrolments/direct", bad)
	require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
	require.Len(t, *decodeProblem(t, r).Errors, 3, "every placement field is reported at once")
	r = b.as(t, "school:"+schoolA, http.MethodPost, "/api/v1/enrolments/direct", direct)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	directID := decodeCase(t, r).Id
	var d api.EnrolmentCase
	require.Eventually(t, func() bool {
		d = b.getCase(t, directID)
		return d.Stage == "enrolled"
	}, 20*time.Second, 100*time.Millisecond)
	require.True(t, d.Placement.Direct)
	require.Equal(t, 3, d.Placement.Year)
	require.Equal(t, polo1, *d.Hub, "counted under the hub of its territory")
	require.Equal(t, []string{"filed", "enrolled_directly"}, timelineKinds(d))

	// The family moves from Milano to Sesto San Giovanni: the case goes to CTI 22.
	moving := b.fileCase(t, validBody())
	b.actOK(t, polo1, moving.Id, "proposal", map[string]any{"school": schoolA})
	require.Equal(t, "comune", b.actProblem(t, "comune:015146", moving.Id, "transfer", map[string]any{"comune": "015999"}, http.StatusUnprocessableEntity))
	moved := b.actOK(t, "comune:015146", moving.Id, "transfer", map[string]any{"comune": "015209"})
	require.Equal(t, "awaiting_proposal", moved.Stage)
	require.Equal(t, "cti:22", *moved.Hub)
	require.Equal(t, "015209", moved.Comune)
	require.Equal(t, []string{"filed", "routed", "proposed", "transferred", "routed"}, timelineKinds(moved))
	b.actOK(t, "cti:22", moving.Id, "proposal", map[string]any{"school": sestoSchl})

	// The comune withdraws a request; the case closes and takes no more actions.
	withdrawn := b.fileCase(t, validBody())
	b.actProblem(t, "comune:015209", withdrawn.Id, "withdrawal", map[string]any{"reason": "duplicate"}, http.StatusNotFound)
	b.actProblem(t, polo1, withdrawn.Id, "withdrawal", map[string]any{"reason": "duplicate"}, http.StatusForbidden)
	w := b.actOK(t, "comune:015146", withdrawn.Id, "withdrawal", map[string]any{"reason": "duplicate"})
	require.Equal(t, "withdrawn", w.Stage)
	require.Nil(t, w.Task)
	require.Eventually(t, func() bool {
		r := b.as(t, polo1, http.MethodPost, "/api/v1/enrolments/"+withdrawn.Id+"/proposal", map[string]any{"school": schoolA})
		return r.status == http.StatusConflict && decodeProblem(t, r).Type == "urn:approdo:problem:case-closed"
	}, 20*time.Second, 200*time.Millisecond)

	// Lists filter and paginate.
	list := func(query string) api.CaseList {
		r := b.do(t, http.MethodGet, "/api/v1/enrolments?"+query, "", "")
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var l api.CaseList
		require.NoError(t, json.Unmarshal(r.body, &l))
		return l
	}
	require.Equal(t, withdrawn.Id, list("stage=withdrawn").Items[0].Id)
	require.Len(t, list("stage=withdrawn").Items, 1)
	require.Equal(t, moving.Id, list("hub=cti%3A22").Items[0].Id)
	require.Len(t, list("school="+schoolA).Items, 1, "the direct enrolment; the moved case now has Sesto's school")
	first := list("limit=2")
	require.Len(t, first.Items, 2)
	require.NotNil(t, first.NextCursor)
	rest := list("limit=2&cursor=" + url.QueryEscape(*first.NextCursor))
	require.Len(t, rest.Items, 1)
	require.Nil(t, rest.NextCursor)
	for query, field := range map[string]string{
		"cursor=nope": "cursor", "limit=0": "limit", "limit=tanti": "limit", "hub=rome": "hub",
		"stage=iscritto": "stage", "overdue=forse": "overdue", "escalated=2": "escalated",
	} {
		r := b.do(t, http.MethodGet, "/api/v1/enrolments?"+query, "", "")
		require.Equal(t, http.StatusBadRequest, r.status, query)
		p := decodeProblem(t, r)
		require.NotNil(t, p.Errors, query)
		require.Equal(t, field, (*p.Errors)[0].Field, query)
	}
	// Monitoring counts the direct enrolment under its hub; a count of 1 is a figure,
	// suppressed (null) for UST too.
	r = b.do(t, http.MethodGet, "/api/v1/monitoring", "", "")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var m api.Monitoring
	require.NoError(t, json.Unmarshal(r.body, &m))
	require.Equal(t, 4, m.Threshold)
	counted := map[string]api.MonitoringRow{}
	for _, row := range m.Rows {
		counted[value(row.Hub)+"/"+row.Stage] = row
	}
	for _, key := range []string{polo1 + "/enrolled", "cti:22/awaiting_decision", polo1 + "/withdrawn"} {
		require.Contains(t, counted, key)
		require.Nil(t, counted[key].Cases, "%s: 1 is <4", key)
	}
	require.Nil(t, counted[polo1+"/enrolled"].Direct)

	summary, err := json.Marshal(list(""))
	require.NoError(t, err)
	require.NotContains(t, string(summary), "Olena", "lists hold no personal data")
}

func value(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestMinorsDataIsSealedInTemporal reads a case's history as Temporal keeps it: the
// minor's name must not be there in the clear, and the API still answers with it.
func TestMinorsDataIsSealedInTemporal(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	c := b.fileCase(t, validBody())
	require.Equal(t, "Olena", b.getCase(t, c.Id).Minor.GivenName)
	raw, err := client.Dial(client.Options{HostPort: temporalServer.HostPort(), Namespace: namespace, Logger: sdkLogger})
	require.NoError(t, err)
	defer raw.Close()
	iter := raw.GetWorkflowHistory(b.ctx, c.WorkflowId, "", false, 0)
	events := 0
	for iter.HasNext() {
		event, err := iter.Next()
		require.NoError(t, err)
		// The binary form: payloads' bytes are in it as they are (JSON would base64 them).
		data, err := proto.Marshal(event)
		require.NoError(t, err)
		require.NotContains(t, string(data), "Olena", "event %d", event.GetEventId())
		require.NotContains(t, string(data), "Kovalenko", "event %d", event.GetEventId())
		events++
	}
	require.Greater(t, events, 5)
}
