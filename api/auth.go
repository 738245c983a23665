package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/password"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// sessionCookie is the name of the session cookie of the web pages.
const sessionCookie = "approdo_session"

// The gin context keys of a request authenticated by session.
const (
	userKey    = "approdo.user"
	sessionKey = "approdo.session"
)

// AuthSettings are the limits of password login.
type AuthSettings struct {
	SessionTTL time.Duration
	// MaxFailures wrong passwords in a row lock the account for Lockout.
	MaxFailures int
	Lockout     time.Duration
	// AttemptsPerMinute bounds the login and reset attempts from one address.
	AttemptsPerMinute int
}

// dummyHash is checked when the email is unknown, so that the answer takes as long as
// for a known one and does not reveal which addresses exist.
// It is made on first use, not when every process that imports the API starts.
var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash("approdo-dummy-password")
	return h
})

func tooManyAttempts(retry time.Duration) reply {
	p := newProblem(http.StatusTooManyRequests, problemBlank, "Troppi tentativi",
		"Troppi tentativi di accesso: riprovare più tardi.")
	r := problemReply(p)
	r.headers = map[string]string{"Retry-After": strconv.Itoa(int(math.Ceil(retry.Seconds())))}
	return r
}

func badCredentials() reply {
	return problemReply(newProblem(http.StatusUnauthorized, problemUnauthenticated, "Credenziali non valide",
		"Email o password non corrette."))
}

// clientKey is the address a request comes from, for the limiter.
func clientKey(ctx context.Context) string {
	if c, ok := ctx.(*gin.Context); ok {
		return c.ClientIP()
	}
	return ""
}

// Login checks email and password and opens a session.
func (s *Server) Login(ctx context.Context, req LoginRequestObject) (LoginResponseObject, error) {
	if ok, retry := s.attempts.allow(clientKey(ctx)); !ok {
		return tooManyAttempts(retry), nil
	}
	if req.Body == nil || req.Body.Email == "" || req.Body.Password == "" {
		return problemReply(fieldProblem("email", "email e password sono obbligatorie")), nil
	}
	now := s.now()
	user, err := s.store.UserByEmail(ctx, req.Body.Email)
	if errors.Is(err, store.ErrNotFound) {
		_ = password.Verify(req.Body.Password, dummyHash())
		return badCredentials(), nil
	}
	if err != nil {
		return nil, err
	}
	if user.LockedUntil != nil && now.Before(*user.LockedUntil) {
		return tooManyAttempts(user.LockedUntil.Sub(now)), nil
	}
	if user.PasswordHash == "" {
		// Invited but never set a password: the invitation link is the way in.
		_ = password.Verify(req.Body.Password, dummyHash())
		return badCredentials(), nil
	}
	if err := password.Verify(req.Body.Password, user.PasswordHash); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			return nil, err
		}
		if err := s.store.RecordLoginFailure(ctx, user.ID, now, s.auth.MaxFailures, s.auth.Lockout); err != nil {
			return nil, err
		}
		return badCredentials(), nil
	}
	first, err := s.store.RecordLoginSuccess(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	if first && user.Organisation.Kind == casework.OrgComune {
		s.tellOnboarding(ctx, user.Organisation.Code)
	}
	sess, secret, err := s.store.CreateSession(ctx, user, s.auth.SessionTTL)
	if err != nil {
		return nil, err
	}
	r := ok(SessionInfo{
		Organisation: user.Organisation.String(), Name: user.Name, Role: user.Role,
		CsrfToken: sess.CSRF, MustChangePassword: user.MustChangePassword, ExpiresAt: sess.ExpiresAt,
	})
	r.cookies = []*http.Cookie{{
		Name: sessionCookie, Value: secret, Path: "/api/", MaxAge: int(s.auth.SessionTTL.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	}}
	return r, nil
}

// Logout ends the session and clears its cookie.
func (s *Server) Logout(ctx context.Context, _ LogoutRequestObject) (LogoutResponseObject, error) {
	if id, ok := ctx.Value(sessionKey).(string); ok {
		if err := s.store.RevokeSession(ctx, id); err != nil {
			return nil, err
		}
	}
	r := noContent()
	r.cookies = []*http.Cookie{{Name: sessionCookie, Value: "", Path: "/api/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}}
	return r, nil
}

// ChangePassword sets a new password for the logged-in user; the first login requires it.
func (s *Server) ChangePassword(ctx context.Context, req ChangePasswordRequestObject) (ChangePasswordResponseObject, error) {
	user, ok := ctx.Value(userKey).(store.User)
	if !ok {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"La password si cambia da una sessione aperta con email e password.")), nil
	}
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	if err := password.Verify(req.Body.CurrentPassword, user.PasswordHash); err != nil {
		return problemReply(fieldProblem("currentPassword", "non è la password attuale")), nil
	}
	if err := password.Check(req.Body.NewPassword); err != nil {
		return problemReply(fieldProblem("newPassword", err.Error())), nil
	}
	if req.Body.NewPassword == req.Body.CurrentPassword {
		return problemReply(fieldProblem("newPassword", "deve essere diversa da quella attuale")), nil
	}
	hash, err := password.Hash(req.Body.NewPassword)
	if err != nil {
		return nil, err
	}
	session, _ := ctx.Value(sessionKey).(string)
	if err := s.store.SetPassword(ctx, user.ID, hash, session); err != nil {
		return nil, err
	}
	return noContent(), nil
}

// RequestPasswordReset queues a single-use reset link for the address, if it is a user's.
// The answer is the same either way.
func (s *Server) RequestPasswordReset(ctx context.Context, req RequestPasswordResetRequestObject) (RequestPasswordResetResponseObject, error) {
	if ok, retry := s.attempts.allow(clientKey(ctx)); !ok {
		return tooManyAttempts(retry), nil
	}
	if req.Body == nil || req.Body.Email == "" {
		return problemReply(fieldProblem("email", "è obbligatoria")), nil
	}
	user, err := s.store.UserByEmail(ctx, req.Body.Email)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		token, err := s.store.CreatePasswordToken(ctx, user.ID, store.PurposeReset, time.Hour)
		if err != nil {
			return nil, err
		}
		s.sendAccountMessage(ctx, token.MessageKey)
	}
	return reply{status: http.StatusAccepted}, nil
}

// SetPassword sets a password with the token of an invitation or a reset. The token works
// once; every session of the user ends.
func (s *Server) SetPassword(ctx context.Context, req SetPasswordRequestObject) (SetPasswordResponseObject, error) {
	if ok, retry := s.attempts.allow(clientKey(ctx)); !ok {
		return tooManyAttempts(retry), nil
	}
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	if err := password.Check(req.Body.NewPassword); err != nil {
		return problemReply(fieldProblem("newPassword", err.Error())), nil
	}
	userID, err := s.store.UsePasswordToken(ctx, req.Body.Token, s.now())
	if errors.Is(err, store.ErrPasswordTokenRejected) {
		return problemReply(fieldProblem("token", "non è valido, è scaduto o è già stato usato")), nil
	}
	if err != nil {
		return nil, err
	}
	hash, err := password.Hash(req.Body.NewPassword)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetPassword(ctx, userID, hash, ""); err != nil {
		return nil, err
	}
	return noContent(), nil
}

// sessionFrom authenticates a request by its session cookie. A change (any method but
// GET and HEAD) must echo the session's CSRF token, which a page of another site cannot
// read; a user who must change the password may only do that, or log out.
func (s *Server) sessionFrom(c *gin.Context, secret string) bool {
	sess, err := s.store.SessionBySecret(c.Request.Context(), secret, s.now())
	if errors.Is(err, store.ErrSessionRejected) {
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
	c.Set(roleKey, sess.User.Role)
	return true
}

func (r reply) VisitLoginResponse(w http.ResponseWriter) error                { return r.write(w) }
func (r reply) VisitLogoutResponse(w http.ResponseWriter) error               { return r.write(w) }
func (r reply) VisitChangePasswordResponse(w http.ResponseWriter) error       { return r.write(w) }
func (r reply) VisitRequestPasswordResetResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitSetPasswordResponse(w http.ResponseWriter) error          { return r.write(w) }

// tellOnboarding tells the comune's onboarding workflow that its account was used. It is
// a courtesy: the workflow also looks for the first login at each reminder, so a failure
// here (Temporal down, a comune never onboarded) only delays the news.
func (s *Server) tellOnboarding(ctx context.Context, istat string) {
	err := s.temporal.SignalWorkflow(ctx, workflows.OnboardingWorkflowID(istat), "", workflows.SignalFirstLogin, nil)
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		s.log.WarnContext(ctx, "could not tell the onboarding workflow of a first login", "comune", istat, "error", err)
	}
}

// sendAccountMessage starts the delivery of a queued account message (an invitation, a
// reset link). The message is stored before this; if Temporal cannot be reached it stays
// queued, and the user can ask again.
func (s *Server) sendAccountMessage(ctx context.Context, key string) {
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.AccountMessageWorkflowID(key),
		TaskQueue:                s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.DeliverAccountMessageWorkflowName, key)
	if err != nil {
		s.log.WarnContext(ctx, "could not start the delivery of an account message; it stays queued", "error", err)
	}
}
