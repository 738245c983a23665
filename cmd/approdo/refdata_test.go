package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// Done means 2 of issue 16: importing a real extract of the Ministry's registry (the
// paritarie of the province of Milano, 2023/24, as published) loads its schools. What
// the file holds is read here with a strict CSV reader, independently of the importer.
func TestRefdataImportOfTheMinistrysRealExtract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := store.New(pgtest.NewPool(t))
	root := filepath.Join("..", "..")
	sources := filepath.Join(root, "deploy", "refdata", "sources")
	paritarie := filepath.Join(sources, "scuole-paritarie-milano-202324.csv")
	statali := filepath.Join(root, "internal", "refdata", "testdata", "scuole-statali-aosta-trento-bolzano-202324-extract.csv")
	municipiTable := filepath.Join(sources, "milano-cap-municipio.csv")
	args := []string{
		"-comuni", filepath.Join(sources, "istat-comuni-015.csv"),
		"-ambiti", filepath.Join(sources, "ambiti-015.csv"),
		"-schools", paritarie, "-schools", statali,
		"-municipi", municipiTable,
		filepath.Join(root, "deploy", "refdata", "sample.yaml"),
	}
	src, path, _, err := parseRefdataImport(args)
	require.NoError(t, err)

	// The comuni by cadastral code, from ISTAT's list (";", Windows-1252: the codes are ASCII).
	istat := map[string]string{}
	cols, records := csvFile(t, filepath.Join(sources, "istat-comuni-015.csv"), ';')
	for _, r := range records {
		istat[r[cols["Codice Catastale del comune"]]] = r[cols["Codice Comune formato alfanumerico"]]
	}
	require.Len(t, istat, 133)
	require.Equal(t, "015146", istat["F205"])
	// Milano's municipi by CAP, from the operator's table ("" where a CAP spans several).
	municipi := map[string]int{}
	cols, records = csvFile(t, municipiTable, ';')
	for _, r := range records {
		m, _ := strconv.Atoi(r[cols["municipio"]])
		municipi[r[cols["key"]]] = m
	}

	cols, records = csvFile(t, paritarie, ',')
	var want []map[string]string // the rows of the province of Milano whose comune is in the reference data
	for _, r := range records {
		row := map[string]string{}
		for name, i := range cols {
			row[name] = r[i]
		}
		require.Equal(t, "MILANO", row["PROVINCIA"], "the extract holds the province of Milano only")
		if _, ok := istat[row["CODICECOMUNESCUOLA"]]; ok {
			want = append(want, row)
		}
	}
	require.NotEmpty(t, want)
	_, aosta := csvFile(t, statali, ',')

	var out bytes.Buffer
	require.NoError(t, importReferenceDataWith(ctx, &out, s, path, src))
	report := out.String()
	require.Contains(t, report, fmt.Sprintf("scuole-paritarie-milano-202324.csv: %d rows, %d of them in the territory\n", len(records), len(want)))
	require.Contains(t, report, fmt.Sprintf("scuole-statali-aosta-trento-bolzano-202324-extract.csv: %d rows, 0 of them in the territory; %d outside it (schools of other comuni), skipped; no school of the territory in this file",
		len(aosta), len(aosta)), "the Aosta, Trento and Bolzano rows are outside the territory, not errors")
	require.Contains(t, report, fmt.Sprintf("schools: %d istituti from the registry (%d new, 0 replacing the file's)", len(want), len(want)))

	ref, err := s.ReferenceData(ctx)
	require.NoError(t, err)
	sample, err := refdata.ParseFile(filepath.Join(root, "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)
	require.Len(t, ref.Schools, len(sample.Schools)+len(want), "every school of the extract, and the file's own")
	stored := map[string]refdata.School{}
	for _, sc := range ref.Schools {
		stored[sc.Code] = sc
	}
	levels := map[string]enrolment.Level{
		"SCUOLA INFANZIA NON STATALE":           enrolment.LevelInfanzia,
		"SCUOLA PRIMARIA NON STATALE":           enrolment.LevelPrimaria,
		"SCUOLA SEC. PRIMO GRADO NON STATALE":   enrolment.LevelSecondariaPrimoGrado,
		"SCUOLA SEC. SECONDO GRADO NON STATALE": enrolment.LevelSecondariaSecondoGrado,
	}
	absent := func(v string) string {
		if v == "Non Disponibile" {
			return ""
		}
		return strings.ToLower(v)
	}
	noPEC, quoted := 0, 0
	for _, row := range want {
		code := row["CODICESCUOLA"]
		got, ok := stored[code]
		require.True(t, ok, "school %s was not loaded", code)
		level, known := levels[row["DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA"]]
		require.True(t, known, "tipologia %q: add it to this test", row["DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA"])
		wantMunicipio := 0
		if row["CODICECOMUNESCUOLA"] == "F205" {
			wantMunicipio = municipi[row["CAPSCUOLA"]]
		}
		require.Equal(t, refdata.School{
			Code: code, Name: row["DENOMINAZIONESCUOLA"], Levels: []string{string(level)},
			Comune: istat[row["CODICECOMUNESCUOLA"]], Municipio: wantMunicipio,
			Email: absent(row["INDIRIZZOEMAILSCUOLA"]), PEC: absent(row["INDIRIZZOPECSCUOLA"]),
		}, got)
		if got.PEC == "" {
			noPEC++
		}
		if strings.Contains(got.Name, `"`) {
			quoted++
		}
	}
	require.Positive(t, quoted, "names quoted in the file, their quotes doubled, read as one")
	require.Contains(t, report, fmt.Sprintf("contacts: %d of %d schools have no PEC", noPEC, len(ref.Schools)),
		"the schools whose PEC is \"Non Disponibile\" are reported as not onboardable by PEC")

	// A few known rows, read from the file: the first of each tipologia, and the first in Milano.
	seen := map[string]bool{}
	milano, milanoTipologia := "", ""
	for _, row := range want {
		if tip := row["DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA"]; !seen[tip] {
			seen[tip] = true
			require.Equal(t, []string{string(levels[tip])}, stored[row["CODICESCUOLA"]].Levels, tip)
		}
		if milano == "" && row["DESCRIZIONECOMUNE"] == "MILANO" {
			milano, milanoTipologia = row["CODICESCUOLA"], row["DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA"]
		}
	}
	require.Len(t, seen, 4)
	require.NotEmpty(t, milano)
	require.Equal(t, "015146", stored[milano].Comune, "a Milan school, by cadastral code F205, is in ISTAT 015146")

	out.Reset()
	require.NoError(t, importReferenceDataWith(ctx, &out, s, path, src))
	require.Contains(t, out.String(), "already the current one")

	// A real row made wrong is reported at its line, and nothing changes.
	data, err := os.ReadFile(paritarie)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\r\n")
	line := 1 + slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, ","+milano+",") })
	require.Contains(t, lines[line-1], ","+milanoTipologia+",")
	lines[line-1] = strings.Replace(lines[line-1], ","+milanoTipologia+",", ",SCUOLA DI MAGIA,", 1)
	broken := filepath.Join(t.TempDir(), "paritarie.csv")
	require.NoError(t, os.WriteFile(broken, []byte(strings.Join(lines, "")), 0o644))
	src.Schools = []string{broken}
	err = importReferenceDataWith(ctx, &out, s, path, src)
	require.ErrorContains(t, err, fmt.Sprintf("paritarie.csv line %d: DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA: tipologia \"SCUOLA DI MAGIA\" of school %s", line, milano))
	ref, err = s.ReferenceData(ctx)
	require.NoError(t, err)
	require.Len(t, ref.Schools, len(sample.Schools)+len(want), "the data in place stays")
}

// csvFile reads a CSV file strictly: its columns by name, and its records.
func csvFile(t *testing.T, path string, comma rune) (map[string]int, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.Comment, r.FieldsPerRecord = comma, '#', -1 // the operator's tables have comments
	records, err := r.ReadAll()
	require.NoError(t, err)
	cols := map[string]int{}
	for i, h := range records[0] {
		cols[strings.Join(strings.Fields(h), " ")] = i // ISTAT splits some headers over lines
	}
	return cols, records[1:]
}
