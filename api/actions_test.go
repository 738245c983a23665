package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
)

func TestActorComesFromTheAuthenticatedContext(t *testing.T) {
	t.Parallel()
	org := casework.Org{Kind: casework.OrgCTI, Code: "21"}
	//lint:ignore SA1029 gin keeps request values under string keys, as authenticate does
	ctx := context.WithValue(context.Background(), actorKey, org)
	got, problem := actorFrom(ctx)
	require.Nil(t, problem)
	require.Equal(t, org, got)

	_, problem = actorFrom(context.Background())
	require.NotNil(t, problem, "no authenticated organisation is a 401, never a default")
	require.Equal(t, http.StatusUnauthorized, problem.Status)
}

func TestRefusalsBecomeProblems(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err    error
		status int
		field  string
	}{
		{&app.RefusedError{Subject: app.SubjectCase, Reason: app.RefusedNotAllowed, Message: "solo l'hub"}, http.StatusForbidden, ""},
		{&app.RefusedError{Subject: app.SubjectCase, Reason: app.RefusedWrongStage, Message: "il caso attende la scuola"}, http.StatusConflict, ""},
		{&app.RefusedError{Subject: app.SubjectJourney, Reason: app.RefusedClosed, Message: "concluso"}, http.StatusConflict, ""},
		{&app.RefusedError{Subject: app.SubjectCase, Reason: app.RefusedInvalid, Field: "school", Message: "fuori territorio"}, http.StatusUnprocessableEntity, "school"},
		{app.Invalid("minor.birthDate", "fuori territorio"), http.StatusBadRequest, "minor.birthDate"},
		{fmt.Errorf("act: %w", &app.NotFoundError{Subject: app.SubjectIntervention}), http.StatusNotFound, ""},
		{app.ErrRequestConflict, http.StatusConflict, "requestId"},
		{app.ErrFamilyConflict, http.StatusConflict, "reference"},
		{app.ErrNoReferenceData, http.StatusServiceUnavailable, ""},
	}
	for _, tc := range cases {
		p, known := problemOf(tc.err)
		require.True(t, known, tc.err.Error())
		require.Equal(t, tc.status, p.Status, tc.err.Error())
		if tc.field != "" {
			require.Equal(t, tc.field, (*p.Errors)[0].Field)
		}
	}
	p, _ := problemOf(&app.NotFoundError{Subject: app.SubjectIntervention})
	require.Equal(t, "Intervento non trovato", p.Title)
	_, known := problemOf(errors.New("connection reset"))
	require.False(t, known, "other errors are the server's: 503 or 500, not the caller's")
}

func ptr(s string) *string { return &s }
