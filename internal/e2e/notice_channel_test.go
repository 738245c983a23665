package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/devmail"
)

// proposalNotice waits until the notice of the proposal to schoolA has an outcome and
// returns its channel, whether it was dispatched (no workflow of its own), its key, and
// delivered or why not.
func (b *bundle) proposalNotice(t *testing.T, caseID string) (channel string, dispatched bool, key string, delivered bool, undelivered string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var d *time.Time
		var u *string
		err := b.pool.QueryRow(b.ctx, `SELECT coalesce(channel, ''), dispatched, key, delivered_at, undelivered FROM notification
			WHERE case_id = $1 AND kind = 'proposal' AND recipient = $2`, caseID, "school:"+schoolA).Scan(&channel, &dispatched, &key, &d, &u)
		if err != nil || (d == nil && u == nil) {
			return false
		}
		delivered = d != nil
		if u != nil {
			undelivered = *u
		}
		return true
	}, 60*time.Second, 200*time.Millisecond, "the proposal's notice to the school gets an outcome; failures: %s", b.deliveryFailures(t))
	return channel, dispatched, key, delivered, undelivered
}

// In the Ministry's registry 62 schools have a PEC but no email: their notices go by PEC,
// from a DeliverNotification workflow that waits for the receipt, as a comune's.
func TestANoticeToASchoolWithOnlyAPECGoesByPECWithItsReceipt(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{mail: pecMail()})
	_, err := b.pool.Exec(b.ctx, `UPDATE school SET email = '' WHERE code = $1`, schoolA)
	require.NoError(t, err)
	c := b.fileCase(t, validBody())
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})

	channel, dispatched, key, delivered, _ := b.proposalNotice(t, c.Id)
	require.Equal(t, "pec", channel, "decided when queued: no email, a PEC")
	require.False(t, dispatched, "a PEC is not the email dispatcher's")
	require.True(t, delivered, "its delivery receipt was matched to it")
	_, err = b.temporal.DescribeWorkflowExecution(b.ctx, activities.NoticeWorkflowID(key), "")
	require.NoError(t, err, "its own delivery workflow waited for the receipt")

	var kinds []string
	rows, err := b.pool.Query(b.ctx, `SELECT r.kind FROM pec_receipt r JOIN notification n ON n.message_id = r.message_id
		WHERE n.key = $1 ORDER BY r.id`, key)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		kinds = append(kinds, k)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"accettazione", "avvenuta-consegna"}, kinds, "both receipts are kept")
	got := b.mailboxTo("miic90001a@pec.example.org")
	require.Len(t, got, 1, "one PEC at the school's PEC address")
	require.Equal(t, pecSender, got[0].From, "sent from the PEC mailbox")
	require.Empty(t, b.mailboxTo("miic90001a@example.org"))
}

// A school with neither email nor PEC (137 in the registry) cannot be told: the notice is
// recorded undeliverable and its case shows it and alerts UST, as for a refused notice.
func TestANoticeToASchoolWithNoAddressShowsUndeliveredOnTheCase(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{mail: &devmail.Options{}})
	_, err := b.pool.Exec(b.ctx, `UPDATE school SET email = '', pec = '' WHERE code = $1`, schoolA)
	require.NoError(t, err)
	c := b.fileCase(t, validBody())
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})

	channel, dispatched, _, delivered, why := b.proposalNotice(t, c.Id)
	require.Equal(t, "email", channel)
	require.True(t, dispatched)
	require.False(t, delivered)
	require.Equal(t, activities.ReasonRefused, why)

	require.Eventually(t, func() bool {
		got := decodeCase(t, b.do(t, http.MethodGet, "/api/v1/enrolments/"+c.Id, "", ""))
		return got.Escalated != nil && *got.Escalated && got.EscalationReason != nil && *got.EscalationReason == casework.EscalationNoticeUndelivered
	}, 30*time.Second, 200*time.Millisecond, "the case escalates")
	got := decodeCase(t, b.do(t, http.MethodGet, "/api/v1/enrolments/"+c.Id, "", ""))
	require.NotNil(t, got.Timeline)
	found := false
	for _, e := range *got.Timeline {
		if e.Kind == string(casework.EventNoticeUndelivered) && e.Reason != nil && *e.Reason == "proposal" {
			found = true
		}
	}
	require.True(t, found, "the case shows the undelivered notice: %+v", *got.Timeline)
	b.waitForMail(t, "ust@approdo.test", "non consegnato")
}
