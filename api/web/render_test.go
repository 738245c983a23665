package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/i18n"
	"github.com/approdo/approdo/internal/store"
)

func testWeb(t *testing.T) *Web {
	t.Helper()
	w := &Web{log: slog.New(slog.NewTextHandler(io.Discard, nil)), catalog: i18n.Default()}
	w.pages = mustParsePages(w.funcs())
	return w
}

// TestEveryPageRendersForEveryKindOfOrganisation renders each template with an empty
// view, logged in as each kind of organisation, so that a template that cannot execute
// fails here rather than in front of a person.
func TestEveryPageRendersForEveryKindOfOrganisation(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	w := testWeb(t)
	orgs := []casework.Org{casework.UST, {Kind: casework.OrgComune, Code: "015146"}, {Kind: casework.OrgCTI, Code: "22"},
		{Kind: casework.OrgPoloStart, Code: "polo-1"}, {Kind: casework.OrgSchool, Code: "MIIC90001A"}}
	for name := range w.pages.pages {
		for _, org := range orgs {
			rec := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(rec)
			c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
			c.Set(sessionKey, store.Session{ID: "s", CSRF: "csrf-token", ExpiresAt: time.Now().Add(time.Hour),
				User: store.User{Name: "Maria Rossi", Email: "m@example.org", Role: "operator", Organisation: org}})
			w.render(c, http.StatusOK, name, view{Data: sampleData(name)})
			require.Equal(t, http.StatusOK, rec.Code, "%s as %s: %s", name, org, rec.Body.String())
			body := rec.Body.String()
			require.Contains(t, body, `<html lang="it">`, name)
			require.Contains(t, body, "csrf-token", "%s: the logout form carries the CSRF token", name)
		}
	}
}

// sampleData is what a page's template needs to execute; pages without data get nil.
func sampleData(page string) any {
	switch page {
	case "home":
		return map[string]any{"Rows": []inboxRow{}, "Overdue": 0}
	case "set_password":
		return purposeReset
	case "case", "cases", "case_new":
		return sampleCaseData(page)
	}
	return nil
}

// TestEveryCatalogKeyATemplateNamesExists finds the literal keys of t calls in the
// templates: a missing one would show its key to a person.
func TestEveryCatalogKeyATemplateNamesExists(t *testing.T) {
	t.Parallel()
	catalog := i18n.Default()
	key := regexp.MustCompile(`\bt "([a-z0-9_.\-]+)"`)
	files, err := templateFiles.ReadDir("templates/pages")
	require.NoError(t, err)
	paths := []string{"templates/layout.html", "templates/partials.html"}
	for _, f := range files {
		paths = append(paths, "templates/pages/"+f.Name())
	}
	for _, p := range paths {
		b, err := templateFiles.ReadFile(p)
		require.NoError(t, err)
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			require.True(t, catalog.Has(m[1]), "%s names %s, which no catalog has", p, m[1])
		}
	}
}

func TestNextAddressStaysOnThisSite(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/casi/123?fase=x": "/casi/123?fase=x", "": "/", "https://evil.example": "/", "//evil.example": "/", `/\evil.example`: "/",
	} {
		require.Equal(t, want, safeNext(in), in)
	}
}

func TestSecurityHeadersForbidInlineScriptAndCaching(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	securityHeaders()(c)
	csp := rec.Header().Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'self'", "scripts and styles come from this site only")
	require.NotContains(t, csp, "script-src", "no looser policy for scripts")
	require.NotContains(t, csp, "unsafe-inline")
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	require.True(t, strings.Contains(csp, "frame-ancestors 'none'"))
}
