package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// Issue 15, gap 5: logins, resets, password links and refused tokens are recorded with
// the account they named (user:<id>@<organisation>), a fingerprint for an address that
// is nobody's, and never the address or a password; the answers stay the same whether
// the account exists or not.
func TestAuditNamesTheAccountEachAttemptWasFor(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	owner := store.New(b.pool)
	email := b.newUser(t, false)
	user, err := owner.UserByEmail(b.ctx, email)
	require.NoError(t, err)
	account := "user:" + user.ID + "@polo_start:polo-1"
	const nobody = "Nessuno.Mai@Example.org"
	unknown := "unknown-user:" + app.AddressFingerprint(nobody)
	post := func(path string, body any) response {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		return b.doAs(t, "", "POST", path, "application/json", string(data))
	}

	// Logins: a wrong password and an unknown address get the same answer.
	wrong, _ := b.login(t, email, "non è questa password")
	stranger, _ := b.login(t, nobody, "non è questa password")
	require.Equal(t, http.StatusUnauthorized, wrong.status)
	require.Equal(t, wrong.status, stranger.status)
	wp, sp := decodeProblem(t, wrong), decodeProblem(t, stranger)
	require.Equal(t, wp.Type, sp.Type)
	require.Equal(t, wp.Title, sp.Title)
	require.Equal(t, wp.Detail, sp.Detail)
	b.loginOK(t, email, userPassword)

	// The login page records the same.
	form := url.Values{"email": {email}, "password": {"sbagliata anche qui"}}
	req, err := http.NewRequestWithContext(b.ctx, "POST", b.api.URL+"/accesso", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	page, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	page.Body.Close()
	require.Equal(t, http.StatusUnauthorized, page.StatusCode)

	// Resets: the same 202 for both.
	require.Equal(t, http.StatusAccepted, post("/api/v1/auth/password/reset", map[string]string{"email": email}).status)
	require.Equal(t, http.StatusAccepted, post("/api/v1/auth/password/reset", map[string]string{"email": nobody}).status)

	// Password links: one nobody issued, one that works, then again once spent.
	never := post("/api/v1/auth/password/set", map[string]string{"token": "apw_never-issued", "newPassword": "una password nuova e lunga"})
	require.Equal(t, http.StatusBadRequest, never.status)
	link, err := owner.CreatePasswordToken(b.ctx, user.ID, store.PurposeReset, time.Hour)
	require.NoError(t, err)
	set := map[string]string{"token": link.Secret, "newPassword": "una password nuova e lunga"}
	require.Equal(t, http.StatusNoContent, post("/api/v1/auth/password/set", set).status)
	spent := post("/api/v1/auth/password/set", set)
	require.Equal(t, http.StatusBadRequest, spent.status)
	require.Equal(t, decodeProblem(t, never).Detail, decodeProblem(t, spent).Detail, "a spent link is told no more than an unknown one")

	// A revoked token.
	polo := casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}
	tok, secret, err := owner.CreateToken(b.ctx, polo, "gestionale", store.RoleOperator, time.Hour)
	require.NoError(t, err)
	require.NoError(t, owner.RevokeToken(b.ctx, tok.ID))
	revoked := b.as(t, "", "GET", "/api/v1/enrolments", nil, "Authorization", "Bearer "+secret)
	require.Equal(t, http.StatusUnauthorized, revoked.status)

	rows, err := b.pool.Query(b.ctx, `SELECT action || ' ' || outcome || ' ' || subject FROM audit_log
		WHERE organisation = '' AND action NOT LIKE 'GET /static%' ORDER BY id`)
	require.NoError(t, err)
	entries, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{
		"POST /api/v1/auth/login 401 " + account,
		"POST /api/v1/auth/login 401 " + unknown,
		"POST /api/v1/auth/login 200 " + account,
		"POST /accesso 401 " + account,
		"POST /api/v1/auth/password/reset 202 " + account,
		"POST /api/v1/auth/password/reset 202 " + unknown,
		"POST /api/v1/auth/password/set 400 " + app.SubjectUnknownLink,
		"POST /api/v1/auth/password/set 204 " + account,
		"POST /api/v1/auth/password/set 400 " + account,
		"GET /api/v1/enrolments 401 token:" + tok.ID + "@polo_start:polo-1",
	}, entries)

	// UST reads the same subjects through the API.
	listed := b.do(t, "GET", "/api/v1/audit?limit=1000", "", "")
	require.Equal(t, http.StatusOK, listed.status, string(listed.body))
	var log api.AuditLog
	require.NoError(t, json.Unmarshal(listed.body, &log))
	seen := map[string]bool{}
	for _, e := range log.Items {
		if e.Subject != nil && e.ClientAddress != nil {
			seen[e.Action+" "+e.Outcome+" "+*e.Subject+" "+*e.ClientAddress] = true
		}
	}
	require.True(t, seen["POST /api/v1/auth/login 401 "+account+" 127.0.0.1"], "%v", seen)
	require.True(t, seen["POST /api/v1/auth/password/reset 202 "+unknown+" 127.0.0.1"], "%v", seen)

	var leaks int
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT count(*) FROM audit_log a
		WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) secret WHERE strpos(lower(a::text), lower(secret)) > 0)`,
		[]string{email, nobody, userPassword, "non è questa password", "sbagliata anche qui", "una password nuova e lunga", link.Secret, secret}).Scan(&leaks))
	require.Zero(t, leaks, "neither the addresses tried nor a password are in the log")
}
