package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/api/web"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// The gin context keys under which authenticate leaves the caller.
const (
	actorKey = web.ActorKey
	tokenKey = "approdo.token"
)

// actorFrom returns the organisation the request acts for, as authenticate found it from
// the bearer token. Handlers run behind authenticate, so a missing one is a 401 only as a
// safety net.
func actorFrom(ctx context.Context) (casework.Org, *Problem) {
	if org, ok := ctx.Value(actorKey).(casework.Org); ok && !org.IsZero() {
		return org, nil
	}
	p := unauthenticatedProblem()
	return casework.Org{}, &p
}

func unauthenticatedProblem() Problem {
	return newProblem(http.StatusUnauthorized, problemUnauthenticated, "Autenticazione richiesta",
		"Indicare un token valido nell'intestazione Authorization: Bearer apd_… (approdo token create).")
}

// publicPaths need no credentials: they are how one gets some.
var publicPaths = map[string]bool{
	"/api/v1/auth/login":          true,
	"/api/v1/auth/password/reset": true,
	"/api/v1/auth/password/set":   true,
}

// authenticate finds who the request acts for: the organisation of its bearer token
// (software), or the user of its session cookie (people, in the browser). Otherwise it
// answers 401. An unknown, expired or revoked credential gets the same answer, so a
// guesser learns nothing.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		if publicPaths[c.Request.URL.Path] {
			c.Next()
			return
		}
		header := c.GetHeader("Authorization")
		if header == "" {
			if cookie, err := c.Cookie(sessionCookie); err == nil && cookie != "" {
				if s.sessionFrom(c, cookie) {
					c.Next()
				}
				return
			}
		}
		scheme, secret, found := strings.Cut(header, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			c.Header("WWW-Authenticate", `Bearer realm="approdo"`)
			writeProblem(c, unauthenticatedProblem())
			return
		}
		token, err := s.store.Authenticate(c.Request.Context(), strings.TrimSpace(secret), s.now())
		switch {
		case errors.Is(err, store.ErrTokenRejected):
			if token.ID != "" {
				// Known but expired or revoked: the audit log names it, the answer does not.
				app.NoteAttempt(c.Request.Context(), "token:"+token.ID+"@"+token.Organisation.String())
			}
			c.Header("WWW-Authenticate", `Bearer realm="approdo", error="invalid_token"`)
			writeProblem(c, unauthenticatedProblem())
			return
		case err != nil:
			s.log.ErrorContext(c.Request.Context(), "authentication failed", "request_id", requestID(c), "error", err)
			writeProblem(c, unavailableProblem())
			return
		}
		c.Set(actorKey, token.Organisation)
		c.Set(tokenKey, token.ID)
		c.Set(roleKey, token.Role)
		c.Next()
	}
}
