package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/password"
)

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	phc, err := password.Hash("corretto cavallo batteria")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$"), phc)
	require.NotContains(t, phc, "cavallo")
	require.NoError(t, password.Verify("corretto cavallo batteria", phc))
	require.True(t, errors.Is(password.Verify("corretto cavallo batteri", phc), password.ErrMismatch))

	again, err := password.Hash("corretto cavallo batteria")
	require.NoError(t, err)
	require.NotEqual(t, phc, again, "every hash has its own salt")
}

func TestVerifyRefusesForeignHashes(t *testing.T) {
	t.Parallel()
	for _, phc := range []string{"", "plain", "$2a$10$abcdefghijklmnopqrstuv", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"} {
		err := password.Verify("x", phc)
		require.Error(t, err)
		require.False(t, errors.Is(err, password.ErrMismatch), phc)
	}
}

func TestCheckLength(t *testing.T) {
	t.Parallel()
	require.Error(t, password.Check("breve"))
	require.NoError(t, password.Check("dodicicarat!"))
	require.Error(t, password.Check(strings.Repeat("x", 129)))
}
