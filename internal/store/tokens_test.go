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
