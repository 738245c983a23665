package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/devmail"
)

// waitForMail waits until the mailbox holds a message to to whose subject contains
// subject, and returns it.
func (b *bundle) waitForMail(t *testing.T, to, subject string) devmail.Message {
	t.Helper()
	var found devmail.Message
	require.Eventually(t, func() bool {
		for _, m := range b.mailbox.Messages() {
			if addressedTo(m, to) && strings.Contains(m.Subject, subject) {
				found = m
				return true
			}
		}
		return false
	}, 60*time.Second, 200*time.Millisecond, "no mail %q for %s; mailbox: %s; failures: %s", subject, to, b.mailboxSummary(), b.deliveryFailures(t))
	return found
}

func TestNoticesAreMailedOnceEvenWhenTheServerSaysTryLater(t *testing.T) {
	t.Parallel()
	// The mailbox answers 451 to the first message, as a busy provider does.
	b := setup(t, setupOptions{mail: &devmail.Options{TempFailures: 1}})
	body := validBody()
	body["guardian"].(map[string]any)["email"] = "iryna@example.org"
	c := b.fileCase(t, body)

	// The hub (Polo START 1, hosted by MIIC90002A) is told, after a retry, once.
	assigned := b.waitForMail(t, "miic90002a@example.org", "Nuovo caso")
	require.Contains(t, string(assigned.Raw), c.Id, "the notice names the case")
	require.NotContains(t, string(assigned.Raw), "Olena", "and not the minor")
	require.Contains(t, decodedBody(t, assigned), "https://approdo.test/casi/"+c.Id, "and links to its page")
	var key string
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT key FROM notification WHERE case_id = $1 AND kind = 'case_assigned'", c.Id).Scan(&key))
	require.Equal(t, activities.MessageID(key, "approdo.test"), assigned.MessageID, "the Message-ID comes from the notification's key")
	// The mailbox holds the message a moment before the activity records it as sent.
	var attempts int
	require.Eventually(t, func() bool {
		var sent bool
		err := b.pool.QueryRow(b.ctx, "SELECT attempts, sent_at IS NOT NULL FROM notification WHERE key = $1", key).Scan(&attempts, &sent)
		return err == nil && sent
	}, 30*time.Second, 100*time.Millisecond, "the notification is recorded as sent")
	require.Equal(t, 2, attempts, "a 451, then delivered")

	// Placing the minor tells the family in Ukrainian, the guardian's language.
	b.actOK(t, polo1, c.Id, "proposal", map[string]any{"school": schoolA})
	b.actOK(t, "school:"+schoolA, c.Id, "decision", map[string]any{"accept": true, "section": "B", "startDate": time.Now().Format(time.DateOnly)})
	family := b.waitForMail(t, "iryna@example.org", "")
	require.Equal(t, "Зарахування до школи підтверджено", family.Subject)
	require.Contains(t, string(family.Raw), "=?UTF-8?", "sent MIME-encoded")
	require.Contains(t, decodedBody(t, family), "зараховано")

	// The comune is notified by PEC, from the certified mailbox.
	pec := b.waitForMail(t, "protocollo@pec.comune.milano.example.org", "Iscrizione confermata")
	require.Equal(t, "approdo@pec.approdo.test", pec.From)

	// Nothing was sent twice.
	require.Eventually(t, func() bool {
		var unsent int
		_ = b.pool.QueryRow(b.ctx, "SELECT count(*) FROM notification WHERE sent_at IS NULL AND last_error IS NULL").Scan(&unsent)
		return unsent == 0
	}, 60*time.Second, 200*time.Millisecond)
	seen := map[string]int{}
	for _, m := range b.mailbox.Messages() {
		seen[m.MessageID]++
	}
	for id, n := range seen {
		require.Equal(t, 1, n, "message %s delivered %d times", id, n)
	}
	require.Equal(t, http.StatusOK, b.do(t, "GET", "/api/v1/enrolments/"+c.Id, "", "").status)
}

// decodedBody returns the text/plain part of a message, decoded.
func decodedBody(t *testing.T, m devmail.Message) string {
	t.Helper()
	text, err := devmail.PlainText(m.Raw)
	require.NoError(t, err)
	return text
}

func (b *bundle) mailboxSummary() string {
	var lines []string
	for _, m := range b.mailbox.Messages() {
		lines = append(lines, strings.Join(m.To, ",")+": "+m.Subject)
	}
	return strings.Join(lines, "; ")
}

func (b *bundle) deliveryFailures(t *testing.T) string {
	rows, err := b.pool.Query(b.ctx, "SELECT recipient || ' ' || kind || ': ' || last_error FROM notification WHERE last_error IS NOT NULL")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}
