package main

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
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

func TestAuditPruneKeepsTheRetentionPeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	for _, age := range []string{"400 days", "100 days", "1 hour"} {
		_, err := pool.Exec(ctx, "INSERT INTO audit_log (at, actor, organisation, action, request_id, outcome) VALUES (now() - $1::interval, 'token:x', 'ust', 'GET /api/v1/enrolments', 'r', '200')", age)
		require.NoError(t, err)
	}
	var out bytes.Buffer
	require.NoError(t, pruneAuditLog(ctx, &out, store.New(pool), 366*24*time.Hour))
	require.Contains(t, out.String(), "1 entries")
	var left int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM audit_log").Scan(&left))
	require.Equal(t, 2, left)
}

func TestUserDisableEndsTheSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := store.New(pgtest.NewPool(t))
	org := casework.Org{Kind: casework.OrgCTI, Code: "21"}
	require.NoError(t, s.CreateOrganisation(ctx, org, "CTI Milano"))
	u, err := s.CreateUser(ctx, org, "referente@cti21.example.org", "Referente", store.RoleOperator)
	require.NoError(t, err)
	_, secret, err := s.CreateSession(ctx, u, time.Hour)
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, disableUser(ctx, &out, s, "Referente@cti21.example.org"))
	require.Contains(t, out.String(), "referente@cti21.example.org (Referente, cti:21) is disabled")
	_, err = s.SessionBySecret(ctx, secret, time.Now())
	require.True(t, errors.Is(err, store.ErrSessionRejected))
	require.ErrorContains(t, disableUser(ctx, &out, s, "nessuno@example.org"), "no user")
}
