package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/store"
)

func TestTokensAuthenticateUntilExpiredOrRevoked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.store.CreateOrganisation(b.ctx, polo1, "Polo START 1"))
	tok, secret, err := b.store.CreateToken(b.ctx, polo1, "gestionale", store.RoleOperator, time.Hour)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(secret, "apd_"))

	got, err := b.store.Authenticate(b.ctx, secret, time.Now())
	require.NoError(t, err)
	require.Equal(t, polo1, got.Organisation)
	require.Equal(t, tok.ID, got.ID)

	var stored []byte
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT secret_hash FROM api_token WHERE id = $1", tok.ID).Scan(&stored))
	require.NotContains(t, string(stored), secret[4:], "only a hash is stored")

	_, err = b.store.Authenticate(b.ctx, secret, tok.ExpiresAt)
	require.True(t, errors.Is(err, store.ErrTokenRejected), "expired at its expiry time")
	for _, wrong := range []string{"", "apd_", secret + "x", "Bearer " + secret, strings.Replace(secret, "apd_", "xyz_", 1)} {
		_, err = b.store.Authenticate(b.ctx, wrong, time.Now())
		require.True(t, errors.Is(err, store.ErrTokenRejected), wrong)
	}

	require.NoError(t, b.store.RevokeToken(b.ctx, tok.ID))
	require.NoError(t, b.store.RevokeToken(b.ctx, tok.ID), "revoking twice is harmless")
	_, err = b.store.Authenticate(b.ctx, secret, time.Now())
	require.True(t, errors.Is(err, store.ErrTokenRejected), "revoked")
}

func TestTokensNeedAnOrganisationARoleAndAnExpiry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, _, err := b.store.CreateToken(b.ctx, cti22, "x", store.RoleOperator, time.Hour)
	require.Error(t, err, "the organisation must exist")
	require.NoError(t, b.store.CreateOrganisation(b.ctx, cti22, "CTI 22"))
	_, _, err = b.store.CreateToken(b.ctx, cti22, "x", "god", time.Hour)
	require.Error(t, err)
	_, _, err = b.store.CreateToken(b.ctx, cti22, "x", store.RoleAdmin, 0)
	require.Error(t, err)
}

// Authenticating notes the token's use in the same statement, as the application role
// (under which the API runs), at most once a minute, and never for a revoked token.
func TestAuthenticateNotesTheUseAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	app, b := minorStore(t)
	require.NoError(t, b.store.CreateOrganisation(b.ctx, polo1, "Polo START 1"))
	tok, secret, err := b.store.CreateToken(b.ctx, polo1, "gestionale", store.RoleOperator, time.Hour)
	require.NoError(t, err)
	lastUsed := func() *time.Time {
		var at *time.Time
		require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT last_used_at FROM api_token WHERE id = $1", tok.ID).Scan(&at))
		return at
	}
	require.Nil(t, lastUsed())

	first := time.Now().Truncate(time.Millisecond)
	_, err = app.Authenticate(b.ctx, secret, first)
	require.NoError(t, err)
	require.WithinDuration(t, first, *lastUsed(), 0)
	_, err = app.Authenticate(b.ctx, secret, first.Add(30*time.Second))
	require.NoError(t, err)
	require.WithinDuration(t, first, *lastUsed(), 0, "within the minute: not written again")
	later := first.Add(2 * time.Minute)
	_, err = app.Authenticate(b.ctx, secret, later)
	require.NoError(t, err)
	require.WithinDuration(t, later, *lastUsed(), 0)

	require.NoError(t, b.store.RevokeToken(b.ctx, tok.ID))
	_, err = app.Authenticate(b.ctx, secret, later.Add(2*time.Minute))
	require.True(t, errors.Is(err, store.ErrTokenRejected), "revoked: refused at once")
	require.WithinDuration(t, later, *lastUsed(), 0, "a refused token's use is not noted")
}
