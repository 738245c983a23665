package app

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/workflows"
)

func TestValidatorRefusalsAreTyped(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err    error
		reason Refusal
		field  string
	}{
		{temporal.NewApplicationError("solo l'hub", workflows.ErrTypeNotAllowed), RefusedNotAllowed, ""},
		{temporal.NewApplicationError("il caso attende la scuola", workflows.ErrTypeWrongStage), RefusedWrongStage, ""},
		{temporal.NewApplicationError("school: fuori territorio", workflows.ErrTypeInvalid,
			workflows.FieldProblem{Field: "school", Reason: "fuori territorio"}), RefusedInvalid, "school"},
	}
	for _, tc := range cases {
		r := asRefusal(SubjectCase, tc.err)
		require.NotNil(t, r, tc.err.Error())
		require.Equal(t, tc.reason, r.Reason)
		require.Equal(t, tc.field, r.Field)
		require.Equal(t, SubjectCase, r.Subject)
	}
	require.Nil(t, asRefusal(SubjectCase, errors.New("connection reset")), "other errors are the server's")
	require.Nil(t, asRefusal(SubjectCase, temporal.NewApplicationError("x", workflows.ErrTypeInvalid)),
		"an invalid-input error without its field is a bug, not the caller's mistake")
}

func TestKeysAndIDsAreCheckedBeforeAnythingIsSent(t *testing.T) {
	t.Parallel()
	require.NoError(t, CheckKey("proposal-2026-11-23:1"))
	require.NoError(t, CheckKey(""), "no key")
	for _, bad := range []string{"has space", string(make([]byte, 101)), "è"} {
		var invalid *InvalidError
		require.ErrorAs(t, CheckKey(bad), &invalid, bad)
		require.Equal(t, "Idempotency-Key", invalid.Fields[0].Field)
	}
	require.NoError(t, CheckID(SubjectCase, "0b39a6a4-6f0e-4c1e-9a53-4d1b8e0c2f11"))
	require.Error(t, CheckID(SubjectCase, "../etc"))
	require.Error(t, CheckID(SubjectJourney, "intervention-1"))
	require.NoError(t, CheckID(SubjectIntervention, "intervention-abc-1"))
	require.Error(t, CheckID(SubjectIntervention, "0b39a6a4-6f0e-4c1e-9a53-4d1b8e0c2f11"))
}

func TestUnavailableIsKeptThroughWrapping(t *testing.T) {
	t.Parallel()
	require.True(t, IsUnavailable(unavailableOr(errors.Join(errors.New("x"), ErrUnavailable))))
	require.False(t, IsUnavailable(unavailableOr(errors.New("syntax error at or near"))))
}
