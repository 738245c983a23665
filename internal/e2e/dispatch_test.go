package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/devmail"
)

// An email notice goes out from the worker's dispatcher, with no workflow of its own;
// one its recipient's server refuses for good is not retried, and its case is told, as
// the delivery workflow told it: the case escalates and shows the notice.
func TestARefusedEmailNoticeEscalatesTheCaseWithoutADeliveryWorkflow(t *testing.T) {
	t.Parallel()
	// The hub's host school's mailbox does not exist: its server answers 550.
	b := setup(t, setupOptions{mail: &devmail.Options{Unknown: []string{"miic90002a@example.org"}}})
	c := b.fileCase(t, validBody())

	var key, undelivered string
	var attempts int
	require.Eventually(t, func() bool {
		err := b.pool.QueryRow(b.ctx, `SELECT key, coalesce(undelivered, ''), attempts FROM notification
			WHERE case_id = $1 AND kind = 'case_assigned' AND dispatched AND dispatch_due IS NULL`, c.Id).Scan(&key, &undelivered, &attempts)
		return err == nil
	}, 60*time.Second, 100*time.Millisecond, "the hub's notice is settled by the dispatcher; failures: %s", b.deliveryFailures(t))
	require.Equal(t, activities.ReasonRefused, undelivered)
	require.Equal(t, 1, attempts, "a refusal is not retried")
	_, err := b.temporal.DescribeWorkflowExecution(b.ctx, activities.NoticeWorkflowID(key), "")
	var notFound *serviceerror.NotFound
	require.ErrorAs(t, err, &notFound, "no delivery workflow for an email notice")

	require.Eventually(t, func() bool {
		got := decodeCase(t, b.do(t, http.MethodGet, "/api/v1/enrolments/"+c.Id, "", ""))
		return got.Escalated != nil && *got.Escalated && got.EscalationReason != nil && *got.EscalationReason == casework.EscalationNoticeUndelivered
	}, 30*time.Second, 200*time.Millisecond, "the case escalates")
	got := decodeCase(t, b.do(t, http.MethodGet, "/api/v1/enrolments/"+c.Id, "", ""))
	require.NotNil(t, got.Timeline)
	found := false
	for _, e := range *got.Timeline {
		if e.Kind == string(casework.EventNoticeUndelivered) && e.Reason != nil && *e.Reason == "case_assigned" {
			found = true
		}
	}
	require.True(t, found, "the case shows the undelivered notice: %+v", *got.Timeline)
	// UST is alerted, by a notice that the dispatcher sends as well.
	b.waitForMail(t, "ust@approdo.test", "non consegnato")
	require.Empty(t, b.mailboxTo("miic90002a@example.org"), "nothing reached the refused address")
}

// mailboxTo returns the messages the mailbox holds for to.
func (b *bundle) mailboxTo(to string) []devmail.Message {
	var out []devmail.Message
	for _, m := range b.mailbox.Messages() {
		if addressedTo(m, to) {
			out = append(out, m)
		}
	}
	return out
}
