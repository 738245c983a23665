package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/password"
	"github.com/approdo/approdo/internal/store"
)

const userPassword = "una password lunga abbastanza"

// session is a browser's view of a login: the cookie and the CSRF token.
type session struct {
	cookie string
	csrf   string
	info   api.SessionInfo
}

// newUser makes a user of the Polo START with a password, as an accepted invitation does.
func (b *bundle) newUser(t *testing.T, temporary bool) string {
	t.Helper()
	owner := store.New(b.pool)
	org := casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}
	require.NoError(t, owner.CreateOrganisation(b.ctx, org, "Polo START 1"))
	email := "operatore-" + uuid.NewString()[:8] + "@polo.example.org"
	user, err := owner.CreateUser(b.ctx, org, email, "Operatrice", store.RoleOperator)
	require.NoError(t, err)
	hash, err := password.Hash(userPassword)
	require.NoError(t, err)
	if temporary {
		require.NoError(t, owner.SetTemporaryPassword(b.ctx, user.ID, hash))
	} else {
		require.NoError(t, owner.SetPassword(b.ctx, user.ID, hash, ""))
	}
	return email
}

func (b *bundle) login(t *testing.T, email, pw string) (response, *http.Response) {
	t.Helper()
	body, err := json.Marshal(map[string]string{"email": email, "password": pw})
	require.NoError(t, err)
	res, err := http.Post(b.api.URL+"/api/v1/auth/login", "application/json", strings.NewReader(string(body)))
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), body: data}, res
}

func (b *bundle) loginOK(t *testing.T, email, pw string) session {
	t.Helper()
	r, res := b.login(t, email, pw)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var s session
	require.NoError(t, json.Unmarshal(r.body, &s.info))
	s.csrf = s.info.CsrfToken
	for _, c := range res.Cookies() {
		if c.Name == "approdo_session" {
			require.True(t, c.Secure && c.HttpOnly && c.SameSite == http.SameSiteStrictMode, "the cookie is Secure, HttpOnly, SameSite=Strict")
			s.cookie = c.Value
		}
	}
	require.NotEmpty(t, s.cookie)
	return s
}

// withSession sends a request as the browser does: the cookie, and the CSRF token if
// csrf is set.
func (b *bundle) withSession(t *testing.T, s session, csrf bool, method, path string, body any) response {
	t.Helper()
	headers := []string{"Cookie", "approdo_session=" + s.cookie}
	if csrf {
		headers = append(headers, "X-CSRF-Token", s.csrf)
	}
	return b.as(t, "", method, path, body, headers...)
}

func TestPasswordLoginOpensASessionThatNeedsCSRFForChanges(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	email := b.newUser(t, false)

	wrong, _ := b.login(t, email, "non è questa")
	require.Equal(t, http.StatusUnauthorized, wrong.status)
	unknown, _ := b.login(t, "nessuno@example.org", userPassword)
	require.Equal(t, http.StatusUnauthorized, unknown.status)
	require.Equal(t, decodeProblem(t, wrong).Detail, decodeProblem(t, unknown).Detail, "an unknown address gets the same answer")

	s := b.loginOK(t, email, userPassword)
	require.Equal(t, "polo_start:polo-1", s.info.Organisation)
	require.False(t, s.info.MustChangePassword)

	require.Equal(t, http.StatusOK, b.withSession(t, s, false, "GET", "/api/v1/tasks", nil).status, "a read needs no CSRF token")
	change := map[string]any{"school": schoolA}
	forged := b.withSession(t, s, false, "POST", "/api/v1/enrolments/"+uuid.NewString()+"/proposal", change)
	require.Equal(t, http.StatusForbidden, forged.status, "a change without the CSRF token is refused: %s", forged.body)
	withToken := b.withSession(t, s, true, "POST", "/api/v1/enrolments/"+uuid.NewString()+"/proposal", change)
	require.Equal(t, http.StatusNotFound, withToken.status, "with the token it gets as far as the case: %s", withToken.body)

	require.Equal(t, http.StatusNoContent, b.withSession(t, s, true, "POST", "/api/v1/auth/logout", map[string]any{}).status)
	require.Equal(t, http.StatusUnauthorized, b.withSession(t, s, false, "GET", "/api/v1/tasks", nil).status, "the session is over")
}

func TestRepeatedFailuresLockTheAccount(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{auth: api.AuthSettings{MaxFailures: 3, Lockout: 6 * time.Second, AttemptsPerMinute: 100}})
	email := b.newUser(t, false)
	for range 3 {
		r, _ := b.login(t, email, "sbagliata")
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
	locked, _ := b.login(t, email, userPassword)
	require.Equal(t, http.StatusUnauthorized, locked.status, "even the right password waits out the lock, and is told no more than a wrong one")
	require.Eventually(t, func() bool {
		r, _ := b.login(t, email, userPassword)
		return r.status == http.StatusOK
	}, 20*time.Second, 250*time.Millisecond, "the lock ends")
}

func TestLoginAttemptsAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{auth: api.AuthSettings{AttemptsPerMinute: 3}})
	for i := range 3 {
		r, _ := b.login(t, "chiunque"+string(rune('a'+i))+"@example.org", "x")
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
	r, _ := b.login(t, "ancora@example.org", "x")
	require.Equal(t, http.StatusTooManyRequests, r.status)
}

func TestTemporaryPasswordMustBeChangedFirst(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	email := b.newUser(t, true)
	s := b.loginOK(t, email, userPassword)
	require.True(t, s.info.MustChangePassword)
	blocked := b.withSession(t, s, false, "GET", "/api/v1/tasks", nil)
	require.Equal(t, http.StatusForbidden, blocked.status)
	require.Contains(t, decodeProblem(t, blocked).Title, "Password")

	short := b.withSession(t, s, true, "POST", "/api/v1/auth/password", map[string]any{"currentPassword": userPassword, "newPassword": "corta"})
	require.Equal(t, http.StatusBadRequest, short.status)
	require.Equal(t, "newPassword", (*decodeProblem(t, short).Errors)[0].Field)
	changed := b.withSession(t, s, true, "POST", "/api/v1/auth/password", map[string]any{"currentPassword": userPassword, "newPassword": "la mia nuova password segreta"})
	require.Equal(t, http.StatusNoContent, changed.status, string(changed.body))

	again := b.loginOK(t, email, "la mia nuova password segreta")
	require.False(t, again.info.MustChangePassword)
	require.Equal(t, http.StatusOK, b.withSession(t, again, false, "GET", "/api/v1/tasks", nil).status)
}

func TestPasswordResetLinkWorksOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{mail: &devmail.Options{}})
	email := b.newUser(t, false)
	post := func(path string, body any) response {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		return b.doAs(t, "", "POST", path, "application/json", string(data))
	}
	require.Equal(t, http.StatusAccepted, post("/api/v1/auth/password/reset", map[string]string{"email": email}).status)
	require.Equal(t, http.StatusAccepted, post("/api/v1/auth/password/reset", map[string]string{"email": "nessuno@example.org"}).status,
		"the same answer for an unknown address")

	// The link arrives by email; the secret is not kept once it has left.
	mail := b.waitForMail(t, email, "Reimpostazione della password")
	// The link opens the portal's page, which posts the token to the API as done here.
	secret := regexp.MustCompile(`https://approdo\.test/accesso/reimposta\?token=(apw_[A-Za-z0-9_-]+)`).FindStringSubmatch(decodedBody(t, mail))
	require.Len(t, secret, 2, "the email carries the link to the reset page")
	require.Eventually(t, func() bool {
		var kept *string
		err := b.pool.QueryRow(b.ctx, "SELECT m.secret FROM account_message m JOIN app_user u ON u.id = m.user_id WHERE u.email = $1 AND m.kind = 'reset'", email).Scan(&kept)
		return err == nil && kept == nil
	}, 30*time.Second, 100*time.Millisecond, "the secret is wiped once sent")
	var messages int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM account_message").Scan(&messages))
	require.Equal(t, 1, messages, "nothing queued for the unknown address")

	set := map[string]string{"token": secret[1], "newPassword": "dopo il reset ancora lunga"}
	require.Equal(t, http.StatusNoContent, post("/api/v1/auth/password/set", set).status)
	reused := post("/api/v1/auth/password/set", set)
	require.Equal(t, http.StatusBadRequest, reused.status, "a link works once")
	require.Equal(t, "token", (*decodeProblem(t, reused).Errors)[0].Field)
	b.loginOK(t, email, "dopo il reset ancora lunga")
	old, _ := b.login(t, email, userPassword)
	require.Equal(t, http.StatusUnauthorized, old.status)
}
