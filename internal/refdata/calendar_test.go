package refdata_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/refdata"
)

var (
	patroniPath  = filepath.Join("..", "..", "deploy", "refdata", "sources", "patroni-015.csv")
	chiusurePath = filepath.Join("..", "..", "deploy", "refdata", "sources", "calendario-scolastico-lombardia.csv")
)

func TestPatronDaysAreEachComunesOwn(t *testing.T) {
	t.Parallel()
	d, notes, err := refdata.Load(samplePath, refdata.Sources{Patrons: patroniPath, Closures: chiusurePath}, nil)
	require.NoError(t, err)
	milano := comune(t, d, "015146")
	require.Equal(t, "12-07", milano.Patron, "Sant'Ambrogio is Milan's")
	require.Contains(t, milano.PatronSource, "https://", "each day carries the page it was verified in")
	require.Empty(t, comune(t, d, "015189").Patron, "Rozzano's was not verified: empty, not Milan's")
	require.Equal(t, "11-05", comune(t, d, "015118").Patron, "Legnano: San Magno")
	require.Contains(t, strings.Join(notes, "\n"), "patroni-015.csv: the patron day of 7 of 133 comuni")

	// The sample carries the same days and closures as the source files, so the dev stack
	// runs on what the sources say.
	sample := loadSample(t)
	for _, c := range d.Comuni {
		require.Equal(t, c.Patron, comune(t, sample, c.ISTAT).Patron, c.Name)
	}
	require.Len(t, d.SchoolClosures, len(sample.SchoolClosures))
	for i, cl := range d.SchoolClosures {
		s := sample.SchoolClosures[i]
		require.Equal(t, []string{cl.SchoolYear, cl.First, cl.Last, cl.Name, cl.Rite}, []string{s.SchoolYear, s.First, s.Last, s.Name, s.Rite})
	}
}

func TestSchoolClosuresOf2026(t *testing.T) {
	t.Parallel()
	d, _, err := refdata.Load(samplePath, refdata.Sources{Closures: chiusurePath}, nil)
	require.NoError(t, err)
	var ambrosian, roman []string
	for _, cl := range d.SchoolClosures {
		require.Equal(t, "2026/27", cl.SchoolYear)
		require.NotEmpty(t, cl.Source)
		if cl.AppliesTo("") {
			ambrosian = append(ambrosian, cl.First+".."+cl.Last)
		}
		if cl.AppliesTo(refdata.RiteRoman) {
			roman = append(roman, cl.First+".."+cl.Last)
		}
	}
	// A comune of no stated rite keeps the Ambrosian Carnival, after Ash Wednesday
	// (10 February 2027); a Roman-rite one, the two days before it.
	require.Equal(t, []string{"2026-12-23..2027-01-05", "2027-02-12..2027-02-13", "2027-03-25..2027-03-30"}, ambrosian)
	require.Equal(t, []string{"2026-12-23..2027-01-05", "2027-02-08..2027-02-09", "2027-03-25..2027-03-30"}, roman)
}

func TestCalendarSourcesReportEveryProblemWithItsLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	patroni := filepath.Join(dir, "patroni.csv")
	require.NoError(t, os.WriteFile(patroni, []byte(
		"istat;patron;source\n"+
			"015146;7 dicembre;https://example.org\n"+ // line 2: not MM-DD
			"015189;06-24;\n"+ // line 3: no source
			"015999;12-07;https://example.org\n"+ // line 4: no such comune
			"015146;12-07;https://example.org\n"), 0o644)) // line 5: twice
	chiusure := filepath.Join(dir, "chiusure.csv")
	require.NoError(t, os.WriteFile(chiusure, []byte(
		"school_year;first;last;name;rite;source\n"+
			"2026/27;2027-01-05;2026-12-23;Natale;;x\n"+ // line 2: backwards
			"2026/28;2026-12-23;2027-01-05;Natale;;x\n"+ // line 3: not a school year
			"2026/27;2027-09-01;2027-09-02;Settembre;;x\n"+ // line 4: outside the year
			"2026/27;2027-02-12;2027-02-13;Carnevale;bizantino;\n"+ // line 5: rite, source
			"2026/27;12/02/2027;2027-02-13;Carnevale;;x\n"), 0o644)) // line 6: date
	_, _, err := refdata.Load(samplePath, refdata.Sources{Patrons: patroni, Closures: chiusure}, nil)
	var errs refdata.Errors
	require.ErrorAs(t, err, &errs)
	got := errs.Error()
	for _, want := range []string{
		`patroni.csv line 2: comuni[`, `"7 dicembre" is not a day of the year in MM-DD form`,
		`patroni.csv line 3: comuni[`, `a patron day needs the source`,
		`patroni.csv line 4: istat: comune 015999 is not among the comuni`,
		`patroni.csv line 5: istat: comune 015146 is already on line 2`,
		`chiusure.csv line 2: school_closures[0].last: 2026-12-23 is before the first day`,
		`chiusure.csv line 3: school_closures[1].school_year: "2026/28"`,
		`chiusure.csv line 4: school_closures[2].first: 2027-09-01 to 2027-09-02 is not within school year 2026/27`,
		`chiusure.csv line 5: school_closures[3].source: is required`,
		`chiusure.csv line 5: school_closures[3].rite: "bizantino" is not a rite`,
		`chiusure.csv line 6: school_closures[4].first: "12/02/2027" is not a date`,
	} {
		require.Contains(t, got, want)
	}
}
