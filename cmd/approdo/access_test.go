package main

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

func TestDemoTokensAreRenewedAtEveryStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := store.New(pgtest.NewPool(t))
	dir := t.TempDir()
	var out bytes.Buffer
	_, err := seedDemoTokens(ctx, &out, s, dir)
	require.NoError(t, err)
	first := demoToken(t, dir, "APPRODO_TOKEN_POLO")
	tok, err := s.Authenticate(ctx, first, time.Now())
	require.NoError(t, err)
	require.Equal(t, "polo_start:polo-1", tok.Organisation.String())

	_, err = seedDemoTokens(ctx, &out, s, dir)
	require.NoError(t, err)
	_, err = s.Authenticate(ctx, first, time.Now())
	require.True(t, errors.Is(err, store.ErrTokenRejected), "the previous start's token is revoked")
	for _, d := range demoOrganisations {
		tok, err := s.Authenticate(ctx, demoToken(t, dir, d.env), time.Now())
		require.NoError(t, err, d.env)
		require.Equal(t, d.org, tok.Organisation)
	}
}
