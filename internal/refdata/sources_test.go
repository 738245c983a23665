package refdata_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/refdata"
)

var (
	samplePath   = filepath.Join("..", "..", "deploy", "refdata", "sample.yaml")
	istatPath    = filepath.Join("..", "..", "deploy", "refdata", "sources", "istat-comuni-015.csv")
	ambitiPath   = filepath.Join("..", "..", "deploy", "refdata", "sources", "ambiti-015.csv")
	municipiPath = filepath.Join("..", "..", "deploy", "refdata", "sources", "milano-cap-municipio.csv")
	statali      = filepath.Join("testdata", "scuole-statali-extract.csv")
	paritarie    = filepath.Join("testdata", "scuole-paritarie-extract.csv")
	indicePA     = filepath.Join("testdata", "indicepa-enti-extract.csv")
)

func comune(t *testing.T, d *refdata.Dataset, istat string) refdata.Comune {
	t.Helper()
	i := slices.IndexFunc(d.Comuni, func(c refdata.Comune) bool { return c.ISTAT == istat })
	require.GreaterOrEqual(t, i, 0, "comune %s", istat)
	return d.Comuni[i]
}

func school(t *testing.T, d *refdata.Dataset, code string) refdata.School {
	t.Helper()
	i := slices.IndexFunc(d.Schools, func(s refdata.School) bool { return s.Code == code })
	require.GreaterOrEqual(t, i, 0, "school %s", code)
	return d.Schools[i]
}

func TestISTATListGivesThe133Comuni(t *testing.T) {
	t.Parallel()
	d, notes, err := refdata.Load(samplePath, refdata.Sources{ISTAT: istatPath}, nil)
	require.NoError(t, err)
	require.Len(t, d.Comuni, 133)
	require.Contains(t, notes[0], "133 comuni of province 015")
	require.Equal(t, refdata.Comune{ISTAT: "015146", Name: "Milano", Ambito: "21", PEC: "protocollo@pec.comune.milano.example.org", Cadastral: "F205",
		Patron: "12-07", PatronSource: "sources/patroni-015.csv"},
		comune(t, d, "015146"), "the file's ambito and PEC stay, ISTAT gives the cadastral code")
	require.Equal(t, "M424", comune(t, d, "015251").Cadastral, "Vermezzo con Zelo, merged in 2019")
	require.Equal(t, "Cassano d'Adda", comune(t, d, "015059").Name)

	// The sample holds the same comuni as ISTAT's extract.
	sample := loadSample(t)
	require.Len(t, sample.Comuni, 133)
	for _, c := range d.Comuni {
		require.Equal(t, c, comune(t, sample, c.ISTAT))
	}
}

// istatVariant rewrites the real extract: without Rho (as if merged into another
// comune), with a new comune whose name has an accent, in the encoding given.
func istatVariant(t *testing.T, utf8 bool) string {
	t.Helper()
	raw, err := os.ReadFile(istatPath)
	require.NoError(t, err)
	text, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	require.NoError(t, err)
	var lines []string
	for _, line := range strings.SplitAfter(string(text), "\r\n") {
		if !strings.Contains(line, ";015182;") {
			lines = append(lines, line)
		}
	}
	lines = append(lines, "03;215;015; 252 ;015252;Città Nuova;Città Nuova;;1;Nord-ovest;Lombardia;Milano;3;0;MI;15252;;;;Z999;ITC;ITC4;ITC4C;ITC;ITC4;ITC4C\r\n")
	out := []byte(strings.Join(lines, ""))
	name := "istat-latin1.csv"
	if utf8 {
		out, name = append([]byte("\ufeff"), out...), "istat-utf8.csv"
	} else {
		out, err = charmap.Windows1252.NewEncoder().Bytes(out)
		require.NoError(t, err)
	}
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, out, 0o644))
	return path
}

func TestISTATListInEitherEncodingWithAMerger(t *testing.T) {
	t.Parallel()
	for _, utf8 := range []bool{false, true} {
		path := istatVariant(t, utf8)
		_, notes, err := refdata.Load(samplePath, refdata.Sources{ISTAT: path}, nil)
		var errs refdata.Errors
		require.True(t, errors.As(err, &errs), "got %v", err)
		// The new comune has no ambito yet: the error points at its line in ISTAT's file.
		require.Len(t, errs, 1, errs.Error())
		require.Equal(t, filepath.Base(path), errs[0].File)
		require.Equal(t, 136, errs[0].Line, "header on lines 1–3, 132 comuni, then the new one")
		require.Contains(t, errs[0].Field, ".ambito")
		require.Contains(t, notes[0], "new: 015252 Città Nuova", "decoded right")
		require.Contains(t, notes[0], "removed: 015182 Rho")

		// With the new comune in the ambiti table, it loads.
		table := filepath.Join(t.TempDir(), "ambiti.csv")
		require.NoError(t, os.WriteFile(table, []byte("# test\nistat,ambito\n015252,25\n"), 0o644))
		d, _, err := refdata.Load(samplePath, refdata.Sources{ISTAT: path, Ambiti: table}, nil)
		require.NoError(t, err)
		require.Equal(t, "Città Nuova", comune(t, d, "015252").Name)
		require.Len(t, d.Comuni, 133)
	}
}

func TestISTATListMissingManyComuniIsRefused(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(istatPath)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(raw), "\r\n")
	partial := filepath.Join(t.TempDir(), "partial.csv")
	require.NoError(t, os.WriteFile(partial, []byte(strings.Join(lines[:100], "")), 0o644)) // the header and 99 comuni
	_, _, err = refdata.Load(samplePath, refdata.Sources{ISTAT: partial}, nil)
	require.ErrorContains(t, err, "partial.csv line 1: (file): 34 comuni of the reference data are not in this list")
}

// A quote left open swallows the rest of the file into one field (quotes are read
// leniently, for the stray ones in schools' names): the problem still shows at its line.
func TestAnUnclosedQuoteIsReportedAtItsLine(t *testing.T) {
	t.Parallel()
	table := filepath.Join(t.TempDir(), "ambiti.csv")
	require.NoError(t, os.WriteFile(table, []byte("istat;ambito\n015002;24\n015005;\"24\n015007;23\n"), 0o644))
	_, _, err := refdata.Load(samplePath, refdata.Sources{Ambiti: table}, nil)
	require.ErrorContains(t, err, "ambiti.csv line 3: comuni[1].ambito: ambito 24\n015007;23 is not among the ambiti")
}

func TestAmbitiTable(t *testing.T) {
	t.Parallel()
	d, _, err := refdata.Load(samplePath, refdata.Sources{Ambiti: ambitiPath}, nil)
	require.NoError(t, err)
	require.Equal(t, "25", comune(t, d, "015059").Ambito)

	table := filepath.Join(t.TempDir(), "ambiti.csv")
	require.NoError(t, os.WriteFile(table, []byte("istat;comune;ambito\n015002;Abbiategrasso;29\n015999;Nowhere;21\n015002;Again;24\n"), 0o644))
	_, _, err = refdata.Load(samplePath, refdata.Sources{Ambiti: table}, nil)
	var errs refdata.Errors
	require.True(t, errors.As(err, &errs), "got %v", err)
	require.ElementsMatch(t, []string{
		"ambiti.csv line 3: istat: comune 015999 is not among the comuni",
		"ambiti.csv line 4: istat: comune 015002 is already on line 2",
		"ambiti.csv line 2: comuni[0].ambito: ambito 29 is not among the ambiti",
	}, strings.Split(errs.Error(), "\n")[1:])
}

func TestIndicePAGivesTheComuniTheirPEC(t *testing.T) {
	t.Parallel()
	d, notes, err := refdata.Load(samplePath, refdata.Sources{IndicePA: indicePA}, nil)
	require.NoError(t, err)
	require.Equal(t, "comune.abbiategrasso@legalpec.it", comune(t, d, "015002").PEC)
	require.Equal(t, "sportello.cittadino@assago.legalmail.it", comune(t, d, "015011").PEC)
	require.Equal(t, "protocollo@pec.comune.rho.example.org", comune(t, d, "015182").PEC,
		"a service company in Rho is not the comune")
	require.Equal(t, "protocollo@postacert.comune.milano.it", comune(t, d, "015146").PEC)
	require.Equal(t, "comune.legnano@cert.legalmail.it", comune(t, d, "015118").PEC)
	require.Equal(t, "protocollo@cert.comune.sandonatomilanese.mi.it", comune(t, d, "015192").PEC)
	require.Empty(t, comune(t, d, "015005").PEC, "Albairate is not in the extract")
	require.Contains(t, notes[0], "the PEC of 7 of 133 comuni")

	// Two rows for one comune are refused with both lines.
	data, err := os.ReadFile(indicePA)
	require.NoError(t, err)
	lines := strings.Split(string(data), "\n")
	twice := filepath.Join(t.TempDir(), "enti.csv")
	require.NoError(t, os.WriteFile(twice, []byte(string(data)+lines[3]+"\n"), 0o644))
	_, _, err = refdata.Load(samplePath, refdata.Sources{IndicePA: twice}, nil)
	require.ErrorContains(t, err, "enti.csv line 14: Codice_comune_ISTAT: comune 015002 is already on line 4")
}

func TestSchoolRegistryLoadsItsSchools(t *testing.T) {
	t.Parallel()
	src := refdata.Sources{ISTAT: istatPath, Ambiti: ambitiPath, Schools: []string{statali, paritarie}, Municipi: municipiPath}
	d, notes, err := refdata.Load(samplePath, src, nil)
	require.NoError(t, err)
	require.Contains(t, strings.Join(notes, "\n"), "scuole-statali-extract.csv: 27 rows, 24 of them in the territory")
	require.Contains(t, strings.Join(notes, "\n"), "schools: 14 istituti from the registry (14 new, 0 replacing the file's)")
	require.Len(t, d.Schools, 12+14)

	require.Equal(t, refdata.School{
		Code: "MIIC9Z100A", Name: "I.C. ESEMPIO VIA PADOVA", Comune: "015146", Municipio: 2,
		Levels: []string{"infanzia", "primaria", "secondaria_primo_grado"},
		Email:  "miic9z100a@istruzione.example.org", PEC: "miic9z100a@pec.istruzione.example.org",
	}, school(t, d, "MIIC9Z100A"), "an istituto's levels are its plessi's, its municipio its CAP's")
	require.Equal(t, refdata.School{
		Code: "MIEE9Z600B", Name: "CIRCOLO DIDATTICO ESEMPIO LEGNANO", Comune: "015118",
		Levels: []string{"infanzia", "primaria"},
		Email:  "miee9z602d@istruzione.example.org", PEC: "miee9z602d@pec.istruzione.example.org",
	}, school(t, d, "MIEE9Z600B"), "without a row of its own, the istituto's seat is the plesso flagged SI")
	require.Equal(t, []string{"secondaria_secondo_grado"}, school(t, d, "MIIS9Z200K").Levels)
	require.Equal(t, 3, school(t, d, "MIIS9Z200K").Municipio)
	require.Equal(t, []string{"cpia"}, school(t, d, "MIMM9Z400R").Levels)
	paritaria := school(t, d, "MI1E9Z002B")
	require.Equal(t, `SCUOLA PRIMARIA PARITARIA "ESEMPIO"`, paritaria.Name)
	require.Empty(t, paritaria.PEC, "Non Disponibile")
	require.Equal(t, 6, paritaria.Municipio)
	for _, code := range []string{"MIIC9Z950P", "MI1A9Z005E", "BGIC9Z960R"} {
		require.False(t, slices.ContainsFunc(d.Schools, func(s refdata.School) bool { return s.Code == code }),
			"%s is outside the Città Metropolitana", code)
	}

	// Done means 1: a request from Abbiategrasso, Legnano or San Donato Milanese goes to
	// the CTI of its ambito, which can propose the schools of its comuni.
	for istat, ambito := range map[string]string{"015002": "24", "015118": "23", "015192": "26"} {
		for _, level := range []enrolment.Level{enrolment.LevelPrimaria, enrolment.LevelSecondariaSecondoGrado} {
			hub, err := d.Route(istat, 0, level)
			require.NoError(t, err)
			require.Equal(t, refdata.Hub{Kind: refdata.HubCTI, Code: ambito, Name: d.Ambiti[slices.IndexFunc(d.Ambiti, func(a refdata.Ambito) bool { return a.Code == ambito })].CTIName,
				HostSchool: hub.HostSchool}, hub, istat)
		}
	}
	cti24, err := d.HubByCode(refdata.HubCTI, "24")
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(d.Territory(cti24), func(s refdata.School) bool { return s.Code == "MIIC9Z500T" }),
		"the registry's school in Abbiategrasso is in the territory of its CTI")
	polo1, err := d.HubByCode(refdata.HubPoloStart, "polo-1")
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(d.Territory(polo1), func(s refdata.School) bool { return s.Code == "MIIC9Z100A" }),
		"the registry's school in Municipio 2 is in Polo START 1's")
}

func TestSchoolRegistryErrorsNameTheirLineAndNothingLoads(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(statali)
	require.NoError(t, err)
	header, _, _ := strings.Cut(string(data), "\r\n")
	rows := []string{
		header,
		"202425,NORD OVEST,LOMBARDIA,MILANO,MIIC9Z120A,I.C. BANDE NERE,MIIC9Z120A,I.C. BANDE NERE,VIA ESEMPIO 1,20147,F205,MILANO,NORMALE,SCUOLA PRIMARIA,SI,NO,a@example.org,b@example.org,,NO",
		"202425,NORD OVEST,LOMBARDIA,MILANO,MIIC9Z130A,I.C. NOWHERE,MIIC9Z130A,I.C. NOWHERE,VIA ESEMPIO 2,20999,F205,MILANO,NORMALE,SCUOLA PRIMARIA,SI,NO,a@example.org,b@example.org,,NO",
		"202425,NORD OVEST,LOMBARDIA,MILANO,MIIC9Z140A,ACCADEMIA,MIIC9Z140A,ACCADEMIA,VIA ESEMPIO 3,20081,A010,ABBIATEGRASSO,NORMALE,ACCADEMIA DI DANZA,SI,NO,a@example.org,b@example.org,,NO",
		"202425,NORD OVEST,LOMBARDIA,MILANO,MIIC9Z150A,SHORT",
	}
	path := filepath.Join(t.TempDir(), "scuole.csv")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o644))
	src := refdata.Sources{ISTAT: istatPath, Schools: []string{path}, Municipi: municipiPath}
	d, _, err := refdata.Load(samplePath, src, nil)
	require.Nil(t, d, "nothing loads from a file with errors")
	var errs refdata.Errors
	require.True(t, errors.As(err, &errs), "got %v", err)
	require.ElementsMatch(t, []string{
		`scuole.csv line 4: DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA: tipologia "ACCADEMIA DI DANZA" of school MIIC9Z140A has no Approdo level: map it in refdata.levelOf`,
		`scuole.csv line 5: (line): has 6 fields, the header has 20`,
	}, strings.Split(errs.Error(), "\n")[1:], "a CAP that does not settle the municipio is not an error")

	// Without those two rows, the schools whose CAP spans municipi or is not in the table
	// load without a municipio, and the import says so: no Polo START proposes them.
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(rows[:3], "\n")+"\n"), 0o644))
	d, notes, err := refdata.Load(samplePath, src, nil)
	require.NoError(t, err)
	require.Zero(t, school(t, d, "MIIC9Z120A").Municipio)
	require.Zero(t, school(t, d, "MIIC9Z130A").Municipio)
	all := strings.Join(notes, "\n")
	require.Contains(t, all, "milano-cap-municipio.csv: the municipio of 0 of the registry's 2 schools in Milano; the others have none: "+
		"1 with CAP 20147, which spans municipi (table line 35), 1 with CAP 20999, not in the table")
	require.Contains(t, all, "municipi: 2 schools in Milano have no municipio; 2 teach primaria or secondaria di I grado, "+
		"and no Polo START can propose them until the municipi table has a row for their code: MIIC9Z120A, MIIC9Z130A")

	// A row for the school's code settles an ambiguous CAP.
	table, err := os.ReadFile(municipiPath)
	require.NoError(t, err)
	own := filepath.Join(t.TempDir(), "municipi.csv")
	require.NoError(t, os.WriteFile(own, append(table, []byte("MIIC9Z120A;7;Bande Nere, checked\n")...), 0o644))
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(rows[:2], "\n")+"\n"), 0o644))
	d, _, err = refdata.Load(samplePath, refdata.Sources{ISTAT: istatPath, Schools: []string{path}, Municipi: own}, nil)
	require.NoError(t, err)
	require.Equal(t, 7, school(t, d, "MIIC9Z120A").Municipio)

	// The registry needs the comuni's cadastral codes, and Milano's schools the table.
	_, _, err = refdata.Load(samplePath, refdata.Sources{ISTAT: istatPath, Schools: []string{path}}, nil)
	require.ErrorContains(t, err, "school MIIC9Z120A is in Milano, and its municipio comes from Milano's municipi table")
}

func TestLevelOfTheRegistrysTipologie(t *testing.T) {
	t.Parallel()
	for tipologia, want := range map[string]enrolment.Level{
		"SCUOLA INFANZIA":                     enrolment.LevelInfanzia,
		"SCUOLA PRIMARIA NON STATALE":         enrolment.LevelPrimaria,
		"SCUOLA PRIMO GRADO":                  enrolment.LevelSecondariaPrimoGrado,
		"SCUOLA SEC. PRIMO GRADO NON STATALE": enrolment.LevelSecondariaPrimoGrado,
		"ISTITUTO TECNICO COMMERCIALE":        enrolment.LevelSecondariaSecondoGrado,
		"SCUOLA SECONDARIA DI II GRADO":       enrolment.LevelSecondariaSecondoGrado,
		"SCUOLA SECONDARIA DI I GRADO":        enrolment.LevelSecondariaPrimoGrado,
		"CENTRO TERRITORIALE":                 enrolment.LevelCPIA,
		// Real values: the paritarie of Milano (2023/24), and the state schools of
		// Aosta, Trento and Bolzano (SCUANAAUTSTAT, 2023/24), in the layout of
		// SCUANAGRAFESTAT.
		"SCUOLA INFANZIA NON STATALE":                       enrolment.LevelInfanzia,
		"SCUOLA SEC. SECONDO GRADO NON STATALE":             enrolment.LevelSecondariaSecondoGrado,
		"SCUOLA PRIMARIA":                                   enrolment.LevelPrimaria,
		"LICEO SCIENTIFICO":                                 enrolment.LevelSecondariaSecondoGrado,
		"LICEO CLASSICO":                                    enrolment.LevelSecondariaSecondoGrado,
		"LICEO LINGUISTICO":                                 enrolment.LevelSecondariaSecondoGrado,
		"ISTITUTO MAGISTRALE":                               enrolment.LevelSecondariaSecondoGrado,
		"ISTITUTO TECNICO PER GEOMETRI":                     enrolment.LevelSecondariaSecondoGrado,
		"IST TEC COMMERCIALE E PER GEOMETRI":                enrolment.LevelSecondariaSecondoGrado,
		"IST TECNICO COMMERCIALE":                           enrolment.LevelSecondariaSecondoGrado,
		"ISTITUTO TECNICO INDUSTRIALE":                      enrolment.LevelSecondariaSecondoGrado,
		"ISTITUTO TECNICO AGRARIO":                          enrolment.LevelSecondariaSecondoGrado,
		"ISTITUTO TECNICO PER ATTIVITA' SOCIALI (GIA' ITF)": enrolment.LevelSecondariaSecondoGrado,
		"ISTITUTO D'ARTE":                                   enrolment.LevelSecondariaSecondoGrado,
		"IST PROF PER I SERVIZI COMMERCIALI E TURISTICI":    enrolment.LevelSecondariaSecondoGrado,
		"IST PROF PER I SERVIZI COMMERCIALI E TUR":          enrolment.LevelSecondariaSecondoGrado,
		"IST PROF PER I SERVIZI SOCIALI":                    enrolment.LevelSecondariaSecondoGrado,
		"IST PROF ALBERGHIERO":                              enrolment.LevelSecondariaSecondoGrado,
		"IST PROF INDUSTRIA E ARTIGIANATO":                  enrolment.LevelSecondariaSecondoGrado,
		"IST PROF PER L'AGRICOLTURA E L'AMBIENTE":           enrolment.LevelSecondariaSecondoGrado,
		"IST PROF REGIONALI":                                enrolment.LevelSecondariaSecondoGrado,
		"CRIA Centro Regionale Istruzione Adulti":           enrolment.LevelCPIA,
	} {
		d, _, err := refdata.Load(samplePath, refdata.Sources{ISTAT: istatPath, Schools: []string{oneSchool(t, tipologia)}, Municipi: municipiPath}, nil)
		require.NoError(t, err, tipologia)
		require.Equal(t, []string{string(want)}, school(t, d, "MIIC9Z160A").Levels, tipologia)
	}
}

func oneSchool(t *testing.T, tipologia string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "one.csv")
	require.NoError(t, os.WriteFile(path, []byte(
		"CODICESCUOLA,DENOMINAZIONESCUOLA,CAPSCUOLA,CODICECOMUNESCUOLA,DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA,INDIRIZZOEMAILSCUOLA,INDIRIZZOPECSCUOLA\n"+
			"MIIC9Z160A,ONE,20121,F205,"+tipologia+",one@example.org,\n"), 0o644))
	return path
}

func TestBigFilesShowTheirProgress(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(statali)
	require.NoError(t, err)
	header, rest, _ := strings.Cut(string(data), "\r\n")
	var b strings.Builder
	b.WriteString(header + "\r\n")
	for b.Len() < 2<<20 {
		b.WriteString(rest)
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	var out bytes.Buffer
	_, _, err = refdata.Load(samplePath, refdata.Sources{ISTAT: istatPath, Schools: []string{path}, Municipi: municipiPath}, &out)
	require.NoError(t, err)
	require.Contains(t, out.String(), "  reading big.csv ")
	require.Contains(t, out.String(), "KB (100%)")
	require.NotContains(t, out.String(), "istat-comuni-015.csv", "a small file reads without a progress line")
}
