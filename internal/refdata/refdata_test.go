package refdata_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/refdata"
)

func loadSample(t *testing.T) *refdata.Dataset {
	t.Helper()
	d, err := refdata.ParseFile(filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)
	return d
}

func TestSampleIsValidAndMarkedAsSample(t *testing.T) {
	t.Parallel()
	d := loadSample(t)
	require.True(t, d.Sample)
	require.Len(t, d.Ambiti, 6)
	require.Len(t, d.PoliStart, 4)
}

func TestRoute(t *testing.T) {
	t.Parallel()
	d := loadSample(t)
	cases := []struct {
		name      string
		comune    string
		municipio int
		level     enrolment.Level
		kind      refdata.HubKind
		code      string
	}{
		{"Milano primaria, municipio 2", "015146", 2, enrolment.LevelPrimaria, refdata.HubPoloStart, "polo-1"},
		{"Milano secondaria I grado, municipio 9", "015146", 9, enrolment.LevelSecondariaPrimoGrado, refdata.HubPoloStart, "polo-4"},
		{"Milano secondaria II grado goes to the CTI", "015146", 2, enrolment.LevelSecondariaSecondoGrado, refdata.HubCTI, "21"},
		{"Milano infanzia goes to the CTI", "015146", 2, enrolment.LevelInfanzia, refdata.HubCTI, "21"},
		{"Milano CPIA goes to the CTI", "015146", 4, enrolment.LevelCPIA, refdata.HubCTI, "21"},
		{"another comune, first cycle", "015209", 0, enrolment.LevelPrimaria, refdata.HubCTI, "22"},
		{"another comune, second cycle", "015192", 0, enrolment.LevelSecondariaSecondoGrado, refdata.HubCTI, "26"},
	}
	for _, tc := range cases {
		hub, err := d.Route(tc.comune, tc.municipio, tc.level)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.kind, hub.Kind, tc.name)
		require.Equal(t, tc.code, hub.Code, tc.name)
		require.NotEmpty(t, hub.HostSchool, tc.name)
	}

	_, err := d.Route("015999", 0, enrolment.LevelPrimaria)
	require.True(t, errors.Is(err, refdata.ErrUnknownComune), "got %v", err)
	_, err = d.Route("015146", 0, enrolment.LevelPrimaria)
	require.True(t, errors.Is(err, refdata.ErrNoMunicipio), "got %v", err)
}

// broken returns the sample with some lines replaced, so that errors point at known lines.
func parseWith(t *testing.T, replace map[string]string) error {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)
	s := string(data)
	for old, repl := range replace {
		require.Contains(t, s, old)
		s = strings.Replace(s, old, repl, 1)
	}
	_, err = refdata.Parse(strings.NewReader(s))
	return err
}

func lineOf(t *testing.T, needle string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, needle) {
			return i + 1
		}
	}
	t.Fatalf("%q not in the sample", needle)
	return 0
}

func TestEveryErrorIsReportedWithItsLine(t *testing.T) {
	t.Parallel()
	err := parseWith(t, map[string]string{
		`istat: "015182", name: Rho, ambito: "23"`:       `istat: "15182", name: Rho, ambito: "29"`,
		`host_school: MIIC90005A, municipi: [9]}`:        `host_school: MIIC90005A, municipi: [3]}`,
		`levels: [cpia], comune: "015146", municipio: 4`: `levels: [cpia, università], comune: "015146", municipio: 12`,
		`email: miic90041a@example.org`:                  `email: not-an-address`,
	})
	var errs refdata.Errors
	require.True(t, errors.As(err, &errs), "got %v", err)
	got := map[string]int{}
	for _, e := range errs {
		got[e.Field] = e.Line
	}
	rho := lineOf(t, `name: Rho`)
	polo4 := lineOf(t, `code: polo-4`)
	cpia := lineOf(t, `code: MICT90061A`)
	pioltello := lineOf(t, `code: MIIC90041A`)
	require.Equal(t, map[string]int{
		"comuni[95].istat":          rho,
		"comuni[95].ambito":         rho,
		"poli_start[3].municipi[0]": polo4,
		"poli_start":                lineOf(t, "poli_start:"),
		"schools[11].levels[1]":     cpia,
		"schools[11].municipio":     cpia,
		"schools[9].email":          pioltello,
	}, got, errs.Error())
	require.Contains(t, errs.Error(), "no polo covers municipio 9")
	require.Contains(t, errs.Error(), "municipio 3 is already covered by polo polo-1")
}

func TestMisspeltKeyIsAnError(t *testing.T) {
	t.Parallel()
	err := parseWith(t, map[string]string{`{istat: "015130", name: Magenta`: `{istat: "015130", nome: Magenta`})
	var errs refdata.Errors
	require.True(t, errors.As(err, &errs), "got %v", err)
	require.Equal(t, lineOf(t, "name: Magenta"), errs[0].Line)
	require.Contains(t, errs[0].Reason, "nome")
}

func TestNotYAML(t *testing.T) {
	t.Parallel()
	_, err := refdata.Parse(strings.NewReader("ambiti: [unclosed"))
	require.ErrorContains(t, err, "not valid YAML")
}

// The registry has no email nor PEC for many paritarie: such a school loads (and cannot
// be onboarded by PEC), but a hub's host school needs its email, the hub's login.
func TestOnlyAHubsHostSchoolNeedsItsEmail(t *testing.T) {
	t.Parallel()
	require.NoError(t, parseWith(t, map[string]string{
		`email: mict90061a@example.org, pec: mict90061a@pec.example.org`: `email: "", pec: ""`,
	}))
	err := parseWith(t, map[string]string{`email: miic90041a@example.org`: `email: ""`})
	var errs refdata.Errors
	require.True(t, errors.As(err, &errs), "got %v", err)
	require.Len(t, errs, 1)
	require.Equal(t, refdata.LineError{Line: lineOf(t, `code: MIIC90041A`), Field: "schools[9].email", Reason: "is required"}, errs[0])
}
