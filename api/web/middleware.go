package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/api/web/static"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// SessionCookie is the cookie of a logged-in person, the same the JSON API sets.
const SessionCookie = "approdo_session"

// securityHeaders sets the headers every page carries. Pages hold personal data of
// minors, so no cache may keep them.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", static.ContentSecurityPolicy)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		c.Next()
	}
}

const sessionKey = "web.session"

// loadSession finds the person behind the session cookie, if any. A cookie that no
// longer opens a session is cleared.
func (w *Web) loadSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		secret, err := c.Cookie(SessionCookie)
		if err != nil || secret == "" {
			c.Next()
			return
		}
		sess, err := w.auth.Session(c.Request.Context(), secret)
		switch {
		case errors.Is(err, app.ErrSessionRejected):
			clearSessionCookie(c)
		case err != nil:
			w.fail(c, err)
			return
		default:
			c.Set(sessionKey, sess)
			c.Set(ActorKey, sess.User.Organisation)
			c.Set(UserKey, sess.User)
		}
		c.Next()
	}
}

// sessionOf returns the session of a logged-in request.
func sessionOf(c *gin.Context) (store.Session, bool) {
	sess, ok := c.Get(sessionKey)
	if !ok {
		return store.Session{}, false
	}
	s, ok := sess.(store.Session)
	return s, ok
}

// actorOf is the organisation a logged-in person acts for.
func actorOf(c *gin.Context) casework.Org {
	sess, _ := sessionOf(c)
	return sess.User.Organisation
}

// requireLogin sends a visitor without a session to the login page, which brings them
// back afterwards. A change (POST) must carry the session's CSRF token from the form.
func (w *Web) requireLogin() gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, ok := sessionOf(c)
		if !ok {
			next := c.Request.URL.RequestURI()
			if c.Request.Method != http.MethodGet {
				next = "/"
			}
			redirect(c, "/accesso?dopo="+url.QueryEscape(next))
			return
		}
		if c.Request.Method == http.MethodPost &&
			subtle.ConstantTimeCompare([]byte(c.PostForm("csrf")), []byte(sess.CSRF)) != 1 {
			w.renderError(c, http.StatusForbidden, "web.error.csrf")
			return
		}
		if c.Request.Method == http.MethodPost && formHasNUL(c.Request) {
			w.renderError(c, http.StatusBadRequest, "web.error.nul")
			return
		}
		c.Next()
	}
}

// formHasNUL reports whether a posted form holds a NUL character in a name or value.
// PostgreSQL can store it neither in text nor in jsonb, so a form field with one (%00)
// would be accepted and then fail at every save, as the JSON API's did before refuseNUL.
// The CSRF check above has already parsed the form.
func formHasNUL(r *http.Request) bool {
	var values url.Values = r.PostForm
	if r.MultipartForm != nil {
		values = r.MultipartForm.Value
	}
	for name, vs := range values {
		if strings.ContainsRune(name, 0) {
			return true
		}
		for _, v := range vs {
			if strings.ContainsRune(v, 0) {
				return true
			}
		}
	}
	return false
}

// requirePasswordChanged keeps a person who logged in with a temporary password on the
// page that changes it.
func (w *Web) requirePasswordChanged() gin.HandlerFunc {
	return func(c *gin.Context) {
		if sess, _ := sessionOf(c); sess.User.MustChangePassword {
			redirect(c, "/account/password")
			return
		}
		c.Next()
	}
}

// sameOrigin refuses a form posted from another site to the pages that need no session
// (login, password links): the browser's Origin header names the page the form was on.
func sameOrigin(c *gin.Context) bool {
	origin := c.GetHeader("Origin")
	if origin == "" || origin == "null" {
		// Browsers send Origin with every POST; a client that does not is not a page of
		// another site.
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, c.Request.Host)
}

func setSessionCookie(c *gin.Context, secret string, ttl time.Duration) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", MaxAge: int(ttl.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

func clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}
