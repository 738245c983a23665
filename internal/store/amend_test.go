package store_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/store"
)

func correctedForm(seq int64, codiceFiscale string) store.CaseForm {
	return store.CaseForm{
		Seq: seq, MinorGivenName: "Olena", MinorFamilyName: "Kovalenko", MinorBirthDate: "2019-04-12",
		MinorSex: "F", MinorCitizenship: "UA", MinorCodiceFiscale: codiceFiscale, Origin: "ukrainian_refugee",
		Details: store.CaseDetails{Languages: []string{"uk"}, GuardianName: "Iryna Kovalenko", GuardianPhone: "+39 333 7654321", ResidenceAddress: "Via Padova 1"},
		Suggest: true, SuggestedLevel: "primaria", SuggestedYear: 2,
	}
}

// A correction is written once per event number: a late retry of an older one never
// undoes a newer one, and the suggestion changes only when it was computed again.
func TestAmendCaseAppliesNewerCorrectionsOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.recorded(t)
	ctx := store.AsSystem(b.ctx)

	applied, err := b.store.AmendCase(ctx, c.ID, correctedForm(5, "RSSMRA85T10A562S"))
	require.NoError(t, err)
	require.True(t, applied)
	got, err := b.store.GetCase(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, "RSSMRA85T10A562S", got.MinorCodiceFiscale)
	require.Equal(t, "2019-04-12", got.MinorBirthDate)
	require.Equal(t, "+39 333 7654321", got.Details.GuardianPhone)
	require.Equal(t, 2, got.SuggestedYear)
	require.Equal(t, c.RequestHash, got.RequestHash, "the filing's fingerprint stays: a repeated filing still finds its case")

	again, err := b.store.AmendCase(ctx, c.ID, correctedForm(5, "RSSMRA85T10A562S"))
	require.NoError(t, err)
	require.False(t, again, "the same correction again changes nothing")
	older := correctedForm(4, "12345678903")
	older.Suggest = false
	late, err := b.store.AmendCase(ctx, c.ID, older)
	require.NoError(t, err)
	require.False(t, late)
	got, err = b.store.GetCase(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, "RSSMRA85T10A562S", got.MinorCodiceFiscale, "an older correction arriving late is ignored")

	newer := correctedForm(7, "")
	newer.Suggest = false
	applied, err = b.store.AmendCase(ctx, c.ID, newer)
	require.NoError(t, err)
	require.True(t, applied)
	got, err = b.store.GetCase(ctx, c.ID)
	require.NoError(t, err)
	require.Empty(t, got.MinorCodiceFiscale)
	require.Equal(t, 2, got.SuggestedYear, "not computed again: the suggestion stays")

	_, err = b.store.AmendCase(ctx, uuid.NewString(), correctedForm(1, ""))
	require.True(t, errors.Is(err, store.ErrNotFound), "%v", err)
}
