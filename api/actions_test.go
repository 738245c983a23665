package api

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
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

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	key, problem := idempotencyKey(ptr("proposal-2026-11-23:1"))
	require.Nil(t, problem)
	require.Equal(t, "proposal-2026-11-23:1", key)
	key, problem = idempotencyKey(nil)
	require.Nil(t, problem)
	require.Empty(t, key)
	for _, bad := range []string{"", "has space", string(make([]byte, 101))} {
		_, problem := idempotencyKey(&bad)
		require.NotNil(t, problem, bad)
		require.Equal(t, "Idempotency-Key", (*problem.Errors)[0].Field)
	}
}

func TestRefusedActionsBecomeProblems(t *testing.T) {
	t.Parallel()
	s := &Server{}
	cases := []struct {
		err    error
		status int
		field  string
	}{
		{temporal.NewApplicationError("solo l'hub", workflows.ErrTypeNotAllowed), http.StatusForbidden, ""},
		{temporal.NewApplicationError("il caso è chiuso", workflows.ErrTypeWrongStage), http.StatusConflict, ""},
		{temporal.NewApplicationError("school: fuori territorio", workflows.ErrTypeInvalid, workflows.FieldProblem{Field: "school", Reason: "fuori territorio"}), http.StatusUnprocessableEntity, "school"},
	}
	for _, tc := range cases {
		p, known := s.actionProblem(context.Background(), "", tc.err)
		require.True(t, known)
		require.Equal(t, tc.status, p.Status)
		if tc.field != "" {
			require.Equal(t, tc.field, (*p.Errors)[0].Field)
			require.Equal(t, "fuori territorio", (*p.Errors)[0].Reason)
		}
	}
	_, known := s.actionProblem(context.Background(), "", errors.New("connection reset"))
	require.False(t, known, "other errors are the server's: 503 or 500, not the caller's")
	_, known = s.actionProblem(context.Background(), "", temporal.NewApplicationError("x", workflows.ErrTypeInvalid))
	require.False(t, known, "an invalid-input error without its field is a bug, not a 422")
}

func ptr(s string) *string { return &s }
