package api

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/store"
)

// An answer whose audit entry cannot be written is not served: the caller gets 503 and
// none of the data the handler meant to send.
func TestRequestWithoutAuditEntryIsRefused(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1: every write of the audit log fails.
	pool, err := pgxpool.New(context.Background(), "postgres://approdo@127.0.0.1:1/approdo?connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var logged bytes.Buffer
	router := gin.New()
	router.GET("/api/v1/enrolments/:id", auditTrail(store.New(pool), slog.New(slog.NewTextHandler(&logged, nil))), func(c *gin.Context) {
		c.Header("X-Secret-Header", "x")
		c.JSON(http.StatusOK, gin.H{"minor": "Amina Haddad"})
	})

	w := httptest.NewRecorder()
	router.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/enrolments/8f0d9e4e-7b8c-4f59-9a52-2f1d0c3b6a11", nil))
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.Equal(t, problemContentType, w.Header().Get("Content-Type"))
	require.Empty(t, w.Header().Get("X-Secret-Header"))
	require.NotContains(t, w.Body.String(), "Amina")
	require.Contains(t, logged.String(), "audit log entry not written")
}

func TestAuditedSubjectAndTriedCredential(t *testing.T) {
	t.Parallel()
	var subject, tried string
	router := gin.New()
	handler := func(c *gin.Context) {
		subject, tried = auditedSubject(c), triedCredential(c)
		c.Status(http.StatusNoContent)
	}
	router.GET("/api/v1/interventions/:id", handler)
	router.GET("/api/v1/enrolments/:id", handler)
	router.POST("/api/v1/auth/login", handler)

	router.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/v1/interventions/intervention-1-report-1", nil))
	require.Equal(t, "intervention:intervention-1-report-1", subject)
	require.Empty(t, tried)

	r := httptest.NewRequest(http.MethodGet, "/api/v1/enrolments/8f0d9e4e-7b8c-4f59-9a52-2f1d0c3b6a11", nil)
	r.Header.Set("Authorization", "Bearer apd_revoked")
	router.ServeHTTP(httptest.NewRecorder(), r)
	require.Empty(t, subject, "a case is the entry's case, not its subject")
	require.Regexp(t, `^unknown-token:[0-9a-f]{16}$`, tried)

	// A login names its account through app.Attempt, never by the address it tried.
	r = httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", strings.NewReader(`{"email":" Ufficio@Comune.example.it ","password":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	router.ServeHTTP(httptest.NewRecorder(), r)
	require.Empty(t, tried)
}

// A panic inside goes on to the recovery outside, which answers on the real writer.
func TestPanicBehindTheAuditTrailIsAnswered500(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://approdo@127.0.0.1:1/approdo?connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	router := gin.New()
	router.Use(recoverPanics(slog.New(slog.DiscardHandler)))
	router.GET("/api/v1/enrolments", auditTrail(store.New(pool), slog.New(slog.DiscardHandler)), func(c *gin.Context) {
		c.Status(http.StatusOK)
		panic("bug")
	})
	w := httptest.NewRecorder()
	router.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/enrolments", nil))
	require.Equal(t, http.StatusInternalServerError, w.Code)
	require.Equal(t, problemContentType, w.Header().Get("Content-Type"))
}
