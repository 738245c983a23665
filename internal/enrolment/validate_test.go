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
		Minor: enrolment.Minor{
			GivenName: "Olena", FamilyName: "Kovalenko", BirthDate: "2017-04-12",
			Sex: "F", Citizenship: "UA",
		},
		Languages:      []string{"uk", "ru"},
		PriorSchooling: enrolment.PriorSchooling{Years: 3, LastClassAbroad: "3° клас"},
		Guardian:       enrolment.Guardian{Name: "Iryna Kovalenko", Phone: "+39 333 1234567", PreferredLanguage: "uk"},
		Residence:      enrolment.Residence{Address: "Via Padova 100", Municipio: 2},
		Origin:         enrolment.OriginUkrainianRefugee,
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
		"requestId":         "è obbligatorio",
		"comune":            "è obbligatorio",
		"level":             "è obbligatorio",
		"minor.givenName":   "è obbligatorio",
		"minor.familyName":  "è obbligatorio",
		"minor.birthDate":   "è obbligatoria",
		"minor.sex":         "è obbligatorio",
		"minor.citizenship": "è obbligatoria",
		"languages":         "indicare almeno una lingua parlata dal minore",
		"guardian.name":     "è obbligatorio",
		"guardian":          "indicare almeno un telefono o un indirizzo email",
		"residence.address": "è obbligatorio",
		"origin":            "è obbligatoria",
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
		"comune outside the metro":  {func(r *enrolment.Request) { r.Comune, r.Residence.Municipio = "016024", 0 }, "comune", "prefisso 015"},
		"comune too short":          {func(r *enrolment.Request) { r.Comune, r.Residence.Municipio = "15146", 0 }, "comune", "6 cifre"},
		"unknown level":             {func(r *enrolment.Request) { r.Level = "liceo" }, "level", "primaria"},
		"impossible date":           {func(r *enrolment.Request) { r.Minor.BirthDate = "2017-02-30" }, "minor.birthDate", "AAAA-MM-GG"},
		"date in another format":    {func(r *enrolment.Request) { r.Minor.BirthDate = "12/04/2017" }, "minor.birthDate", "AAAA-MM-GG"},
		"born tomorrow":             {func(r *enrolment.Request) { r.Minor.BirthDate = "2026-11-23" }, "minor.birthDate", "futuro"},
		"eighteen today":            {func(r *enrolment.Request) { r.Minor.BirthDate = "2008-11-22" }, "minor.birthDate", "meno di 18"},
		"name too long":             {func(r *enrolment.Request) { r.Minor.GivenName = strings.Repeat("a", 101) }, "minor.givenName", "100"},
		"control character in name": {func(r *enrolment.Request) { r.Minor.FamilyName = "Ko\x07valenko" }, "minor.familyName", "controllo"},
		"unknown sex":               {func(r *enrolment.Request) { r.Minor.Sex = "Q" }, "minor.sex", "F o M"},
		"citizenship not a country": {func(r *enrolment.Request) { r.Minor.Citizenship = "EU" }, "minor.citizenship", "ISO 3166-1"},
		"citizenship alpha-3":       {func(r *enrolment.Request) { r.Minor.Citizenship = "UKR" }, "minor.citizenship", "due lettere"},
		"codice fiscale checksum":   {func(r *enrolment.Request) { r.Minor.CodiceFiscale = "RSSMRA85T10A562T" }, "minor.codiceFiscale", "controllo"},
		"unknown language":          {func(r *enrolment.Request) { r.Languages = []string{"uk", "klingon"} }, "languages[1]", "ISO 639"},
		"negative school years":     {func(r *enrolment.Request) { r.PriorSchooling.Years = -1 }, "priorSchooling.years", "tra 0"},
		"note without special need": {func(r *enrolment.Request) { r.SpecialNeeds.Note = "dislessia" }, "specialNeeds.note", "present"},
		"bad phone":                 {func(r *enrolment.Request) { r.Guardian.Phone = "call me" }, "guardian.phone", "cifre"},
		"bad email":                 {func(r *enrolment.Request) { r.Guardian.Email = "iryna at example" }, "guardian.email", "email"},
		"email with display name":   {func(r *enrolment.Request) { r.Guardian.Email = "Iryna <i@example.org>" }, "guardian.email", "email"},
		"bad preferred language":    {func(r *enrolment.Request) { r.Guardian.PreferredLanguage = "ukrainian" }, "guardian.preferredLanguage", "ISO 639"},
		"milano without municipio":  {func(r *enrolment.Request) { r.Residence.Municipio = 0 }, "residence.municipio", "obbligatorio"},
		"municipio out of range":    {func(r *enrolment.Request) { r.Residence.Municipio = 10 }, "residence.municipio", "tra 1 e 9"},
		"municipio outside milano":  {func(r *enrolment.Request) { r.Comune = "015209" }, "residence.municipio", "solo per chi risiede a Milano"},
		"unknown origin":            {func(r *enrolment.Request) { r.Origin = "tourism" }, "origin", "ukrainian_refugee"},
		"notes too long":            {func(r *enrolment.Request) { r.Notes = strings.Repeat("n", 2001) }, "notes", "2000"},
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

func TestValidateAcceptsOptionalFields(t *testing.T) {
	t.Parallel()
	r := validRequest()
	r.Minor.CodiceFiscale = "12345678903" // provisional
	r.SpecialNeeds = enrolment.SpecialNeeds{Present: true, Note: "segue logopedia"}
	r.Guardian.Phone, r.Guardian.Email = "", "iryna@example.org"
	require.NoError(t, r.Validate(today))

	r = validRequest()
	r.Comune, r.Residence.Municipio = "015209", 0 // Sesto San Giovanni has no municipi
	r.Guardian.PreferredLanguage = ""             // notices fall back to Italian
	r.Languages = []string{"ar"}
	require.NoError(t, r.Validate(today))
}

func TestHashOfTheFirstSliceFormIsUnchanged(t *testing.T) {
	t.Parallel()
	// A case opened before the full form existed must keep its fingerprint, or repeating
	// its request would be taken for a conflict.
	old := enrolment.Request{
		RequestID: "3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f",
		Comune:    "015146",
		Level:     enrolment.LevelPrimaria,
		Minor:     enrolment.Minor{GivenName: "Olena", FamilyName: "Kovalenko", BirthDate: "2017-04-12"},
	}
	// sha256 of the first slice's JSON, computed outside Go.
	require.Equal(t, "84da76d9d353348bb35d0a1129333597f7aaa99678f5f74e6277ef42a60c805e", old.Hash())
}

func TestSuggestClass(t *testing.T) {
	t.Parallel()
	cases := []struct {
		born, on string
		want     enrolment.SuggestedClass
		ok       bool
	}{
		{"2017-04-12", "2026-11-22", enrolment.SuggestedClass{Level: enrolment.LevelPrimaria, Year: 4}, true},
		// Born in December: the age reached by 31 December counts.
		{"2020-12-31", "2026-09-15", enrolment.SuggestedClass{Level: enrolment.LevelPrimaria, Year: 1}, true},
		// In spring the school year began the previous September.
		{"2020-01-10", "2027-03-01", enrolment.SuggestedClass{Level: enrolment.LevelPrimaria, Year: 1}, true},
		{"2014-06-01", "2026-10-01", enrolment.SuggestedClass{Level: enrolment.LevelSecondariaPrimoGrado, Year: 2}, true},
		{"2010-06-01", "2026-10-01", enrolment.SuggestedClass{Level: enrolment.LevelSecondariaSecondoGrado, Year: 3}, true},
		{"2008-12-01", "2026-10-01", enrolment.SuggestedClass{Level: enrolment.LevelSecondariaSecondoGrado, Year: 5}, true},
		{"2022-03-01", "2026-10-01", enrolment.SuggestedClass{Level: enrolment.LevelInfanzia}, true},
		{"2025-03-01", "2026-10-01", enrolment.SuggestedClass{}, false},
	}
	for _, tc := range cases {
		born, _ := time.Parse(enrolment.DateLayout, tc.born)
		on, _ := time.Parse(enrolment.DateLayout, tc.on)
		got, ok := enrolment.SuggestClass(born, on)
		require.Equal(t, tc.ok, ok, tc.born)
		require.Equal(t, tc.want, got, "born %s, on %s", tc.born, tc.on)
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
	r.Minor.Citizenship = "ua"
	r.Languages = []string{" UK", "ru "}
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
