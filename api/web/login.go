package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// loginPage shows the login form; a logged-in person goes home.
func (w *Web) loginPage(c *gin.Context) {
	if _, ok := sessionOf(c); ok {
		redirect(c, "/")
		return
	}
	w.render(c, http.StatusOK, "login", view{Values: map[string]string{"dopo": safeNext(c.Query("dopo"))}})
}

// loginSubmit checks the credentials and opens a session. A temporary password leads to
// the page that changes it.
func (w *Web) loginSubmit(c *gin.Context) {
	if !sameOrigin(c) {
		w.renderError(c, http.StatusForbidden, "web.error.csrf")
		return
	}
	email := strings.TrimSpace(c.PostForm("email"))
	next := safeNext(c.PostForm("dopo"))
	sess, secret, err := w.auth.Login(c.Request.Context(), email, c.PostForm("password"), c.ClientIP())
	if err != nil {
		r, ok := w.explain(err)
		if !ok {
			w.fail(c, err)
			return
		}
		w.render(c, statusOf(err), "login", view{Alert: r.Alert, Errors: r.Fields,
			Values: map[string]string{"email": email, "dopo": next}})
		return
	}
	setSessionCookie(c, secret, w.auth.Settings().SessionTTL)
	if sess.User.MustChangePassword {
		redirect(c, "/account/password")
		return
	}
	redirect(c, next)
}

// logout ends the session.
func (w *Web) logout(c *gin.Context) {
	sess, _ := sessionOf(c)
	if err := w.auth.Logout(c.Request.Context(), sess.ID); err != nil {
		w.fail(c, err)
		return
	}
	clearSessionCookie(c)
	redirect(c, "/accesso?esito=uscita")
}

// safeNext keeps a "go back to" address on this site: a path, never another host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
