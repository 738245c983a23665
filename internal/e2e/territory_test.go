package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRequestsFromTheWholeTerritoryReachTheCTIOfTheirAmbito is Done means 1 of issue 16:
// a request from Abbiategrasso, Legnano or San Donato Milanese, filed through the API,
// is routed to the CTI of its ambito; so is one from comuni the former sample lacked
// (Cassano d'Adda, Vermezzo con Zelo), now that the reference data has all 133. The
// ambiti are those of deploy/refdata/sources/ambiti-015.csv (unverified).
func TestRequestsFromTheWholeTerritoryReachTheCTIOfTheirAmbito(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	for _, tc := range []struct{ comune, name, hub string }{
		{"015002", "Abbiategrasso", "cti:24"},
		{"015118", "Legnano", "cti:23"},
		{"015192", "San Donato Milanese", "cti:26"},
		{"015059", "Cassano d'Adda", "cti:25"},
		{"015251", "Vermezzo con Zelo", "cti:24"},
	} {
		c := b.fileCase(t, monitoringCase(tc.comune, 0, "primaria", "2017-07-07"))
		require.Equal(t, tc.hub, value(c.Hub), tc.name)
		require.Equal(t, "awaiting_proposal", c.Stage, tc.name)
	}
}
