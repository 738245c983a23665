package refdata

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// autStatali is a real excerpt of the Ministry's registry in the state schools' layout
// (the header and the first 30 rows of SCUANAAUTSTAT20232420230901.csv, Aosta, Trento
// and Bolzano; see testdata/README.md). The Città Metropolitana has none of its comuni,
// so the importer's tests of the layout take the excerpt's own comuni as the territory.
var autStatali = filepath.Join("testdata", "scuole-statali-aosta-trento-bolzano-202324-extract.csv")

// strictRows reads path with a strict CSV reader (no lenient quotes), as a check on the
// lenient one the importer uses: the header's columns by name, and the records.
func strictRows(t *testing.T, path string) (map[string]int, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err, "the Ministry's quoting is standard CSV")
	cols := map[string]int{}
	for i, h := range records[0] {
		cols[h] = i
	}
	return cols, records[1:]
}

func TestRealStateLayoutGroupsPlessiIntoTheirIstituto(t *testing.T) {
	t.Parallel()
	cols, records := strictRows(t, autStatali)
	cadastral := map[string]string{}
	for _, r := range records {
		cadastral[r[cols["CODICECOMUNESCUOLA"]]] = "0" + r[cols["CODICECOMUNESCUOLA"]] // any ISTAT-like code
	}
	var errs Errors
	istituti := map[string]*registrySchool{}
	n, err := readRegistry(autStatali, cadastral, istituti, nil, &errs)
	require.NoError(t, err)
	require.Empty(t, errs, errs.Error())
	require.Equal(t, registryCounts{rows: len(records), kept: len(records)}, n)

	// Every row is in its istituto (CODICEISTITUTORIFERIMENTO), named as the registry
	// names the istituto: doubled quotes read as one ("TAIO" is quoted in the file).
	inst := map[string]bool{}
	for _, r := range records {
		code := r[cols["CODICEISTITUTORIFERIMENTO"]]
		inst[code] = true
		require.Contains(t, istituti, code)
		require.Equal(t, r[cols["DENOMINAZIONEISTITUTORIFERIMENTO"]], istituti[code].Name, code)
	}
	require.Len(t, istituti, len(inst))
	require.Equal(t, `"TAIO"`, istituti["TNIC82600V"].Name)

	// Mont Emilius 2's own row has no tipologia ("Non Disponibile") and no seat flag
	// ("ND"): it is the istituto's row, whose levels are its plessi's (an infanzia
	// further down), and its addresses are the seat's.
	me := istituti["AOIP011000"]
	require.Equal(t, []string{"infanzia"}, me.Levels)
	require.Equal(t, 13, me.origin.line, "the istituto's own row")
	require.Equal(t, "is-memilius2@regione.vda.it", me.Email)
	require.Equal(t, "is-memilius2@pec.regione.vda.it", me.PEC)

	// J.B. Cerlogne has two infanzia plessi and no row of its own; its PEC is "Non
	// Disponibile".
	jb := istituti["AOIP008000"]
	require.Equal(t, []string{"infanzia"}, jb.Levels)
	require.Equal(t, "is-jbcerlogne@regione.vda.it", jb.Email)
	require.Empty(t, jb.PEC)

	require.Equal(t, []string{"secondaria_secondo_grado"}, istituti["AOTD010005"].Levels, "ISTITUTO TECNICO PER GEOMETRI")
	require.Equal(t, []string{"secondaria_primo_grado"}, istituti["TNIC82300B"].Levels, "SCUOLA PRIMO GRADO")

	// Outside its comuni, every row is counted as outside the territory, not an error.
	errs = nil
	n, err = readRegistry(autStatali, map[string]string{"F205": "015146"}, map[string]*registrySchool{}, nil, &errs)
	require.NoError(t, err)
	require.Empty(t, errs)
	require.Equal(t, registryCounts{rows: len(records), outside: len(records)}, n)
}

// A plesso with no tipologia cannot be placed in: that is an error at its line, unlike
// the istituto's own row.
func TestAPlessoWithoutTipologiaIsAnErrorAtItsLine(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(autStatali)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\r\n")
	require.Contains(t, lines[25], ",AO1A011050,")
	lines[25] = strings.Replace(lines[25], ",SCUOLA INFANZIA,", ",Non Disponibile,", 1)
	path := filepath.Join(t.TempDir(), "aut.csv")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644))

	var errs Errors
	_, err = readRegistry(path, map[string]string{"H669": "099999"}, map[string]*registrySchool{}, nil, &errs)
	require.NoError(t, err)
	require.Len(t, errs, 1)
	require.Equal(t, `aut.csv line 26: DESCRIZIONETIPOLOGIAGRADOISTRUZIONESCUOLA: school AO1A011050 has no tipologia ("Non Disponibile"), so no level: give it one in a corrected copy of the file`,
		errs[0].String())
}

// A row the registry places in the province of Milano whose comune is not among the
// comuni (a cadastral code ISTAT's list lacks) is skipped like any row outside the
// territory, and named with its line: a merger ISTAT's list has not caught up with.
func TestARowOfTheProvinceWithAnUnknownComuneIsNamed(t *testing.T) {
	t.Parallel()
	extract := filepath.Join("..", "..", "deploy", "refdata", "sources", "scuole-paritarie-milano-202324.csv")
	cols, records := strictRows(t, extract)
	cadastral := map[string]string{}
	for _, r := range records {
		cadastral[r[cols["CODICECOMUNESCUOLA"]]] = "015000"
	}
	data, err := os.ReadFile(extract)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\r\n")
	code, comune := records[9][cols["CODICESCUOLA"]], records[9][cols["CODICECOMUNESCUOLA"]]
	require.Contains(t, lines[10], ","+comune+",")
	lines[10] = strings.Replace(lines[10], ","+comune+",", ",Z999,", 1)
	path := filepath.Join(t.TempDir(), "paritarie.csv")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644))

	var errs Errors
	n, err := readRegistry(path, cadastral, map[string]*registrySchool{}, nil, &errs)
	require.NoError(t, err)
	require.Empty(t, errs)
	require.Equal(t, len(records)-1, n.kept)
	require.Equal(t, 1, n.outside)
	require.Len(t, n.strays, 1)
	require.Equal(t, code+" (line 11, comune Z999 "+records[9][cols["DESCRIZIONECOMUNE"]]+")", n.strays[0])
}
