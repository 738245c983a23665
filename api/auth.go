package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/api/web"
	"github.com/approdo/approdo/internal/store"
)

// sessionCookie is the name of the session cookie of the web pages.
const sessionCookie = "approdo_session"

// The gin context keys of a request authenticated by session.
const (
	userKey       = web.UserKey
	sessionKey    = "approdo.session"
	sessionObjKey = "approdo.session.object"
)

// AuthSettings are the limits of password login.
type AuthSettings = app.AuthSettings

func tooManyAttempts(retry time.Duration) reply {
	p := newProblem(http.StatusTooManyRequests, problemBlank, "Troppi tentativi",
		"Troppi tentativi di accesso: riprovare più tardi.")
	r := problemReply(p)
	r.headers = map[string]string{"Retry-After": strconv.Itoa(int(math.Ceil(retry.Seconds())))}
	return r
}

// authFailure answers the errors of login and passwords; the rest as every action's.
func (s *Server) authFailure(err error) (reply, error) {
	var tooMany *app.TooManyAttemptsError
	switch {
	case errors.As(err, &tooMany):
		return tooManyAttempts(tooMany.RetryAfter), nil
	case errors.Is(err, app.ErrBadCredentials):
		return problemReply(newProblem(http.StatusUnauthorized, problemUnauthenticated, "Credenziali non valide",
			"Email o password non corrette.")), nil
	case errors.Is(err, app.ErrSessionRejected):
		// The session ended (logout elsewhere, disabled) while the request ran.
		return problemReply(unauthenticatedProblem()), nil
	}
	return s.failure(err)
}

// clientKey is the address a request comes from, for the limiter.
func clientKey(ctx context.Context) string {
	if c, ok := ctx.(*gin.Context); ok {
		return c.ClientIP()
	}
	return ""
}

// SessionCookie is the session cookie of people logged in with a password, for the pages
// and for the API alike; SetSessionCookie and ClearSessionCookie are its only writers.
func sessionCookieOf(secret string, ttl time.Duration) *http.Cookie {
	return &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/", MaxAge: int(ttl.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	}
}

// Login checks email and password and opens a session.
func (s *Server) Login(ctx context.Context, req LoginRequestObject) (LoginResponseObject, error) {
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	sess, secret, err := s.auth.Login(ctx, req.Body.Email, req.Body.Password, clientKey(ctx))
	if err != nil {
		return s.authFailure(err)
	}
	user := sess.User
	r := ok(SessionInfo{
		Organisation: user.Organisation.String(), Name: user.Name, Role: user.Role,
		CsrfToken: sess.CSRF, MustChangePassword: user.MustChangePassword, ExpiresAt: sess.ExpiresAt,
	})
	r.cookies = []*http.Cookie{sessionCookieOf(secret, s.auth.Settings().SessionTTL)}
	return r, nil
}

// Logout ends the session and clears its cookie.
func (s *Server) Logout(ctx context.Context, _ LogoutRequestObject) (LogoutResponseObject, error) {
	if id, ok := ctx.Value(sessionKey).(string); ok {
		if err := s.auth.Logout(ctx, id); err != nil {
			return nil, err
		}
	}
	r := noContent()
	r.cookies = []*http.Cookie{sessionCookieOf("", -time.Second)}
	return r, nil
}

// ChangePassword sets a new password for the logged-in user; the first login requires it.
func (s *Server) ChangePassword(ctx context.Context, req ChangePasswordRequestObject) (ChangePasswordResponseObject, error) {
	sess, ok := ctx.Value(sessionObjKey).(store.Session)
	if !ok {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"La password si cambia da una sessione aperta con email e password.")), nil
	}
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	if err := s.auth.ChangePassword(ctx, sess, req.Body.CurrentPassword, req.Body.NewPassword); err != nil {
		return s.authFailure(err)
	}
	return noContent(), nil
}

// RequestPasswordReset queues a single-use reset link for the address, if it is a user's.
// The answer is the same either way.
func (s *Server) RequestPasswordReset(ctx context.Context, req RequestPasswordResetRequestObject) (RequestPasswordResetResponseObject, error) {
	email := ""
	if req.Body != nil {
		email = req.Body.Email
	}
	if err := s.auth.RequestReset(ctx, email, clientKey(ctx)); err != nil {
		return s.authFailure(err)
	}
	return reply{status: http.StatusAccepted}, nil
}

// SetPassword sets a password with the token of an invitation or a reset. The token works
// once; every session of the user ends.
func (s *Server) SetPassword(ctx context.Context, req SetPasswordRequestObject) (SetPasswordResponseObject, error) {
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	if err := s.auth.SetPassword(ctx, req.Body.Token, req.Body.NewPassword, clientKey(ctx)); err != nil {
		return s.authFailure(err)
	}
	return noContent(), nil
}

// sessionFrom authenticates a request by its session cookie. A change (any method but
// GET and HEAD) must echo the session's CSRF token, which a page of another site cannot
// read; a user who must change the password may only do that, or log out.
func (s *Server) sessionFrom(c *gin.Context, secret string) bool {
	sess, err := s.auth.Session(c.Request.Context(), secret)
	if errors.Is(err, app.ErrSessionRejected) {
		writeProblem(c, unauthenticatedProblem())
		return false
	}
	if err != nil {
		s.log.ErrorContext(c.Request.Context(), "session lookup failed", "request_id", requestID(c), "error", err)
		writeProblem(c, unavailableProblem())
		return false
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead &&
		subtle.ConstantTimeCompare([]byte(c.GetHeader("X-CSRF-Token")), []byte(sess.CSRF)) != 1 {
		writeProblem(c, newProblem(http.StatusForbidden, problemNotAllowed, "Richiesta rifiutata",
			"Manca o non è valido il token X-CSRF-Token della sessione."))
		return false
	}
	path := c.Request.URL.Path
	if sess.User.MustChangePassword && path != "/api/v1/auth/password" && path != "/api/v1/auth/logout" {
		writeProblem(c, newProblem(http.StatusForbidden, problemNotAllowed, "Password da cambiare",
			"Al primo accesso la password ricevuta va cambiata (POST /api/v1/auth/password)."))
		return false
	}
	c.Set(actorKey, sess.User.Organisation)
	c.Set(userKey, sess.User)
	c.Set(sessionKey, sess.ID)
	c.Set(sessionObjKey, sess)
	c.Set(roleKey, sess.User.Role)
	return true
}

func (r reply) VisitLoginResponse(w http.ResponseWriter) error                { return r.write(w) }
func (r reply) VisitLogoutResponse(w http.ResponseWriter) error               { return r.write(w) }
func (r reply) VisitChangePasswordResponse(w http.ResponseWriter) error       { return r.write(w) }
func (r reply) VisitRequestPasswordResetResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitSetPasswordResponse(w http.ResponseWriter) error          { return r.write(w) }
