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

// TestListParametersAreCheckedBeforeAnyQuery checks the list's own parameter checks; they
// answer before the store is asked, so the server needs no dependencies here.
func TestListParametersAreCheckedBeforeAnyQuery(t *testing.T) {
	t.Parallel()
	s := &Server{app: app.New(app.Options{})}
	//lint:ignore SA1029 gin keeps request values under string keys, as authenticate does
	ctx := context.WithValue(context.Background(), actorKey, casework.UST)
	zero, big := 0, 201
	cases := []struct {
		field  string
		params ListEnrolmentsParams
	}{
		{"limit", ListEnrolmentsParams{Limit: &zero}},
		{"limit", ListEnrolmentsParams{Limit: &big}},
		{"hub", ListEnrolmentsParams{Hub: ptr("rome")}},
		{"hub", ListEnrolmentsParams{Hub: ptr("school:MIIC90001A")}},
		{"stage", ListEnrolmentsParams{Stage: ptr("iscritto")}},
	}
	for _, tc := range cases {
		answer, err := s.ListEnrolments(ctx, ListEnrolmentsRequestObject{Params: tc.params})
		require.NoError(t, err, tc.field)
		r := answer.(reply)
		require.Equal(t, http.StatusBadRequest, r.status, tc.field)
		p := r.body.(Problem)
		require.Equal(t, problemValidation, p.Type)
		require.Equal(t, tc.field, (*p.Errors)[0].Field)
	}

	answer, err := s.ListTasks(ctx, ListTasksRequestObject{Params: ListTasksParams{Limit: &zero}})
	require.NoError(t, err)
	require.Equal(t, "limit", (*answer.(reply).body.(Problem).Errors)[0].Field)

	anonymous, err := s.ListEnrolments(context.Background(), ListEnrolmentsRequestObject{})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, anonymous.(reply).status)
}

// TestUnboundParametersAreNamed sends parameters the generated wrapper cannot bind through
// the generated wrapper itself; the answer names each one, and the handler is not reached.
func TestUnboundParametersAreNamed(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	RegisterHandlersWithOptions(router, NewStrictHandler(&Server{}, nil), GinServerOptions{
		BaseURL: "/api/v1", ErrorHandler: parameterError,
	})
	for query, field := range map[string]string{
		"overdue=forse":   "overdue",
		"escalated=2":     "escalated",
		"limit=dieci":     "limit",
		"stage=a&limit=x": "limit",
	} {
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/enrolments?"+query, nil))
		require.Equal(t, http.StatusBadRequest, rec.Code, query)
		require.Equal(t, problemContentType, rec.Header().Get("Content-Type"))
		var p Problem
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
		require.Equal(t, field, (*p.Errors)[0].Field, query)
		require.NotContains(t, rec.Body.String(), "forse", "the input is not echoed")
	}

	req := httptest.NewRequest(http.MethodPost, "/api/v1/enrolments/00000000-0000-0000-0000-000000000000/proposal", nil)
	req.Header.Add("Idempotency-Key", "a")
	req.Header.Add("Idempotency-Key", "b")
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	var p Problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	require.Equal(t, "Idempotency-Key", (*p.Errors)[0].Field)

	unnamed := parameterProblem(errString("something else"), http.StatusBadRequest)
	require.Equal(t, http.StatusBadRequest, unnamed.Status)
	require.Nil(t, unnamed.Errors)
}

type errString string

func (e errString) Error() string { return string(e) }
