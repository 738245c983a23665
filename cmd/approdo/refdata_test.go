package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/refdata"
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
	// The error names the line of Rho's entry, wherever the sample keeps it.
	rhoLine := 1 + strings.Count(broken[:strings.Index(broken, `istat: "15182"`)], "\n")
	require.Contains(t, err.Error(), fmt.Sprintf("line %d: comuni[95].istat", rhoLine))
	require.Contains(t, err.Error(), fmt.Sprintf("line %d: comuni[95].ambito", rhoLine))

	current, err := s.ReferenceData(ctx)
	require.NoError(t, err)
	require.Equal(t, "sample-2026-11-30", current.Version)
}

func TestRefdataImportWithPublicSources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := store.New(pgtest.NewPool(t))
	root := filepath.Join("..", "..")
	sources := filepath.Join(root, "deploy", "refdata", "sources")
	fixtures := filepath.Join(root, "internal", "refdata", "testdata")
	args := []string{
		"-comuni", filepath.Join(sources, "istat-comuni-015.csv"),
		"-ambiti", filepath.Join(sources, "ambiti-015.csv"),
		"-pec", filepath.Join(fixtures, "indicepa-enti-extract.csv"),
		"-schools", filepath.Join(fixtures, "scuole-statali-extract.csv"),
		"-schools", filepath.Join(fixtures, "scuole-paritarie-extract.csv"),
		"-municipi", filepath.Join(sources, "milano-cap-municipio.csv"),
		"-patroni", filepath.Join(sources, "patroni-015.csv"),
		"-chiusure", filepath.Join(sources, "calendario-scolastico-lombardia.csv"),
		filepath.Join(root, "deploy", "refdata", "sample.yaml"),
	}
	src, path, _, err := parseRefdataImport(args)
	require.NoError(t, err)
	require.Len(t, src.Schools, 2)

	var out bytes.Buffer
	require.NoError(t, importReferenceDataWith(ctx, &out, s, path, src))
	require.Contains(t, out.String(), "with 8 source file(s)")
	require.Contains(t, out.String(), "patroni-015.csv: the patron day of 7 of 133 comuni")
	require.Contains(t, out.String(), "calendario-scolastico-lombardia.csv: 4 school closures over 1 school year(s)")
	require.Contains(t, out.String(), "istat-comuni-015.csv: 133 comuni of province 015")
	require.Contains(t, out.String(), "indicepa-enti-extract.csv: the PEC of 7 of 133 comuni")
	require.Contains(t, out.String(), "133 comuni, 26 schools")

	// What was stored routes a request from any comune of the Città Metropolitana: Done
	// means 1, on the data as the API and the worker read it.
	ref, err := s.ReferenceData(ctx)
	require.NoError(t, err)
	require.Len(t, ref.Comuni, 133)
	for istat, ambito := range map[string]string{"015002": "24", "015118": "23", "015192": "26", "015059": "25"} {
		hub, err := ref.Route(istat, 0, enrolment.LevelSecondariaPrimoGrado)
		require.NoError(t, err, istat)
		require.Equal(t, refdata.HubCTI, hub.Kind, istat)
		require.Equal(t, ambito, hub.Code, istat)
	}
	i := slices.IndexFunc(ref.Comuni, func(c refdata.Comune) bool { return c.ISTAT == "015002" })
	require.Equal(t, "comune.abbiategrasso@legalpec.it", ref.Comuni[i].PEC)
	require.Equal(t, "A010", ref.Comuni[i].Cadastral, "the cadastral code is stored")
	i = slices.IndexFunc(ref.Comuni, func(c refdata.Comune) bool { return c.ISTAT == "015118" })
	require.Equal(t, "11-05", ref.Comuni[i].Patron, "Legnano's patron day is stored")
	require.Len(t, ref.SchoolClosures, 4, "and the school breaks")
	known, err := s.ComuneKnown(ctx, "015251")
	require.NoError(t, err)
	require.True(t, known, "Vermezzo con Zelo, not in the former sample, is known")

	out.Reset()
	require.NoError(t, importReferenceDataWith(ctx, &out, s, path, src))
	require.Contains(t, out.String(), "already the current one")

	// A source with errors is refused whole, every error with its file and line.
	broken := filepath.Join(t.TempDir(), "scuole.csv")
	data, err := os.ReadFile(src.Schools[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(broken, []byte(strings.Replace(string(data), "SCUOLA PRIMARIA", "SCUOLA DI MAGIA", 2)), 0o644))
	src.Schools = []string{broken}
	err = importReferenceDataWith(ctx, &out, s, path, src)
	require.ErrorContains(t, err, "nothing changed")
	require.ErrorContains(t, err, `scuole.csv line 4: DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA: tipologia "SCUOLA DI MAGIA"`)
	require.ErrorContains(t, err, `scuole.csv line 7: DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA`)
	ref, err = s.ReferenceData(ctx)
	require.NoError(t, err)
	require.Len(t, ref.Schools, 26, "the data in place stays")

	_, _, _, err = parseRefdataImport([]string{"-comuni", "x.csv"})
	require.ErrorIs(t, err, errUsage)
}

func TestRefdataCheckNeedsNoDatabase(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	root := filepath.Join("..", "..")
	sample := filepath.Join(root, "deploy", "refdata", "sample.yaml")
	require.NoError(t, run(context.Background(), []string{"refdata", "check",
		"-comuni", filepath.Join(root, "deploy", "refdata", "sources", "istat-comuni-015.csv"), sample}))
	table := filepath.Join(t.TempDir(), "ambiti.csv")
	require.NoError(t, os.WriteFile(table, []byte("istat;ambito\n015002;29\n"), 0o644))
	err := run(context.Background(), []string{"refdata", "check", "-ambiti", table, sample})
	require.ErrorContains(t, err, "ambiti.csv line 2: comuni[0].ambito: ambito 29 is not among the ambiti")

	// -o writes the file with its sources applied: one file, which imports alone.
	fixtures := filepath.Join(root, "internal", "refdata", "testdata")
	merged := filepath.Join(t.TempDir(), "merged.yaml")
	require.NoError(t, run(context.Background(), []string{"refdata", "check",
		"-comuni", filepath.Join(root, "deploy", "refdata", "sources", "istat-comuni-015.csv"),
		"-pec", filepath.Join(fixtures, "indicepa-enti-extract.csv"),
		"-schools", filepath.Join(fixtures, "scuole-statali-extract.csv"),
		"-municipi", filepath.Join(root, "deploy", "refdata", "sources", "milano-cap-municipio.csv"),
		"-o", merged, sample}))
	d, err := refdata.ParseFile(merged)
	require.NoError(t, err)
	require.Len(t, d.Comuni, 133)
	require.Len(t, d.Schools, 12+10)
	i := slices.IndexFunc(d.Comuni, func(c refdata.Comune) bool { return c.ISTAT == "015002" })
	require.Equal(t, refdata.Comune{ISTAT: "015002", Name: "Abbiategrasso", Ambito: "24", PEC: "comune.abbiategrasso@legalpec.it", Cadastral: "A010"}, d.Comuni[i])
	data, err := os.ReadFile(merged)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), "# Written by `approdo refdata check -o` on "), string(data[:200]))
	require.Contains(t, string(data), "from sample.yaml and istat-comuni-015.csv, indicepa-enti-extract.csv, milano-cap-municipio.csv, scuole-statali-extract.csv.")
	require.ErrorContains(t, runRefdataImport(context.Background(), false, []string{"-o", merged, sample}), "-o goes with refdata check")
}
