package e2e_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A NUL character cannot be stored by PostgreSQL, so a form field holding one (typed as
// %00) is refused whole by the pages with a 400 that says why, before any page acts on
// it; the same form without it goes on to the page's own answer.
func TestPageFormsRefuseANULCharacter(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	email := b.newUser(t, false)
	s := b.loginOK(t, email, userPassword)

	post := func(form url.Values) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", b.api.URL+"/account/password", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Cookie", "approdo_session="+s.cookie)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(body)
	}
	// Changing the password is a form every person has; the current password is right, so
	// only the NUL in the new one can make it fail.
	nul := "nuova\x00password lunga abbastanza"
	status, body := post(url.Values{"csrf": {s.csrf}, "currentPassword": {userPassword}, "newPassword": {nul}, "confirmPassword": {nul}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, body, "carattere non ammesso (NUL)")
	// The refused form changed nothing: the old password still opens a session.
	b.loginOK(t, email, userPassword)

	fine := "nuova password lunga abbastanza"
	status, _ = post(url.Values{"csrf": {s.csrf}, "currentPassword": {userPassword}, "newPassword": {fine}, "confirmPassword": {fine}})
	require.Equal(t, http.StatusSeeOther, status, "the same form without the NUL changes the password")
	b.loginOK(t, email, fine)
}
