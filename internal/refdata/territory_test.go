package refdata_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/refdata"
)

func codes(schools []refdata.School) []string {
	out := make([]string, len(schools))
	for i, s := range schools {
		out[i] = s.Code
	}
	return out
}

func TestTerritoryOfAPoloIsItsMunicipi(t *testing.T) {
	t.Parallel()
	d := loadSample(t)
	hub, err := d.HubByCode(refdata.HubPoloStart, "polo-1")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"MIIC90001A", "MIIC90002A", "MIIS90006A"}, codes(d.Territory(hub)),
		"the Milano schools of municipi 1, 2 and 3")
}

func TestTerritoryOfACTIIsItsAmbito(t *testing.T) {
	t.Parallel()
	d := loadSample(t)
	hub, err := d.HubByCode(refdata.HubCTI, "22")
	require.NoError(t, err)
	require.Equal(t, []string{"MIIC90011A"}, codes(d.Territory(hub)), "Sesto, Cinisello and Cologno: only Sesto has a school in the sample")

	milano, err := d.HubByCode(refdata.HubCTI, "21")
	require.NoError(t, err)
	for _, s := range d.Territory(milano) {
		require.Equal(t, enrolment.MilanoISTAT, s.Comune)
	}
}

func TestTheRoutedHubCanProposeASchoolOfTheLevel(t *testing.T) {
	t.Parallel()
	d := loadSample(t)
	hub, err := d.Route(enrolment.MilanoISTAT, 2, enrolment.LevelPrimaria)
	require.NoError(t, err)
	teaching := 0
	for _, s := range d.Territory(hub) {
		if s.Teaches(enrolment.LevelPrimaria) {
			teaching++
		}
	}
	require.Equal(t, 2, teaching)
}

func TestUnknownHub(t *testing.T) {
	t.Parallel()
	d := loadSample(t)
	_, err := d.HubByCode(refdata.HubCTI, "99")
	require.True(t, errors.Is(err, refdata.ErrUnknownHub))
	_, err = d.HubByCode(refdata.HubPoloStart, "21")
	require.True(t, errors.Is(err, refdata.ErrUnknownHub), "a CTI code is not a polo's")
}

func TestComunePECMustBeAnAddress(t *testing.T) {
	t.Parallel()
	err := parseWith(t, map[string]string{`pec: protocollo@pec.comune.rho.example.org`: `pec: protocollo at rho`})
	var errs refdata.Errors
	require.True(t, errors.As(err, &errs), "got %v", err)
	require.Len(t, errs, 1)
	require.Equal(t, "comuni[95].pec", errs[0].Field)
	require.Equal(t, lineOf(t, `name: Rho`), errs[0].Line)
	d := loadSample(t)
	require.Equal(t, "protocollo@pec.comune.milano.example.org", d.Comuni[slicesIndex(d, "015146")].PEC)
}

func slicesIndex(d *refdata.Dataset, istat string) int {
	for i, c := range d.Comuni {
		if c.ISTAT == istat {
			return i
		}
	}
	return -1
}
