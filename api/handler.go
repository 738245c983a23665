// Package api is Approdo's HTTP interface. openapi.yaml is the source: `make generate`
// turns it into openapi.gen.go, and Server must implement the generated
// StrictServerInterface, which the compiler checks.
package api

import (
	_ "embed"
	"log/slog"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/api/web"
	"github.com/approdo/approdo/internal/store"
)

//go:embed openapi.yaml
var openAPIDocument []byte

// Dependencies are what the API needs to serve requests.
type Dependencies struct {
	Temporal  client.Client
	Store     *store.Store
	TaskQueue string
	Log       *slog.Logger
	// RegisterTimeout bounds how long POST /enrolments waits for the case to be recorded.
	RegisterTimeout time.Duration
	// Now is the clock used to validate dates; time.Now when nil.
	Now func() time.Time
	// Auth are the limits of password login; zero values take safe defaults.
	Auth AuthSettings
	// TemporalUIURL is the Temporal Web UI, for UST's links from a case to its workflow;
	// empty hides them. TemporalNamespace is the workflows' namespace.
	TemporalUIURL     string
	TemporalNamespace string
	// MonitoringMinCell is the smallest monitoring count shown as it is, to every reader
	// (UST included); app.DefaultMinCell when zero.
	MonitoringMinCell int
	// TrustedProxies are the addresses or CIDR ranges of the reverse proxies in front of
	// the API, whose X-Forwarded-For is believed. None by default: the client address is
	// the connection's, so a forged header cannot escape the login limits.
	TrustedProxies []string
	// PayloadCodec opens the workflows' sealed payloads for the Temporal Web UI's codec
	// server (/codec, UST only); nil serves no codec.
	PayloadCodec converter.PayloadCodec
}

// NewHandler returns the API's HTTP handler: /healthz, /readyz and /api/v1.
func NewHandler(deps Dependencies) *gin.Engine {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.RegisterTimeout == 0 {
		deps.RegisterTimeout = 15 * time.Second
	}
	svc := app.New(app.Options{
		Temporal: deps.Temporal, Store: deps.Store, TaskQueue: deps.TaskQueue, Log: deps.Log,
		Timeout: deps.RegisterTimeout, Now: deps.Now, MinCell: deps.MonitoringMinCell,
	})
	srv := &Server{
		app:             svc,
		auth:            app.NewAuth(svc, deps.Auth),
		temporal:        deps.Temporal,
		store:           deps.Store,
		taskQueue:       deps.TaskQueue,
		log:             deps.Log,
		registerTimeout: deps.RegisterTimeout,
		now:             deps.Now,
	}

	// Gin's debug mode prints every route at start-up and warns on stdout; our own access
	// log says what matters.
	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	// gin.New trusts every proxy, so that anyone could pick the client address the login
	// limits count by sending X-Forwarded-For. Only the configured proxies are believed;
	// the configuration checked the list, so an error here leaves no proxy trusted.
	if err := router.SetTrustedProxies(deps.TrustedProxies); err != nil {
		if deps.Log != nil {
			deps.Log.Error("trusted proxies refused; trusting none", "error", err)
		}
		_ = router.SetTrustedProxies(nil)
	}
	router.HandleMethodNotAllowed = true
	// Handlers receive the gin.Context as their context.Context; with the fallback it
	// carries the request's cancellation, so work stops when the caller goes away.
	router.ContextWithFallback = true
	router.NoMethod(methodNotAllowed)
	router.Use(withRequestID(), accessLog(deps.Log), recoverPanics(deps.Log), limitBody())
	pages := web.Mount(router, web.Deps{
		App: svc, Auth: srv.auth, Log: deps.Log, Audit: auditTrail(deps.Store, deps.Log),
		TemporalUIURL: deps.TemporalUIURL, TemporalNamespace: deps.TemporalNamespace,
	})
	router.NoRoute(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") {
			notFound(c)
			return
		}
		pages.NotFound(c)
	})

	if deps.PayloadCodec != nil {
		mountCodec(router, srv, deps, auditTrail(deps.Store, deps.Log))
	}

	router.GET("/healthz", healthz)
	router.GET("/readyz", srv.readyz)
	router.GET("/api/v1/openapi.yaml", func(c *gin.Context) {
		c.Data(200, "application/yaml", openAPIDocument)
	})

	onError := handlerError(deps.Log)
	strict := NewStrictHandlerWithOptions(srv, nil, StrictGinServerOptions{
		RequestErrorHandlerFunc: func(c *gin.Context, err error) {
			writeProblem(c, decodeProblem(err))
		},
		HandlerErrorFunc:         onError,
		ResponseErrorHandlerFunc: onError,
	})
	v1 := router.Group("", noStore(), auditTrail(deps.Store, deps.Log), srv.authenticate(), requireJSON(), refuseNUL())
	RegisterHandlersWithOptions(v1, strict, GinServerOptions{
		BaseURL: "/api/v1",
		// Parameters the generated wrapper cannot bind (overdue=forse, limit=dieci): a 400
		// naming the parameter.
		ErrorHandler: parameterError,
	})
	return router
}
