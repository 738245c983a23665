package e2e_test

import (
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

const milanoPEC = "protocollo@pec.comune.milano.example.org"

// placeCase files a case and takes it to enrolment, which sends the comune a PEC.
func (b *bundle) placeCase(t *testing.T) string {
	t.Helper()
	c := b.fileCase(t, validBody())
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})
	b.actOK(t, "school:"+schoolA, c.Id, "decision", map[string]any{"accept": true, "section": "B", "startDate": time.Now().Format(time.DateOnly)})
	return c.Id
}

// placementNotice waits until the comune's notice of the placement has an outcome and
// returns it: delivered, or why not.
func (b *bundle) placementNotice(t *testing.T, caseID string) (delivered bool, undelivered string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var d *time.Time
		var u *string
		err := b.pool.QueryRow(b.ctx, `SELECT delivered_at, undelivered FROM notification
			WHERE case_id = $1 AND kind = 'placement_confirmed' AND recipient = 'comune:015146'`, caseID).Scan(&d, &u)
		if err != nil || (d == nil && u == nil) {
			return false
		}
		delivered = d != nil
		if u != nil {
			undelivered = *u
		}
		return true
	}, 60*time.Second, 200*time.Millisecond, "the PEC to the comune gets an outcome; mailbox: %s", b.mailboxSummary())
	return delivered, undelivered
}

func TestPECToTheComuneIsDeliveredByItsReceipt(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{mail: pecMail()})
	id := b.placeCase(t)
	delivered, _ := b.placementNotice(t, id)
	require.True(t, delivered, "the delivery receipt was matched to the notice")

	var kinds []string
	rows, err := b.pool.Query(b.ctx, `SELECT r.kind FROM pec_receipt r JOIN notification n ON n.message_id = r.message_id
		WHERE n.case_id = $1 ORDER BY r.id`, id)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		kinds = append(kinds, k)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"accettazione", "avvenuta-consegna"}, kinds, "both receipts are kept as evidence")
	c := decodeCase(t, b.do(t, http.MethodGet, "/api/v1/enrolments/"+id, "", ""))
	require.False(t, c.Escalated != nil && *c.Escalated)
	var key string
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT key FROM notification WHERE case_id = $1 AND kind = 'placement_confirmed' AND recipient = 'comune:015146'`, id).Scan(&key))
	// The acceptance is only stored: the workflow is told of the delivery receipt alone,
	// and sends in its first workflow task (a local activity, no scheduled one).
	require.NoError(t, b.temporal.GetWorkflow(b.ctx, activities.NoticeWorkflowID(key), "").Get(b.ctx, nil))
	counts := b.eventCounts(t, activities.NoticeWorkflowID(key))
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED], "signals: %v", counts)
	require.Equal(t, 2, counts[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED], "workflow tasks: %v", counts)
	require.Zero(t, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED], "scheduled activities: %v", counts)
	if !*updateHistories {
		b.requireReplaysSealedFromScratch(t, activities.NoticeWorkflowID(key))
	}
	if *updateHistories {
		writeHistory(t, b.temporal, activities.NoticeWorkflowID(key), "delivery_pec_delivered_by_receipt.json")
	}
}

func TestUndeliveredPECEscalatesTheCase(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{mail: pecMail(milanoPEC)})
	id := b.placeCase(t)
	delivered, why := b.placementNotice(t, id)
	require.False(t, delivered)
	require.Equal(t, "errore-consegna", why)

	// The case shows it, in the API and in the Temporal UI's filter, and UST is told.
	require.Eventually(t, func() bool {
		c := decodeCase(t, b.do(t, http.MethodGet, "/api/v1/enrolments/"+id, "", ""))
		return c.Escalated != nil && *c.Escalated && c.EscalationReason != nil && *c.EscalationReason == casework.EscalationNoticeUndelivered
	}, 30*time.Second, 200*time.Millisecond)
	c := decodeCase(t, b.do(t, http.MethodGet, "/api/v1/enrolments/"+id, "", ""))
	require.Equal(t, "enrolled", c.Stage, "the case goes on")
	require.NotNil(t, c.Timeline)
	last := (*c.Timeline)[len(*c.Timeline)-1]
	require.Equal(t, string(casework.EventNoticeUndelivered), last.Kind)
	b.waitForMail(t, "ust@approdo.test", "Avviso PEC non consegnato")
	require.Eventually(t, func() bool {
		return b.countWorkflows(t, `WorkflowType = 'EnrolmentCase' AND Escalated = true AND WorkflowId = '`+c.WorkflowId+`'`) == 1
	}, 30*time.Second, 500*time.Millisecond, "findable in the Temporal UI as escalated")
	// The PEC's delivery workflow noted the outcome (a local activity) and ended.
	var key string
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT key FROM notification WHERE case_id = $1 AND kind = 'placement_confirmed' AND recipient = 'comune:015146'`, id).Scan(&key))
	require.NoError(t, b.temporal.GetWorkflow(b.ctx, activities.NoticeWorkflowID(key), "").Get(b.ctx, nil))
	if *updateHistories {
		// enrolment_placed_then_pec_undelivered.json is the same story before lean-case,
		// enrolment_lean_placed_then_pec_undelivered.json before the recording in the first
		// task; delivery_pec_undelivered_lean.json the delivery before its local send.
		writeHistory(t, b.temporal, activities.NoticeWorkflowID(key), "delivery_pec_undelivered_local_send.json")
		writeHistory(t, b.temporal, c.WorkflowId, "enrolment_first_task_placed_then_pec_undelivered.json")
	}
}

// requireReplaysSealedFromScratch replays a workflow's history as a sealing worker that
// lost its cache does, with TEMPORAL_PAYLOAD_PLAIN_BEFORE set: the SDK reads the markers
// of the first workflow task before the workflow's input, so they must be sealed (the
// worker seals every marker it writes) or the replay would refuse them and take another
// path.
func (b *bundle) requireReplaysSealedFromScratch(t *testing.T, workflowID string) {
	t.Helper()
	var history historypb.History
	iter := b.temporal.GetWorkflowHistory(b.ctx, workflowID, "", false, 0)
	for iter.HasNext() {
		event, err := iter.Next()
		require.NoError(t, err)
		history.Events = append(history.Events, event)
	}
	markers := 0
	for _, e := range history.Events {
		for _, details := range e.GetMarkerRecordedEventAttributes().GetDetails() {
			for _, p := range details.GetPayloads() {
				require.True(t, sealedPayload(p), "marker %d's payloads are sealed", e.GetEventId())
				markers++
			}
		}
	}
	require.NotZero(t, markers)
	cutoff := history.Events[0].GetEventTime().AsTime().Add(time.Hour)
	r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: payloadCodec.PlainBefore(cutoff).DataConverter()})
	require.NoError(t, err)
	worker.RegisterWorkflows(r)
	require.NoError(t, r.ReplayWorkflowHistory(nil, &history))
}

// eventCounts counts the events of a workflow's history by type.
func (b *bundle) eventCounts(t *testing.T, workflowID string) map[enumspb.EventType]int {
	t.Helper()
	counts := map[enumspb.EventType]int{}
	iter := b.temporal.GetWorkflowHistory(b.ctx, workflowID, "", false, 0)
	for iter.HasNext() {
		event, err := iter.Next()
		require.NoError(t, err)
		counts[event.GetEventType()]++
	}
	return counts
}

// countWorkflows counts the executions a visibility query finds.
func (b *bundle) countWorkflows(t *testing.T, query string) int64 {
	t.Helper()
	res, err := b.temporal.CountWorkflow(b.ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: query})
	require.NoError(t, err)
	return res.GetCount()
}

func TestOnboardingDeliversCredentialsByPECAndEndsAtTheFirstLogin(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{mail: pecMail()})
	const rho, rhoPEC = "015182", "protocollo@pec.comune.rho.example.org"
	run, err := b.temporal.ExecuteWorkflow(b.ctx, client.StartWorkflowOptions{ID: workflows.OnboardingWorkflowID(rho) + "-" + b.taskQueue, TaskQueue: b.taskQueue},
		workflows.OnboardingWorkflowName, workflows.OnboardingInput{Istat: rho})
	require.NoError(t, err)

	credentials := b.waitForMail(t, rhoPEC, "Credenziali di accesso")
	require.Equal(t, pecSender, credentials.From, "sent by PEC")
	body := decodedBody(t, credentials)
	password := regexp.MustCompile(`Password provvisoria: (\S+)`).FindStringSubmatch(body)
	require.Len(t, password, 2, body)
	require.Contains(t, body, "Utente: "+rhoPEC)
	require.Regexp(t, `nuova: https://approdo\.test/accesso\s`, body, "the link opens the portal's login page")

	// The delivery receipt moves the onboarding on to the first login.
	query := func() workflows.OnboardingState {
		v, err := b.temporal.QueryWorkflow(b.ctx, run.GetID(), "", workflows.QueryOnboarding)
		require.NoError(t, err)
		var s workflows.OnboardingState
		require.NoError(t, v.Get(&s))
		return s
	}
	require.Eventually(t, func() bool { return query().Stage == workflows.OnboardingAwaitingLogin }, 30*time.Second, 200*time.Millisecond)
	var secretLeft *string
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT secret FROM account_message WHERE key = $1", "onboarding/015182/"+run.GetRunID()+"/credentials/1").Scan(&secretLeft))
	require.Nil(t, secretLeft, "the password is not kept once sent")

	// The comune logs in with it, and must change it; the onboarding ends.
	r, _ := b.login(t, rhoPEC, password[1])
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.Contains(t, string(r.body), `"mustChangePassword":true`)
	// The API signals the workflow of ID onboarding-comune-015182; this test's has another
	// ID (tests share the server), so it finds the login at its next look at the database.
	require.NoError(t, b.temporal.SignalWorkflow(b.ctx, run.GetID(), "", workflows.SignalFirstLogin, nil))
	var final workflows.OnboardingState
	require.NoError(t, run.Get(b.ctx, &final))
	require.Equal(t, workflows.OnboardingDone, final.Stage)
	if *updateHistories {
		writeHistory(t, b.temporal, run.GetID(), "onboarding_credentials_delivered_then_first_login.json")
		writeHistory(t, b.temporal, workflows.AccountMessageWorkflowID("onboarding/015182/"+run.GetRunID()+"/credentials/1"), "account_message_pec_delivered.json")
	}
}

func TestKillingTheWorkerMidSendSendsNoDuplicate(t *testing.T) {
	t.Parallel()
	// The mailbox holds the first PEC to the comune before answering, until the worker
	// sending it has been stopped: the provider has the message, the worker never heard.
	held := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	mail := pecMail()
	mail.Hold = func(m devmail.Message) {
		if len(m.To) == 1 && m.To[0] == milanoPEC {
			once.Do(func() {
				close(held)
				<-release
			})
		}
	}
	b := setup(t, setupOptions{mail: mail})
	c := b.fileCase(t, validBody())
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})
	b.actOK(t, "school:"+schoolA, c.Id, "decision", map[string]any{"accept": true, "section": "B", "startDate": time.Now().Format(time.DateOnly)})

	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatalf("the PEC never reached the mailbox; mailbox: %s", b.mailboxSummary())
	}
	stopped := make(chan struct{})
	go func() { b.worker.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not stop")
	}
	close(release)

	// A new worker takes over the interrupted send.
	w := worker.New(b.temporal, b.taskQueue, sdkworker.Options{}, b.workerDeps(t))
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	require.Eventually(t, func() bool {
		var sent bool
		err := b.pool.QueryRow(b.ctx, `SELECT sent_at IS NOT NULL FROM notification
			WHERE case_id = $1 AND kind = 'placement_confirmed' AND recipient = 'comune:015146'`, c.Id).Scan(&sent)
		return err == nil && sent
	}, 90*time.Second, 200*time.Millisecond, "the new worker settles the send")
	n := 0
	for _, m := range b.mailbox.Messages() {
		if len(m.To) == 1 && m.To[0] == milanoPEC && m.Receipt == "" {
			n++
		}
	}
	require.Equal(t, 1, n, "the comune got the PEC once")
	var attempts int
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT attempts FROM notification
		WHERE case_id = $1 AND kind = 'placement_confirmed' AND recipient = 'comune:015146'`, c.Id).Scan(&attempts))
	require.Equal(t, 2, attempts, "the interrupted attempt, then the one that found the acceptance receipt")
}
