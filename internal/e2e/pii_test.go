package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/approdo/approdo/internal/devmail"
)

// The minors of the tests: what must never be found where it is not protected (search
// attributes, workflow IDs, logs, error bodies, notices). Birth dates are looked for as
// written in requests and as an Italian page or notice would write them.
var testMinors = []string{
	// validBody
	"Olena", "Kovalenko", "2017-04-12", "12/04/2017", "12345678903",
	// the correction of its case
	"Olha", "RSSMRA85T10A562S",
	// reunifiedFamily's children
	"Amina", "Karim", "Sara", "Benali", "2013-05-01", "01/05/2013", "2024-05-01", "01/05/2024",
}

// piiFinding is a piece of personal data found in a place it must not be.
type piiFinding struct {
	Where, Value string
}

func (f piiFinding) String() string { return fmt.Sprintf("%q in %s", f.Value, f.Where) }

// piiScan is where the scan has looked so far and what it found.
type piiScan struct {
	needles  []string
	findings []piiFinding
	places   int
}

// look searches text, found in where, for every needle, case-insensitively and as a
// whole word (Sara is a name, "Sarajevo" is not).
func (s *piiScan) look(where, text string) {
	s.places++
	lower := strings.ToLower(text)
	for _, n := range s.needles {
		needle := strings.ToLower(n)
		for i := 0; ; {
			j := strings.Index(lower[i:], needle)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(needle)
			if !wordChar(lower, start-1) && !wordChar(lower, end) {
				s.findings = append(s.findings, piiFinding{Where: where, Value: n})
				break
			}
			i = start + 1
		}
	}
}

// wordChar reports whether s has a letter or digit at i (false outside s).
func wordChar(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// The scanner finds what was planted, wherever it sits in the text, and only whole words.
func TestPIIScanFindsAPlantedValue(t *testing.T) {
	t.Parallel()
	s := piiScan{needles: testMinors}
	s.look("a log line", `level=INFO msg="case filed" minor=olena`)
	s.look("a workflow ID", "enrolment-12345678903")
	s.look("a notice", "Nata il 12/04/2017 a Kyiv")
	s.look("a clean place", "Sarajevo, Karimov, 22017-04-123, case 7f3a")
	require.Equal(t, []piiFinding{
		{"a log line", "Olena"}, {"a workflow ID", "12345678903"}, {"a notice", "12/04/2017"},
	}, s.findings)
}

// syncBuffer is a buffer the API's, the worker's and the SDK's loggers write to at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestNoPersonalDataLeavesWhereItIsProtected runs the journeys of a minor (an enrolment
// case with a refusal, a transfer attempt and the placement; a reunified family whose
// children get their cases) with every log captured, then looks for the test minors'
// names, birth dates and codice fiscale in the search attributes and IDs of every
// workflow the test started, the logs, the error bodies of refused requests and the
// notices of the mailbox. Only the case reads and the journey reads, which the tests
// make as organisations that may see them, carry them.
func TestNoPersonalDataLeavesWhereItIsProtected(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	b := setup(t, setupOptions{mail: &devmail.Options{}, logs: logs})
	scan := piiScan{needles: testMinors}
	refused := func(r response, what string) {
		t.Helper()
		require.GreaterOrEqual(t, r.status, 400, "%s: %s", what, r.body)
		scan.look("the error body of "+what, string(r.body))
	}

	// An enrolment case, refused on its way in, then filed, refused by a school, placed.
	bad := validBody()
	bad["minor"].(map[string]any)["birthDate"] = time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	refused(b.post(t, bad), "a filing with a future birth date")
	wrongComune := validBody()
	refused(b.as(t, orgOtherHub, http.MethodPost, "/api/v1/enrolments", wrongComune), "a filing by a hub")
	filed := validBody()
	filed["minor"].(map[string]any)["codiceFiscale"] = "12345678903"
	c := b.fileCase(t, filed)
	refused(b.doAs(t, orgOtherComune, http.MethodGet, "/api/v1/enrolments/"+c.Id, "", ""), "a read of another comune's case")
	// The comune corrects the name and makes the codice fiscale definitive, after a try
	// with a wrong check character.
	refused(b.as(t, orgComune, http.MethodPost, "/api/v1/enrolments/"+c.Id+"/amend", amendBody(filed, "typo", func(r map[string]any) {
		r["minor"].(map[string]any)["codiceFiscale"] = "RSSMRA85T10A562T"
	})), "a correction with a wrong codice fiscale")
	b.actOK(t, orgComune, c.Id, "amend", amendBody(filed, "definitive_codice_fiscale", func(r map[string]any) {
		r["minor"].(map[string]any)["givenName"] = "Olha"
		r["minor"].(map[string]any)["codiceFiscale"] = "RSSMRA85T10A562S"
	}))
	refused(b.as(t, "school:"+schoolB, http.MethodPost, "/api/v1/enrolments/"+c.Id+"/decision", map[string]any{"accept": true}), "a decision by a school not asked")
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})
	refused(b.as(t, "school:"+schoolA, http.MethodPost, "/api/v1/enrolments/"+c.Id+"/decision", map[string]any{"accept": false}), "a refusal without a reason")
	b.actOK(t, "school:"+schoolA, c.Id, "decision", map[string]any{"accept": false, "reason": "no_seats"})
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolB})
	b.actOK(t, "school:"+schoolB, c.Id, "decision", map[string]any{"accept": true, "section": "B", "startDate": time.Now().Format(time.DateOnly)})
	refused(b.as(t, orgComune, http.MethodPost, "/api/v1/enrolments/"+c.Id+"/withdrawal", map[string]any{"reason": "moved_abroad"}), "a withdrawal after enrolment")

	// A reunified family: its journey, and the cases of its school-age children.
	family := reunifiedFamily("PREF-MI-2026-PII")
	created := b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", family)
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	scan.look("the answer to the Prefettura", string(created.body))
	changed := reunifiedFamily("PREF-MI-2026-PII")
	changed["language"] = "fr"
	refused(b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", changed), "a family reference reused")
	invalid := reunifiedFamily("PREF-MI-2026-PII-2")
	invalid["members"].([]map[string]any)[0]["birthDate"] = "12/04/2017"
	refused(b.as(t, orgPrefettura, http.MethodPost, "/api/v1/reunifications", invalid), "a family with a badly written birth date")
	id := journeyID(t, created)
	refused(b.as(t, "ust", http.MethodGet, "/api/v1/reunifications/"+id, nil), "UST's read of a journey")
	b.journeyAct(t, id, "contact-attempts", map[string]any{"outcome": "reached"})
	b.journeyAct(t, id, "interview-schedule", map[string]any{"at": time.Now().Add(48 * time.Hour).Format(time.RFC3339)})
	b.journeyAct(t, id, "interview", map[string]any{"held": true, "supportAreas": []string{"school"}})
	j := b.journeyAct(t, id, "arrival", map[string]any{"date": time.Now().Format(time.DateOnly)})
	require.Len(t, j.Children, 2)
	for _, child := range j.Children {
		require.Eventually(t, func() bool {
			r := b.do(t, http.MethodGet, "/api/v1/enrolments/"+child.CaseId, "", "")
			return r.status == http.StatusOK && decodeCase(t, r).Stage == "awaiting_proposal"
		}, 30*time.Second, 200*time.Millisecond)
	}
	// Every notice is out before the mailbox is read.
	require.Eventually(t, func() bool { return len(b.mailbox.Messages()) > 0 }, 60*time.Second, 200*time.Millisecond)
	time.Sleep(2 * time.Second)

	// Temporal: the ID and the search attributes of every workflow of this test.
	list, err := b.temporal.ListWorkflow(b.ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: namespace, Query: "TaskQueue = '" + b.taskQueue + "'", PageSize: 1000,
	})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(list.Executions), 4, "two enrolment cases, the journey, the children's cases")
	for _, e := range list.Executions {
		wid := e.GetExecution().GetWorkflowId()
		scan.look("a workflow ID", wid)
		desc, err := b.temporal.DescribeWorkflowExecution(b.ctx, wid, e.GetExecution().GetRunId())
		require.NoError(t, err)
		for name, p := range desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
			scan.look("search attribute "+name+" of "+wid, string(p.GetData()))
		}
	}

	// The notices, as sent and as read.
	require.NotEmpty(t, b.mailbox.Messages())
	for _, m := range b.mailbox.Messages() {
		where := fmt.Sprintf("the notice %q to %v", m.Subject, m.To)
		scan.look(where, m.Subject)
		scan.look(where, string(m.Raw))
		scan.look(where, decodedBody(t, m))
	}

	// The logs of the API, the worker, the activities and the SDK, at every level.
	require.NotEmpty(t, logs.String(), "the logs were captured")
	for i, line := range strings.Split(logs.String(), "\n") {
		scan.look(fmt.Sprintf("log line %d", i+1), line)
	}

	require.Empty(t, scan.findings, "personal data of the test minors where it must not be")
	t.Logf("looked in %d places", scan.places)
}

// journeyID reads the ID of the journey a family opened.
func journeyID(t *testing.T, r response) string {
	t.Helper()
	loc := strings.TrimPrefix(r.location, "/api/v1/reunifications/")
	require.NotEmpty(t, loc, string(r.body))
	return loc
}
