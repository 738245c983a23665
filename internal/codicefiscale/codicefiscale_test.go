package codicefiscale_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/codicefiscale"
)

func TestValidFullCode(t *testing.T) {
	t.Parallel()
	// The textbook example of the Agenzia delle Entrate's algorithm: Mario Rossi, born
	// on 10 December 1985.
	kind, err := codicefiscale.Validate("RSSMRA85T10A562S")
	require.NoError(t, err)
	require.Equal(t, codicefiscale.Full, kind)
}

func TestOmocodiaLettersStandForDigits(t *testing.T) {
	t.Parallel()
	// The same person after omocodia on the last digit: 2 becomes N, and the check letter
	// is computed on the new characters.
	_, err := codicefiscale.Validate("RSSMRA85T10A56NH")
	require.NoError(t, err)
}

func TestFemaleDayOfBirthIsPlusForty(t *testing.T) {
	t.Parallel()
	_, err := codicefiscale.Validate("RSSMRA85T50A562W")
	require.NoError(t, err)
}

func TestInvalidFullCodes(t *testing.T) {
	t.Parallel()
	cases := map[string]error{
		"RSSMRA85T10A562T": codicefiscale.ErrChecksum, // wrong check letter
		"RSSMRA85Z10A562S": codicefiscale.ErrPattern,  // Z is no month
		"RSSMRA85T35A562S": codicefiscale.ErrPattern,  // day 35 exists for nobody
		"R5SMRA85T10A562S": codicefiscale.ErrPattern,  // digit among the name letters
		"RSSMRA85T10A562":  codicefiscale.ErrLength,
		"":                 codicefiscale.ErrLength,
	}
	for code, want := range cases {
		_, err := codicefiscale.Validate(code)
		require.ErrorIs(t, err, want, code)
	}
}

func TestProvisionalCode(t *testing.T) {
	t.Parallel()
	kind, err := codicefiscale.Validate("12345678903")
	require.NoError(t, err)
	require.Equal(t, codicefiscale.Provisional, kind)
	_, err = codicefiscale.Validate("12345678904")
	require.ErrorIs(t, err, codicefiscale.ErrChecksum)
	_, err = codicefiscale.Validate("1234567890A")
	require.ErrorIs(t, err, codicefiscale.ErrPattern)
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	require.Equal(t, "RSSMRA85T10A562S", codicefiscale.Normalize(" rss mra 85t10 a562s "))
}

func TestErrorsCarryNoCode(t *testing.T) {
	t.Parallel()
	_, err := codicefiscale.Validate("RSSMRA85T10A562T")
	require.NotContains(t, err.Error(), "RSSMRA")
}

func FuzzValidateNeverPanics(f *testing.F) {
	for _, seed := range []string{"RSSMRA85T10A562S", "12345678903", "", "ZZZZZZZZZZZZZZZZ"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, code string) {
		kind, err := codicefiscale.Validate(code)
		if err == nil && kind != codicefiscale.Full && kind != codicefiscale.Provisional {
			t.Fatalf("valid code of unknown kind %d", kind)
		}
	})
}
