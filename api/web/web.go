// Package web is Approdo's door for people: server-rendered pages in Italian, with
// Bootstrap Italia, served under / by the same binary as the JSON API. Every read and
// action goes through package app, as the API's do; this package only turns forms into
// calls and the app's answers (and refusals) into pages.
//
// Each page action has a small file of its own (login.go, case_new.go, …); the templates
// live in templates/, their texts in the catalogs of internal/i18n (web*.it.toml).
// Pages work without JavaScript: forms post and redirect (Post/Redirect/Get).
package web

import (
	"log/slog"
	// The pages show every date in Rome time, whatever zone data the machine has.
	"net/http"
	_ "time/tzdata"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/api/web/static"
	"github.com/approdo/approdo/internal/i18n"
)

// Deps are what the pages need.
type Deps struct {
	App  *app.Service
	Auth *app.Auth
	Log  *slog.Logger
	// TemporalUIURL is the base of the Temporal Web UI, for UST's links to a case's
	// workflow; empty hides them.
	TemporalUIURL string
	// TemporalNamespace is the namespace of the workflows, for those links.
	TemporalNamespace string
	// Audit writes the access log entry of each page, reads included; it finds the person
	// under ActorKey and UserKey.
	Audit gin.HandlerFunc
}

// The gin context keys under which a page's person is left for the access log, the same
// the JSON API uses for its callers.
const (
	ActorKey = "approdo.actor"
	UserKey  = "approdo.user"
)

// Web serves the pages.
type Web struct {
	app     *app.Service
	auth    *app.Auth
	log     *slog.Logger
	catalog *i18n.Catalog
	pages   *pageSet
	deps    Deps
	names   orgNames
}

// Mount registers the pages and the static files on router. The pages' middleware runs
// for them only; /api/v1 keeps its own.
func Mount(router *gin.Engine, d Deps) *Web {
	w := &Web{app: d.App, auth: d.Auth, log: d.Log, catalog: i18n.Default(), deps: d}
	w.pages = mustParsePages(w.funcs())

	assets := gin.WrapH(static.Handler())
	router.GET(static.Prefix+"*path", assets)
	router.HEAD(static.Prefix+"*path", assets)

	audit := d.Audit
	if audit == nil {
		audit = func(c *gin.Context) { c.Next() }
	}
	pages := router.Group("", securityHeaders(), audit, w.loadSession())
	// Open to everyone: how one gets in.
	pages.GET("/accesso", w.loginPage)
	pages.POST("/accesso", w.loginSubmit)
	pages.GET("/accesso/password-dimenticata", w.resetRequestPage)
	pages.POST("/accesso/password-dimenticata", w.resetRequestSubmit)
	pages.GET("/accesso/invito", w.setPasswordPage(purposeInvitation))
	pages.POST("/accesso/invito", w.setPasswordSubmit(purposeInvitation))
	pages.GET("/accesso/reimposta", w.setPasswordPage(purposeReset))
	pages.POST("/accesso/reimposta", w.setPasswordSubmit(purposeReset))

	// Logged in. A user who must change the temporary password may only do that.
	in := pages.Group("", w.requireLogin())
	in.POST("/esci", w.logout)
	in.GET("/account", w.accountPage)
	in.GET("/account/password", w.passwordPage)
	in.POST("/account/password", w.passwordSubmit)

	ready := in.Group("", w.requirePasswordChanged())
	ready.GET("/", w.home)
	// Each area registers its pages in a file of its own.
	w.registerCasePages(ready)
	w.registerHubPages(ready)
	w.registerSchoolPages(ready)
	w.registerUSTPages(ready)
	w.registerOnboardingPages(ready)
	w.registerMonitoringPages(ready)
	w.registerComunePages(ready)
	w.registerFamiPages(ready)
	return w
}

// The two purposes of a password link.
const (
	purposeInvitation = "invito"
	purposeReset      = "reimposta"
)

// NotFound answers a path that is no page.
func (w *Web) NotFound(c *gin.Context) {
	w.renderError(c, http.StatusNotFound, "web.error.not_found")
}

// redirect answers a form that succeeded by sending the browser to the page that shows
// the outcome (Post/Redirect/Get), so that reloading it does not post again.
func redirect(c *gin.Context, to string) {
	c.Redirect(http.StatusSeeOther, to)
	c.Abort()
}
