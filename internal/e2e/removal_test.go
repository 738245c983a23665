package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/password"
	"github.com/approdo/approdo/internal/store"
)

// Issue 15: the login limits cannot be escaped by a forged address nor used to lock a
// comune out, and an admin removes people at once.

// loginFrom logs in with an X-Forwarded-For header, as a client behind a proxy (or one
// forging the header) does.
func (b *bundle) loginFrom(t *testing.T, forwardedFor, email, pw string) response {
	t.Helper()
	data, err := json.Marshal(map[string]string{"email": email, "password": pw})
	require.NoError(t, err)
	req, err := http.NewRequest("POST", b.api.URL+"/api/v1/auth/login", strings.NewReader(string(data)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var body json.RawMessage
	_ = json.NewDecoder(res.Body).Decode(&body)
	return response{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), body: body}
}

func TestRotatingForwardedForDoesNotEscapeTheLoginLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{auth: api.AuthSettings{AttemptsPerMinute: 3}})
	for i := range 3 {
		r := b.loginFrom(t, "203.0.113."+string(rune('1'+i)), "chiunque@example.org", "x")
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
	r := b.loginFrom(t, "198.51.100.77", "chiunque@example.org", "x")
	require.Equal(t, http.StatusTooManyRequests, r.status, "no proxy is trusted by default: the header is not the address")
}

func TestLockedUnknownAndWrongAnswerAlike(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{
		auth:           api.AuthSettings{MaxFailures: 2, AccountMaxFailures: 50, Lockout: time.Hour, AttemptsPerMinute: 100},
		trustedProxies: []string{"127.0.0.1"},
	})
	email := b.newUser(t, false)
	wrong := b.loginFrom(t, "203.0.113.9", email, "sbagliata")
	require.Equal(t, http.StatusUnauthorized, wrong.status)
	require.Equal(t, http.StatusUnauthorized, b.loginFrom(t, "203.0.113.9", email, "sbagliata").status)
	locked := b.loginFrom(t, "203.0.113.9", email, userPassword)
	unknown := b.loginFrom(t, "203.0.113.10", "nessuno@example.org", userPassword)
	for name, r := range map[string]response{"locked": locked, "unknown": unknown} {
		require.Equal(t, wrong.status, r.status, name)
		require.Equal(t, wrong.contentType, r.contentType, name)
		require.JSONEq(t, string(wrong.body), string(r.body), "%s: the same body as a wrong password", name)
	}
	require.Equal(t, http.StatusOK, b.loginFrom(t, "203.0.113.50", email, userPassword).status,
		"the lock holds for that address only: the real user elsewhere gets in")
}

func TestGuessingFromManyAddressesCannotLockTheRealUserOut(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{
		auth:           api.AuthSettings{MaxFailures: 10, AccountMaxFailures: 3, Lockout: 3 * time.Second, AttemptsPerMinute: 100},
		trustedProxies: []string{"127.0.0.1"},
	})
	email := b.newUser(t, false)
	const home = "192.0.2.10" // where the comune's clerk logs in from
	require.Equal(t, http.StatusOK, b.loginFrom(t, home, email, userPassword).status)
	for i := range 3 {
		require.Equal(t, http.StatusUnauthorized, b.loginFrom(t, "203.0.113."+string(rune('1'+i)), email, "indovino").status)
	}
	elsewhere := b.loginFrom(t, "203.0.113.99", email, userPassword)
	require.Equal(t, http.StatusUnauthorized, elsewhere.status, "the account is closed to unknown addresses for a while")
	require.Equal(t, http.StatusOK, b.loginFrom(t, home, email, userPassword).status, "the real user's address still gets in")
	for i := range 3 {
		require.Equal(t, http.StatusUnauthorized, b.loginFrom(t, "203.0.113."+string(rune('4'+i)), email, "indovino").status)
	}
	require.Eventually(t, func() bool {
		return b.loginFrom(t, "203.0.113.99", email, userPassword).status == http.StatusOK
	}, 15*time.Second, 250*time.Millisecond, "the slowdown expires")
}

func TestDisabledUsersSessionStopsAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	owner := store.New(b.pool)
	polo := casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}
	email := b.newUser(t, false) // creates the Polo START too
	_, admin, err := owner.CreateToken(b.ctx, polo, "amministrazione", store.RoleAdmin, time.Hour)
	require.NoError(t, err)
	operator := b.token(t, "polo_start:polo-1")
	foreignAdmin := func() string {
		cti := casework.Org{Kind: casework.OrgCTI, Code: "22"}
		require.NoError(t, owner.CreateOrganisation(b.ctx, cti, "CTI 22"))
		_, s, err := owner.CreateToken(b.ctx, cti, "admin", store.RoleAdmin, time.Hour)
		require.NoError(t, err)
		return s
	}()
	call := func(secret, method, path string, body any) response {
		return b.as(t, "", method, path, body, "Authorization", "Bearer "+secret)
	}
	var userID string
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT id::text FROM app_user WHERE email = $1", email).Scan(&userID))

	s := b.loginOK(t, email, userPassword)
	require.Equal(t, http.StatusOK, b.withSession(t, s, false, "GET", "/api/v1/tasks", nil).status)

	// A token minted by a token goes with it.
	child := call(admin, "POST", "/api/v1/organisation/tokens", map[string]any{"name": "figlio", "role": "admin"})
	require.Equal(t, http.StatusCreated, child.status, string(child.body))
	var childTok api.NewToken
	require.NoError(t, json.Unmarshal(child.body, &childTok))
	grandchild := call(childTok.Secret, "POST", "/api/v1/organisation/tokens", map[string]any{"name": "nipote"})
	require.Equal(t, http.StatusCreated, grandchild.status)
	var grandchildTok api.NewToken
	require.NoError(t, json.Unmarshal(grandchild.body, &grandchildTok))

	// Roles other than operator and admin are a 422 naming the field, not a 500.
	for path, body := range map[string]map[string]any{
		"/api/v1/organisation/tokens": {"name": "x", "role": "superuser"},
		"/api/v1/organisation/users":  {"email": "nuova@polo.example.org", "name": "Nuova", "role": "superuser"},
	} {
		r := call(admin, "POST", path, body)
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s: %s", path, r.body)
		require.Equal(t, "role", (*decodeProblem(t, r).Errors)[0].Field)
	}

	disable := "/api/v1/organisation/users/" + userID + "/disable"
	require.Equal(t, http.StatusUnauthorized, b.as(t, "", "POST", disable, map[string]any{}).status, "nobody without a token")
	require.Equal(t, http.StatusForbidden, call(operator, "POST", disable, map[string]any{}).status, "operators do not remove people")
	require.Equal(t, http.StatusNotFound, call(foreignAdmin, "POST", disable, map[string]any{}).status, "another organisation's person is not found")
	require.Equal(t, http.StatusOK, b.withSession(t, s, false, "GET", "/api/v1/tasks", nil).status, "refused attempts change nothing")

	r := call(admin, "POST", disable, map[string]any{})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var disabled api.AccountUser
	require.NoError(t, json.Unmarshal(r.body, &disabled))
	require.True(t, disabled.Disabled)
	require.Equal(t, http.StatusUnauthorized, b.withSession(t, s, false, "GET", "/api/v1/tasks", nil).status, "the session stops at once")
	again, _ := b.login(t, email, userPassword)
	unknown, _ := b.login(t, "nessuno@example.org", userPassword)
	require.Equal(t, http.StatusUnauthorized, again.status, "a disabled person cannot log in")
	require.JSONEq(t, string(unknown.body), string(again.body), "and is told no more than an unknown address")
	require.Equal(t, http.StatusOK, call(admin, "POST", disable, map[string]any{}).status, "disabling again is harmless")
	reset := b.as(t, "", "POST", "/api/v1/auth/password/reset", map[string]string{"email": email})
	require.Equal(t, http.StatusAccepted, reset.status, "a disabled person's reset is answered as any other")
	var links int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM password_token t JOIN app_user u ON u.id = t.user_id WHERE u.email = $1", email).Scan(&links))
	require.Zero(t, links, "but makes no link")

	require.Equal(t, http.StatusNoContent, call(admin, "POST", "/api/v1/organisation/tokens/"+childTok.Id+"/revocation", map[string]any{}).status)
	require.Equal(t, http.StatusUnauthorized, call(childTok.Secret, "GET", "/api/v1/tasks", nil).status)
	require.Equal(t, http.StatusUnauthorized, call(grandchildTok.Secret, "GET", "/api/v1/tasks", nil).status, "revoking a token revokes what it minted")
	require.Equal(t, http.StatusOK, call(admin, "GET", "/api/v1/tasks", nil).status, "the maker stays")
}

// TestAdminDisablesAPersonFromTheOrganisationPage: the page's button, as a browser posts
// it, ends the person's page session at once.
func TestAdminDisablesAPersonFromTheOrganisationPage(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	owner := store.New(b.pool)
	polo := casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}
	email := b.newUser(t, false)
	adminEmail := "admin-" + email
	admin, err := owner.CreateUser(b.ctx, polo, adminEmail, "Amministratrice", store.RoleAdmin)
	require.NoError(t, err)
	hash, err := password.Hash(userPassword)
	require.NoError(t, err)
	require.NoError(t, owner.SetPassword(b.ctx, admin.ID, hash, ""))
	var userID string
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT id::text FROM app_user WHERE email = $1", email).Scan(&userID))

	page := func(s session, method, path string, form url.Values) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, b.api.URL+path, strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Cookie", "approdo_session="+s.cookie)
		if method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		return res
	}
	person := b.loginOK(t, email, userPassword)
	boss := b.loginOK(t, adminEmail, userPassword)
	require.Equal(t, http.StatusOK, page(person, "GET", "/", nil).StatusCode)
	require.Equal(t, http.StatusOK, page(boss, "GET", "/organizzazione", nil).StatusCode)

	require.Equal(t, http.StatusForbidden, page(person, "POST", "/organizzazione/persone/"+admin.ID+"/disattiva", url.Values{"csrf": {person.csrf}}).StatusCode,
		"an operator cannot disable anyone")
	self := page(boss, "POST", "/organizzazione/persone/"+admin.ID+"/disattiva", url.Values{"csrf": {boss.csrf}})
	require.Equal(t, http.StatusUnprocessableEntity, self.StatusCode, "an admin cannot disable itself")

	done := page(boss, "POST", "/organizzazione/persone/"+userID+"/disattiva", url.Values{"csrf": {boss.csrf}})
	require.Equal(t, http.StatusSeeOther, done.StatusCode)
	require.Equal(t, "/organizzazione?esito=disattivata", done.Header.Get("Location"))
	gone := page(person, "GET", "/", nil)
	require.NotEqual(t, http.StatusOK, gone.StatusCode, "the person's page session stops at once")
	require.Contains(t, gone.Header.Get("Location"), "/accesso")
	require.Equal(t, http.StatusOK, page(boss, "GET", "/organizzazione", nil).StatusCode, "the admin stays")
}
