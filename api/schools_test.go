package api

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/refdata"
)

func TestSchoolsHubIsTheNamedOneOrTheCallersOwn(t *testing.T) {
	t.Parallel()
	cti := casework.Org{Kind: casework.OrgCTI, Code: "22"}
	hub, err := schoolsHub(cti, "")
	require.NoError(t, err)
	require.Equal(t, cti, hub, "a hub that names none asks for its own")
	hub, err = schoolsHub(casework.UST, "polo_start:polo-1")
	require.NoError(t, err)
	require.Equal(t, casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}, hub)
	for _, bad := range []struct {
		actor casework.Org
		hub   string
	}{{casework.UST, ""}, {casework.UST, "school:MIIC90001A"}, {cti, "cti"}, {casework.UST, "ust"}} {
		_, err := schoolsHub(bad.actor, bad.hub)
		var invalid *app.InvalidError
		require.True(t, errors.As(err, &invalid), "%v %q", bad.actor, bad.hub)
		p, known := problemOf(err)
		require.True(t, known)
		require.Equal(t, 400, p.Status)
	}
}

func TestSchoolItems(t *testing.T) {
	t.Parallel()
	items := schoolItems([]refdata.School{
		{Code: "MIIC90001A", Name: "IC Padova", Comune: "015146", Municipio: 2, Levels: []string{"primaria"}},
		{Code: "MIIS00100X", Name: "IIS Rozzano", Comune: "015189", Levels: []string{"secondaria_secondo_grado"}},
	})
	require.Len(t, items, 2)
	require.Equal(t, 2, *items[0].Municipio)
	require.Nil(t, items[1].Municipio, "a school outside Milano has no municipio")
	require.Equal(t, []string{"secondaria_secondo_grado"}, items[1].Levels)
}
