package e2e_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// A filing that reaches no workflow at all (Temporal down) is the one answered 503: the
// request was not received, and the comune must send it again.
func TestFilingNothingReceivedIs503(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{noWorker: true})
	// A frontend address where nothing listens: every call fails as "unavailable".
	closed, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Namespace: namespace, Logger: sdkLogger})
	require.NoError(t, err)
	t.Cleanup(closed.Close)
	down := httptest.NewServer(api.NewHandler(api.Dependencies{
		Temporal: closed, Store: store.New(b.appPool), TaskQueue: b.taskQueue,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RegisterTimeout: 2 * time.Second,
	}))
	t.Cleanup(down.Close)
	b.api = down
	res := b.post(t, validBody())
	require.Equal(t, http.StatusServiceUnavailable, res.status, string(res.body))
	require.Empty(t, res.location)
	decodeProblem(t, res)
	require.Zero(t, b.countCases(t))
}

// On the portal, a request received but not yet recorded is told as such, with the
// case's link, which opens the case once a worker has recorded it.
func TestPortalFilingReceivedInRegistration(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{noWorker: true, registerTimeout: time.Second})
	br := browsertest.New(t)
	const email = "anagrafe@comune.milano.example.org"
	b.portalAccount(t, casework.Org{Kind: casework.OrgComune, Code: "015146"}, "Comune di Milano", email)
	comune := newPortalUser(t, br, b, "the Comune di Milano")
	require.EqualValues(t, 200, comune.open("/accesso"))
	require.EqualValues(t, 200, comune.login(email, userPassword))

	require.EqualValues(t, 200, comune.open("/casi/nuovo"))
	comune.choose("f-level", "primaria")
	comune.choose("f-origin", "ukrainian_refugee")
	comune.fill("f-minor-givenName", "Olena")
	comune.fill("f-minor-familyName", "Kovalenko")
	comune.setDate("f-minor-birthDate", "2017-04-12")
	comune.choose("f-minor-sex", "F")
	comune.fill("f-minor-citizenship", "UA")
	comune.fill("f-languages", "uk")
	comune.fill("f-guardian-name", "Iryna Kovalenko")
	comune.fill("f-guardian-phone", "+39 333 1234567")
	comune.fill("f-residence-address", "Via Padova 100")
	comune.choose("f-residence-municipio", "2")
	require.EqualValues(t, 202, comune.click(`#form-nuova-richiesta button[type=submit]`))
	require.Contains(t, comune.text(`main h1`), "Richiesta ricevuta, in registrazione")
	comune.checkPage("request received, in registration", "richiesta-in-registrazione")
	link := regexp.MustCompile(`/casi/[0-9a-f-]{36}`).FindString(comune.attr(`main a[href^="/casi/"]`, "href"))
	require.NotEmpty(t, link, "the page links the case")
	require.Zero(t, b.countCases(t))

	b.startWorker(t)
	require.Eventually(t, func() bool { return b.countCases(t) == 1 }, 30*time.Second, 100*time.Millisecond)
	require.EqualValues(t, 200, comune.open(link))
	require.Contains(t, comune.text(`main`), "Kovalenko")
}
