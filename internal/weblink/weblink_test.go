package weblink_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/weblink"
)

func TestLinksToThePortalPages(t *testing.T) {
	t.Parallel()
	const base = "https://approdo.example.it/"
	require.Equal(t, "https://approdo.example.it/casi/0b39c1d2", weblink.Case(base, "0b39c1d2"))
	require.Equal(t, "https://approdo.example.it/interventi/intervention-0b39-check-1", weblink.Intervention(base, "intervention-0b39-check-1"))
	require.Equal(t, "https://approdo.example.it/ricongiungimenti/7f00", weblink.Journey(base, "7f00"))
	require.Equal(t, "https://approdo.example.it/accesso", weblink.Login(base))
	require.Equal(t, "https://approdo.example.it/accesso/invito?token=apw_a-b_c", weblink.Invitation(base, "apw_a-b_c"))
	require.Equal(t, "https://approdo.example.it/accesso/reimposta?token=apw_x", weblink.Reset("https://approdo.example.it", "apw_x"))
	require.Equal(t, "http://127.0.0.1:8080/casi/a%2Fb", weblink.Case("http://127.0.0.1:8080", "a/b"), "an id cannot leave its path")
	require.Equal(t, "/accesso/reimposta?token=a%26b%3D", weblink.Reset("", "a&b="), "nor a token its parameter")
}
