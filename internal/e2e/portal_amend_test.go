package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
)

// TestPortalComuneCorrectsACodiceFiscale: the comune opens its open case, finds the
// correction form filled in with the request, types the definitive codice fiscale wrong
// (the error shows next to the field, nothing changes), then right; the case page says
// so and its timeline shows the correction by field, not by value. Every page is checked
// with axe-core.
func TestPortalComuneCorrectsACodiceFiscale(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	br := browsertest.New(t)
	body := validBody()
	body["minor"].(map[string]any)["codiceFiscale"] = "12345678903"
	c := b.fileCase(t, body)
	const email = "anagrafe@comune.milano.example.org"
	b.portalAccount(t, casework.Org{Kind: casework.OrgComune, Code: "015146"}, "Comune di Milano", email)

	comune := newPortalUser(t, br, b, "the Comune di Milano")
	require.EqualValues(t, 200, comune.open("/accesso"))
	require.EqualValues(t, 200, comune.login(email, userPassword))
	require.EqualValues(t, 200, comune.open("/casi/"+c.Id))
	comune.step(chromedp.Click(`#azioni-comune ~ details > summary`))
	comune.sees(`#form-correzione`)
	require.Equal(t, "12345678903", comune.value("f-correzione-minor-codiceFiscale"), "the form starts from the request as it is")
	require.Equal(t, "Olena", comune.value("f-correzione-minor-givenName"))
	comune.checkPage("case page with the correction form", "")

	// A wrong check character: refused next to the field, the form open, what was typed
	// kept.
	comune.fill("f-correzione-minor-codiceFiscale", "RSSMRA85T10A562T")
	comune.choose("f-correzione-reason", "definitive_codice_fiscale")
	require.EqualValues(t, 422, comune.click(`#form-correzione button[type=submit]`))
	require.NotEmpty(t, comune.text(`#f-correzione-minor-codiceFiscale-errore`))
	require.Equal(t, "RSSMRA85T10A562T", comune.value("f-correzione-minor-codiceFiscale"))
	comune.checkPage("case page with a refused correction", "caso-correzione-errori")
	require.Equal(t, "12345678903", *b.getCase(t, c.Id).Minor.CodiceFiscale, "nothing changed")

	comune.fill("f-correzione-minor-codiceFiscale", "RSSMRA85T10A562S")
	require.EqualValues(t, 200, comune.click(`#form-correzione button[type=submit]`))
	require.Equal(t, "/casi/"+c.Id+"?esito=corretta", comune.location())
	require.Contains(t, comune.text(`main .alert-success`), "corretta")
	require.Contains(t, comune.text(`main`), "Codice fiscale definitivo")
	comune.checkPage("case page after the correction", "")

	got := b.getCase(t, c.Id)
	require.Equal(t, "RSSMRA85T10A562S", *got.Minor.CodiceFiscale)
	last := (*got.Timeline)[len(*got.Timeline)-1]
	require.Equal(t, "amended", last.Kind)
	require.Equal(t, "definitive_codice_fiscale:minor.codiceFiscale", *last.Reason)
	b.requireNotified(t, c.Id, "case_amended", polo1)
}
