package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
)

// TestMonitoringParametersAreCheckedBeforeAnyQuery: a wrong by, table, format or period
// is a 400 naming the parameter, answered before the store is asked (the server here has
// none).
func TestMonitoringParametersAreCheckedBeforeAnyQuery(t *testing.T) {
	t.Parallel()
	s := &Server{app: app.New(app.Options{})}
	//lint:ignore SA1029 gin keeps request values under string keys, as authenticate does
	ctx := context.WithValue(context.Background(), actorKey, casework.UST)
	day := func(s string) *MonitoringFrom {
		var d MonitoringFrom
		require.NoError(t, d.UnmarshalText([]byte(s)))
		return &d
	}
	field := func(answer any, err error) string {
		t.Helper()
		require.NoError(t, err)
		r := answer.(reply)
		require.Equal(t, http.StatusBadRequest, r.status)
		p := r.body.(Problem)
		require.Equal(t, problemValidation, p.Type)
		return (*p.Errors)[0].Field
	}
	require.Equal(t, "by", field(s.GetMonitoring(ctx, GetMonitoringRequestObject{Params: GetMonitoringParams{By: ptr("provincia")}})))
	require.Equal(t, "by", field(s.GetMonitoring(ctx, GetMonitoringRequestObject{Params: GetMonitoringParams{From: day("2026-01-01")}})),
		"a period needs a grouping")
	require.Equal(t, "to", field(s.GetMonitoring(ctx, GetMonitoringRequestObject{Params: GetMonitoringParams{
		By: ptr("hub"), From: day("2026-02-01"), To: day("2026-01-01")}})))
	require.Equal(t, "by", field(s.GetPlacementTime(ctx, GetPlacementTimeRequestObject{Params: GetPlacementTimeParams{By: "comune"}})),
		"placement time is by hub or month")
	require.Equal(t, "table", field(s.ExportMonitoring(ctx, ExportMonitoringRequestObject{Params: ExportMonitoringParams{Table: "casi", By: "hub", Format: "csv"}})))
	require.Equal(t, "format", field(s.ExportMonitoring(ctx, ExportMonitoringRequestObject{Params: ExportMonitoringParams{Table: "cases", By: "hub", Format: "pdf"}})))
	require.Equal(t, "by", field(s.ExportMonitoring(ctx, ExportMonitoringRequestObject{Params: ExportMonitoringParams{Table: "placement-time", By: "level", Format: "xlsx"}})))

	anonymous, err := s.GetPlacementTime(context.Background(), GetPlacementTimeRequestObject{})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, anonymous.(reply).status)
}

// TestMonitoringDatesAreNamed sends dates the generated wrapper cannot read, and required
// parameters left out, through the wrapper itself: 400 naming each.
func TestMonitoringDatesAreNamed(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	RegisterHandlersWithOptions(router, NewStrictHandler(&Server{}, nil), GinServerOptions{
		BaseURL: "/api/v1", ErrorHandler: parameterError,
	})
	for target, field := range map[string]string{
		"/api/v1/monitoring?by=hub&from=ieri":                          "from",
		"/api/v1/monitoring?by=hub&to=2026-13-01":                      "to",
		"/api/v1/monitoring/placement-time?from=2026-01-01":            "by",
		"/api/v1/monitoring/export?table=cases&by=hub":                 "format",
		"/api/v1/monitoring/export?table=cases&by=hub&format=csv&to=x": "to",
	} {
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		require.Equal(t, http.StatusBadRequest, rec.Code, target)
		var p Problem
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
		require.NotNil(t, p.Errors, target)
		require.Equal(t, field, (*p.Errors)[0].Field, target)
	}
}
