package enrolment_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/enrolment"
)

var today = time.Date(2026, 11, 22, 15, 4, 0, 0, time.UTC)

func validRequest() enrolment.Request {
	return enrolment.Request{
		RequestID: "3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f",
		Comune:    "015146",
		Level:     enrolment.LevelPrimaria,
		Minor:     enrolment.Minor{GivenName: "Olena", FamilyName: "Kovalenko", BirthDate: "2017-04-12"},
	}
}

func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	var v *enrolment.ValidationError
	require.True(t, errors.As(err, &v), "want *ValidationError, got %v", err)
	out := map[string]string{}
	for _, f := range v.Fields {
		out[f.Field] = f.Reason
	}
	return out
}

func TestValidateAcceptsAValidRequest(t *testing.T) {
	t.Parallel()
	require.NoError(t, validRequest().Validate(today))
}

func TestValidateReportsEveryFieldAtOnce(t *testing.T) {
	t.Parallel()
	err := enrolment.Request{}.Validate(today)
	require.Equal(t, map[string]string{
		"requestId":        "è obbligatorio",
		"comune":           "è obbligatorio",
		"level":            "è obbligatorio",
		"minor.givenName":  "è obbligatorio",
		"minor.familyName": "è obbligatorio",
		"minor.birthDate":  "è obbligatoria",
	}, fieldErrors(t, err))
}

func TestValidateRejectsBadValues(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		mutate func(*enrolment.Request)
		field  string
		reason string
	}{
		"request id not a uuid":     {func(r *enrolment.Request) { r.RequestID = "pratica-12" }, "requestId", "UUID"},
		"request id braced uuid":    {func(r *enrolment.Request) { r.RequestID = "{3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f}" }, "requestId", "UUID"},
		"comune outside the metro":  {func(r *enrolment.Request) { r.Comune = "016024" }, "comune", "prefisso 015"},
		"comune too short":          {func(r *enrolment.Request) { r.Comune = "15146" }, "comune", "6 cifre"},
		"unknown level":             {func(r *enrolment.Request) { r.Level = "liceo" }, "level", "primaria"},
		"impossible date":           {func(r *enrolment.Request) { r.Minor.BirthDate = "2017-02-30" }, "minor.birthDate", "AAAA-MM-GG"},
		"date in another format":    {func(r *enrolment.Request) { r.Minor.BirthDate = "12/04/2017" }, "minor.birthDate", "AAAA-MM-GG"},
		"born tomorrow":             {func(r *enrolment.Request) { r.Minor.BirthDate = "2026-11-23" }, "minor.birthDate", "futuro"},
		"eighteen today":            {func(r *enrolment.Request) { r.Minor.BirthDate = "2008-11-22" }, "minor.birthDate", "meno di 18"},
		"name too long":             {func(r *enrolment.Request) { r.Minor.GivenName = strings.Repeat("a", 101) }, "minor.givenName", "100"},
		"control character in name": {func(r *enrolment.Request) { r.Minor.FamilyName = "Ko\x07valenko" }, "minor.familyName", "controllo"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := validRequest()
			tc.mutate(&r)
			errs := fieldErrors(t, r.Validate(today))
			require.Len(t, errs, 1, "only the broken field is reported: %v", errs)
			require.Contains(t, errs[tc.field], tc.reason)
		})
	}
}

func TestValidateAcceptsSeventeenYearOld(t *testing.T) {
	t.Parallel()
	r := validRequest()
	r.Minor.BirthDate = "2008-11-23" // turns 18 tomorrow
	require.NoError(t, r.Validate(today))
}

func TestValidationErrorTextHasNoPersonalData(t *testing.T) {
	t.Parallel()
	r := validRequest()
	r.Minor.GivenName = strings.Repeat("Olena", 30)
	err := r.Validate(today)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "Olena")
	require.Contains(t, err.Error(), "minor.givenName")
}

func TestNormalizeTrimsAndLowercasesTheRequestID(t *testing.T) {
	t.Parallel()
	r := validRequest()
	r.RequestID = "  3F2C1A9E-8D7B-4C6A-9E5F-1A2B3C4D5E6F "
	r.Minor.GivenName = " Olena "
	n := r.Normalize()
	require.Equal(t, validRequest(), n)
	require.Equal(t, validRequest().Hash(), n.Hash())
}

func TestHashChangesWithContent(t *testing.T) {
	t.Parallel()
	a, b := validRequest(), validRequest()
	b.Minor.BirthDate = "2017-04-13"
	require.NotEqual(t, a.Hash(), b.Hash())
}

func TestCaseIDIsStablePerFilerAndRequest(t *testing.T) {
	t.Parallel()
	id := enrolment.CaseID("015146", "3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f")
	require.Equal(t, id, enrolment.CaseID("015146", "3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f"))
	require.NotEqual(t, id, enrolment.CaseID("015027", "3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f"))
	require.Equal(t, "enrolment-"+id, enrolment.WorkflowID(id))
}
