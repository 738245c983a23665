package main

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

func TestCommandsOfTheCLIAreAudited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	args := []string{"org", "create", "cti:21", "CTI Milano"}
	name, ok := auditedCommand(args)
	require.True(t, ok)
	ran := false
	require.NoError(t, auditCommand(ctx, store.New(pool), "cli:operatore", name, args, func() error { ran = true; return nil }))
	require.True(t, ran)
	failed := errors.New("no such organisation")
	require.ErrorIs(t, auditCommand(ctx, store.New(pool), "cli:operatore", "token revoke", []string{"token", "revoke", "42"}, func() error { return failed }), failed)

	entries, err := store.New(pool).AuditLog(store.WithOrg(ctx, "ust"), store.AuditFilter{Organisation: "system"})
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Actor+" "+e.Action+" "+e.Outcome+" "+e.ClientAddress+" "+e.Subject)
	}
	require.ElementsMatch(t, []string{
		"cli:operatore cli org create started cli cti:21 CTI Milano", "cli:operatore cli org create ok cli cti:21 CTI Milano",
		"cli:operatore cli token revoke started cli 42", "cli:operatore cli token revoke error cli 42",
	}, got)
	_, ok = auditedCommand([]string{"api"})
	require.False(t, ok, "the processes are not commands to audit")
}

// A command whose entry cannot be written does not run.
func TestCommandWithoutAuditEntryDoesNotRun(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://approdo@127.0.0.1:1/approdo?connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	ran := false
	err = auditCommand(context.Background(), store.New(pool), "cli:operatore", "org create", []string{"org", "create", "ust", "UST"}, func() error { ran = true; return nil })
	require.Error(t, err)
	require.False(t, ran)
}
