package e2e_test

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/devtemporal/devtemporaltest"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/internal/searchattr"
)

// TestTemporalUIDecodesForUST is the supervisor's way into a case's history, in Chromium
// on the real stack: the Temporal Web UI, configured with the API's codec server as the
// dev stack configures it, shows a UST person logged in to the portal the case's event
// history decoded (its input, its register Update's result); a school's person logged in
// the same way sees only the sealed bytes.
//
// The test has a Temporal server of its own, whose UI calls this test's API: the codec
// endpoint is fixed when the server starts, so the API's address is taken first.
func TestTemporalUIDecodesForUST(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv, err := devtemporaltest.Start(ctx, devtemporaltest.Options{UI: true, CodecEndpoint: "http://" + listener.Addr().String() + api.CodecPath})
	require.NoError(t, err)
	t.Cleanup(func() {
		stopCtx, stopCancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer stopCancel()
		_ = srv.Stop(stopCtx)
	})
	plain, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: namespace, Logger: sdkLogger})
	require.NoError(t, err)
	err = searchattr.Ensure(ctx, plain, namespace)
	plain.Close()
	require.NoError(t, err)
	b := setup(t, setupOptions{temporal: srv, listener: listener, temporalUI: true})

	body := validBody()
	// A code of the filing, not personal data, is what the test looks for: the request's
	// ID is in the workflow's input only, never in its ID or search attributes.
	requestID := body["requestId"].(string)
	created := b.post(t, body)
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	caseID := decodeCase(t, created).Id
	run, err := b.temporal.DescribeWorkflowExecution(b.ctx, enrolment.WorkflowID(caseID), "")
	require.NoError(t, err)
	history := srv.UIURL() + "/namespaces/" + namespace + "/workflows/" + enrolment.WorkflowID(caseID) + "/" +
		run.GetWorkflowExecutionInfo().GetExecution().GetRunId() + "/history"

	const ustEmail, schoolEmail = "supervisione@ust.example.org", "segreteria@miic90001a.example.org"
	b.portalAccount(t, casework.UST, "Ufficio Scolastico Territoriale", ustEmail)
	b.portalAccount(t, casework.Org{Kind: casework.OrgSchool, Code: schoolA}, "IC Esempio Milano Centro", schoolEmail)
	br := browsertest.New(t)

	// What the test reads on the page: the workflow's input, in the panel above the
	// events; the register Update's result, in its event's row.
	input := `document.querySelector('[data-testid="input-and-result"]')?.innerText ?? ""`
	update := `[...document.querySelectorAll('tr[data-testid="event-summary-row"]')].
		filter(r => r.innerText.includes("Update Completed")).map(r => r.innerText).join("\n")`

	// The UST supervisor logs in to the portal, then opens the case's event history in
	// the UI: the UI's codec calls carry the portal's cookie, and the input and the
	// Update show decoded.
	ust := newPortalUser(t, br, b, "UST")
	require.EqualValues(t, 200, ust.open("/accesso"))
	require.EqualValues(t, 200, ust.login(ustEmail, userPassword))
	ust.openUI(history)
	require.True(t, ust.uiHolds(input, requestID, time.Minute), "UST reads the case's input, decoded, on %s", ust.location())
	require.True(t, strings.HasSuffix(ust.location(), "/history"), "the event history: %s", ust.location())
	require.False(t, ust.uiHolds(input, sealedEncoding, 0), "UST sees no sealed payload in the input")
	require.True(t, ust.uiHolds(update, `"Created":`, 30*time.Second), "UST reads the register Update's result, decoded")

	// A school's person, logged in to the portal just as well, sees the sealed bytes:
	// the codec server refused, and the UI shows the payloads as they are stored. The
	// UI logs the codec server's refusals as errors, which is right here.
	school := &portalUser{t: t, name: "school", tab: br.NewTab(t), base: b.api.URL}
	br.RequireOnlyLocalRequests(t, school.tab)
	require.EqualValues(t, 200, school.open("/accesso"))
	require.EqualValues(t, 200, school.login(schoolEmail, userPassword))
	school.openUI(history)
	require.True(t, school.uiHolds(input, sealedEncoding, time.Minute), "the school sees the sealed input on %s", school.location())
	require.False(t, school.uiHolds(input, requestID, 0), "the school does not read the case's input")
	require.True(t, school.uiHolds(update, "Update Completed", 30*time.Second), "the school sees the Update's event")
	require.False(t, school.uiHolds(update, `"Created"`, 0), "the school does not read the Update's result")

	// Both calls of the UI reached the codec server with the person's session, and are
	// in the audit log: the school's refused, UST's answered.
	outcomes := map[string][]string{}
	for _, r := range b.codecAudit(t) {
		outcomes[r.organisation] = append(outcomes[r.organisation], r.outcome)
	}
	require.Contains(t, outcomes["ust"], "200", "UST's decodes: %v", outcomes)
	require.Contains(t, outcomes["school:"+schoolA], "403", "the school's refused decodes: %v", outcomes)
	require.NotContains(t, outcomes["school:"+schoolA], "200", "no decode answered to the school: %v", outcomes)
}

// sealedEncoding is how the UI writes the metadata of a sealed payload it could not
// decode: "binary/approdo-aes256gcm" (payloadcrypt.Encoding) in base64, as proto3 JSON
// writes bytes.
var sealedEncoding = base64.StdEncoding.EncodeToString([]byte(payloadcrypt.Encoding))

// openUI opens a page of the Temporal Web UI. The UI keeps connections open, so the page
// never reaches network idle: what it shows is waited for instead.
func (p *portalUser) openUI(url string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, actionTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	require.NoError(p.t, err, "%s opens the Temporal UI", p.name)
}

// uiHolds waits until the text that the JavaScript expression text evaluates to holds
// want, and tells whether it did (within 0 looks once). It never returns the text: a
// decoded history holds personal data, which no failure message may repeat.
func (p *portalUser) uiHolds(text, want string, within time.Duration) bool {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(p.tab, 5*time.Second)
		found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(`+text+`).includes(`+strconv.Quote(want)+`)`))
		cancel()
		if err == nil && found {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(300 * time.Millisecond)
	}
}
