package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, store.Migrate)
}

func TestRefdataImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := store.New(pgtest.NewPool(t))
	sample := filepath.Join("..", "..", "deploy", "refdata", "sample.yaml")

	var out bytes.Buffer
	require.NoError(t, importReferenceData(ctx, &out, s, sample))
	require.Contains(t, out.String(), "SAMPLE data")
	require.Contains(t, out.String(), "6 ambiti, 4 Poli START")

	out.Reset()
	require.NoError(t, importReferenceData(ctx, &out, s, sample))
	require.Contains(t, out.String(), "already the current one")

	// A broken file is refused whole, with every error and its line, and the data in
	// place stays.
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	broken := strings.Replace(string(data), `version: "sample-2026-11-30"`, `version: "broken"`, 1)
	broken = strings.Replace(broken, `istat: "015182", name: Rho, ambito: "23"`, `istat: "15182", name: Rho, ambito: "29"`, 1)
	path := filepath.Join(t.TempDir(), "broken.yaml")
	require.NoError(t, os.WriteFile(path, []byte(broken), 0o644))
	err = importReferenceData(ctx, &out, s, path)
	require.Error(t, err)
	require.Contains(t, err.Error(), "nothing changed")
	require.Contains(t, err.Error(), "line 132: comuni[95].istat")
	require.Contains(t, err.Error(), "line 132: comuni[95].ambito")

	current, err := s.ReferenceData(ctx)
	require.NoError(t, err)
	require.Equal(t, "sample-2026-11-30", current.Version)
}
