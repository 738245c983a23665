package e2e_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Two schools of the registry share a PEC (their managing body's): UST starts the
// onboarding of every school through the API, which says so; each school gets its own
// credentials at the shared address, naming it and giving its code as the login, with
// which it logs in.
func TestSchoolsSharingAPECAreOnboardedEachWithItsCode(t *testing.T) {
	t.Parallel()
	const shared = "scuole.gestore@pec.example.org"
	b := setup(t, setupOptions{mail: pecMail()})
	// Onboarding workflow IDs are the organisation's, on a Temporal server the tests
	// share: the schools take codes of their own here (TestUSTOnboardsTheSchoolsFromThePortal
	// onboards the sample's).
	_, err := b.pool.Exec(b.ctx, `UPDATE school SET code = 'SP' || substr(code, 3)`)
	require.NoError(t, err)
	_, err = b.pool.Exec(b.ctx, `UPDATE school SET pec = $1 WHERE code IN ('SPIC90004A', 'SPIC90005A')`, strings.ToUpper(shared))
	require.NoError(t, err)

	r := b.doAs(t, "ust", http.MethodPost, "/api/v1/onboardings", "application/json", `{"group":"schools"}`)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var started struct{ Started, Skipped, SharedSchools, SharedAddresses int }
	require.NoError(t, json.Unmarshal(r.body, &started))
	require.Equal(t, 12, started.Started, "every school, the two sharing a PEC too")
	require.Equal(t, 2, started.SharedSchools)
	require.Equal(t, 1, started.SharedAddresses)

	bodies := map[string]string{}
	require.Eventually(t, func() bool {
		for _, m := range b.mailboxTo(shared) {
			if strings.Contains(m.Subject, "Credenziali di accesso") {
				body := decodedBody(t, m)
				if login := regexp.MustCompile(`Utente: (\S+)`).FindStringSubmatch(body); login != nil {
					bodies[login[1]] = body
				}
			}
		}
		return len(bodies) == 2
	}, 60*time.Second, 200*time.Millisecond, "one message each at the shared PEC; mailbox: %s", b.mailboxSummary())
	for code, name := range map[string]string{"spic90004a": "IC Esempio Municipio 7", "spic90005a": "IC Esempio via Scialoia"} {
		body, ok := bodies[code]
		require.True(t, ok, "the message giving %s as the login", code)
		require.Contains(t, body, "Spett.le "+name+",", "it names its school")
		password := regexp.MustCompile(`Password provvisoria: (\S+)`).FindStringSubmatch(body)
		require.Len(t, password, 2)
		login, _ := b.login(t, strings.ToUpper(code), password[1])
		require.Equal(t, http.StatusOK, login.status, "the school logs in with its code: %s", login.body)
		require.Contains(t, string(login.body), "school:"+strings.ToUpper(code))
	}
	var delivered int
	require.Eventually(t, func() bool {
		require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT count(*) FROM account_message m JOIN app_user u ON u.id = m.user_id
			WHERE m.kind = 'credentials' AND m.delivered_at IS NOT NULL AND u.mailbox = $1`, shared).Scan(&delivered))
		return delivered == 2
	}, 60*time.Second, 200*time.Millisecond, "each message's receipt is matched to it")

	again := b.doAs(t, "ust", http.MethodPost, "/api/v1/onboardings", "application/json", `{"group":"schools"}`)
	require.Equal(t, http.StatusOK, again.status, string(again.body))
	require.Contains(t, string(again.body), `"started":0`)
	require.Contains(t, string(again.body), `"skipped":12`)
}
