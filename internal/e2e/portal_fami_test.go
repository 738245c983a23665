package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/password"
	"github.com/approdo/approdo/internal/store"
)

// famiAccount makes a person of org with a password and a role, as an accepted
// invitation does; the one-stop shop's person of the test is its admin.
func (b *bundle) famiAccount(t *testing.T, org, name, email, role string) {
	t.Helper()
	parsed, err := casework.ParseOrg(org)
	require.NoError(t, err)
	owner := store.New(b.pool)
	require.NoError(t, owner.CreateOrganisation(b.ctx, parsed, name))
	user, err := owner.CreateUser(b.ctx, parsed, email, name, role)
	require.NoError(t, err)
	hash, err := password.Hash(userPassword)
	require.NoError(t, err)
	require.NoError(t, owner.SetPassword(b.ctx, user.ID, hash, ""))
}

// famiFile writes a CSV of two families, one line per member (the header is line 1):
// the Benali family (lines 2–4: two children of school age and the mother) and the
// Kovalenko family (line 5), whose son's date of birth is birth.
func famiFile(t *testing.T, dir, name, birth string) string {
	t.Helper()
	issued := time.Now().AddDate(0, -1, 0).Format(time.DateOnly)
	var b strings.Builder
	b.WriteString(importHeader)
	for _, m := range []string{"Amina,Benali,2017-04-12,F,figlia", "Karim,Benali,2013-05-01,M,figlio", "Fatima,Zahra,1988-01-01,F,coniuge"} {
		fmt.Fprintf(&b, "MI-2026-FAMI-1,Ahmed,Benali,+39 333 0000000,,015146,Via Padova 10,2,NO/FAMI/1,%s,,ar,,%s,MA\n", issued, m)
	}
	fmt.Fprintf(&b, "MI-2026-FAMI-2,Olena,Kovalenko,,olena@example.org,015077,Via Roma 5,,NO/FAMI/2,%s,,uk,,Andrii,Kovalenko,%s,M,figlio,UA\n", issued, birth)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

// upload chooses a file in the file input whose id is id.
func (p *portalUser) upload(id, path string) {
	p.t.Helper()
	p.step(chromedp.SetUploadFiles(chromedp.ID(id), []string{path}))
}

// write types value into an empty field whose id is id (fill's clearing fails on an
// empty textarea).
func (p *portalUser) write(id, value string) {
	p.t.Helper()
	p.step(chromedp.SendKeys(chromedp.ID(id), value))
}

// tick ticks a checkbox by clicking its label, as a person does (Bootstrap Italia
// draws its own box over the input).
func (p *portalUser) tick(id string) {
	p.t.Helper()
	p.step(chromedp.Click(chromedp.CSS(`label[for="` + id + `"]`)))
	ctx, cancel := context.WithTimeout(p.tab, 5*time.Second)
	defer cancel()
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById(`+fmt.Sprintf("%q", id)+`).checked`))
	require.NoError(p.t, err)
	require.True(p.t, checked, "%s: the checkbox %s is ticked", p.name, id)
}

// waitText waits until the text of what sel finds contains want, across the page's own
// reloads (a meta refresh), and returns it.
func (p *portalUser) waitText(sel, want string, within time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.tab, 2*time.Second)
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			last = s
			if strings.Contains(s, want) {
				return s
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.t.Fatalf("%s: %s never said %q on %s; last: %q", p.name, sel, want, p.location(), last)
	return ""
}

// listed reports whether the text of what sel finds contains every one of wants.
func (p *portalUser) listed(sel string, wants ...string) bool {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 10*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ""`, sel)))
	if err != nil {
		return false
	}
	for _, w := range wants {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// hrefs lists the links that what sel finds holds.
func (p *portalUser) hrefs(sel string) []string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 10*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll(`+fmt.Sprintf("%q", sel)+`)).map(a => a.getAttribute("href"))`))
	require.NoError(p.t, err)
	return out
}

// TestPortalFAMI drives the FAMI actors' pages in Chromium against the whole stack: the
// Prefettura sends a file of families (refused whole for one bad row, then corrected)
// and follows the import; the one-stop shop takes a family it sent through contact,
// interview and arrival, which opens the children's enrolment cases; the orientation
// service takes in charge a pupil a school reported; the one-stop shop's admin makes
// and revokes a token. Every page is checked with axe-core, and no tab may load
// anything from another site or log an error.
func TestPortalFAMI(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	br := browsertest.New(t)
	dir := t.TempDir()

	const (
		prefEmail   = "sportello@prefettura-milano.example.org"
		shopEmail   = "equipe@sportello-famiglie.example.org"
		orientEmail = "orientamento@cerco-offro-scuola.example.org"
	)
	b.famiAccount(t, orgPrefettura, "Prefettura di Milano", prefEmail, store.RoleOperator)
	b.famiAccount(t, orgOneStopShop, "Sportello unico famiglie", shopEmail, store.RoleAdmin)
	b.famiAccount(t, orgOrientation, "Servizio Orientamento", orientEmail, store.RoleOperator)

	pref := newPortalUser(t, br, b, "the Prefettura")
	shop := newPortalUser(t, br, b, "the one-stop shop")
	orient := newPortalUser(t, br, b, "the orientation service")

	count := func(t *testing.T, table string) int {
		var n int
		require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM "+table).Scan(&n))
		return n
	}
	// The orientation service works beside the others, on a pupil of its own.
	t.Run("FAMI actors", func(t *testing.T) {
		t.Run("the orientation service takes in charge a pupil the school reported", func(t *testing.T) {
			t.Parallel()
			orient := orient.in(t)
			// A pupil enrolled through the API, whom the school reports at risk of dropping out.
			caseID := b.fileCase(t, validBody()).Id
			b.actOK(t, polo1, caseID, "proposal", map[string]any{"school": schoolA})
			b.actOK(t, "school:"+schoolA, caseID, "decision", map[string]any{"accept": true, "section": "B", "startDate": time.Now().Format(time.DateOnly)})
			b.actOK(t, "school:"+schoolA, caseID, "dropout-report", map[string]any{"note": "assenze ripetute"})
			interventionPath := "/interventi/intervention-" + caseID + "-report-1"

			require.EqualValues(t, 200, orient.open("/"))
			require.EqualValues(t, 200, orient.login(orientEmail, userPassword))
			require.EqualValues(t, 200, orient.click(`nav a[href="/interventi"]`))
			require.Eventually(t, func() bool {
				if len(orient.hrefs(`#elenco-interventi a[href="`+interventionPath+`"]`)) == 1 {
					return true
				}
				orient.open("/interventi")
				return false
			}, 20*time.Second, 500*time.Millisecond, "the intervention is listed")
			orient.checkPage("interventions", "fami-interventi")
			require.EqualValues(t, 200, orient.click(chromedp.CSS(`#elenco-interventi a[href="`+interventionPath+`"]`)))
			require.Contains(t, orient.text(`#fase-intervento`), "Da prendere in carico")
			orient.checkPage("intervention (to take in charge)", "fami-intervento")

			require.EqualValues(t, 422, orient.click(`#form-carico button[type=submit]`), "the operator is required")
			require.NotEmpty(t, orient.text(`#f-carico-operator-errore`))
			orient.checkPage("intervention (take charge refused)", "")
			orient.write("f-carico-operator", "Giulia Rossi")
			require.EqualValues(t, 200, orient.click(`#form-carico button[type=submit]`))
			require.Equal(t, interventionPath+"?esito=presa_in_carico", orient.location())
			require.Contains(t, orient.text(`#fase-intervento`), "Presa in carico")
			require.Contains(t, orient.text(`main`), "Giulia Rossi")
			orient.checkPage("intervention (taken in charge)", "")

			require.EqualValues(t, 200, orient.click(chromedp.CSS(`main a[href="`+"/casi/"+caseID+`"]`)))
			require.Equal(t, "/casi/"+caseID, orient.location())
		})

		t.Run("the Prefettura sends one family through the form; the one-stop shop's referral form", func(t *testing.T) {
			t.Parallel()
			pref := newPortalUser(t, br, b, "the Prefettura (another window)")
			require.EqualValues(t, 200, pref.open("/"))
			require.EqualValues(t, 200, pref.login(prefEmail, userPassword))
			require.EqualValues(t, 200, pref.click(`nav a[href="/famiglie"]`))
			// Sent empty, the form is refused with every error on its field.
			require.EqualValues(t, 422, pref.click(`#form-famiglia button[type=submit]`))
			require.NotEmpty(t, pref.text(`#f-reference-errore`))
			require.NotEmpty(t, pref.text(`#f-sponsor-givenName-errore`))
			pref.checkPage("families (one family refused)", "")
			pref.fill("f-reference", "MI-2026-MODULO-1")
			pref.write("f-nullaOsta-number", "NO/MOD/1")
			pref.setDate("f-nullaOsta-issuedOn", time.Now().AddDate(0, -1, 0).Format(time.DateOnly))
			pref.write("f-sponsor-givenName", "Li")
			pref.write("f-sponsor-familyName", "Wei")
			pref.write("f-sponsor-phone", "+39 333 7777777")
			pref.write("f-sponsor-comune", "015209")
			pref.write("f-members-0-givenName", "Chen")
			pref.write("f-members-0-familyName", "Wei")
			pref.setDate("f-members-0-birthDate", "2015-06-01")
			pref.choose("f-members-0-relation", "child")
			pref.write("f-members-0-citizenship", "CN")
			require.EqualValues(t, 200, pref.click(`#form-famiglia button[type=submit]`))
			require.True(t, strings.HasPrefix(pref.location(), "/famiglie?esito=famiglia_aperta"), pref.location())
			require.Contains(t, pref.text(`#esito-invio`), "Da contattare")
			pref.checkPage("families (one family sent)", "")

			shop := newPortalUser(t, br, b, "the one-stop shop (another window)")
			require.EqualValues(t, 200, shop.open("/percorsi/segnalazione"))
			require.EqualValues(t, 200, shop.login(shopEmail, userPassword))
			require.Equal(t, "/percorsi/segnalazione", shop.location())
			shop.checkPage("referral", "fami-segnalazione")
			require.EqualValues(t, 422, shop.click(`#form-segnalazione button[type=submit]`))
			require.NotEmpty(t, shop.text(`#f-referral-kind-errore`))
			shop.checkPage("referral refused", "")
		})

		t.Run("the Prefettura sends families, the one-stop shop follows one", func(t *testing.T) {
			t.Parallel()

			if !t.Run("the Prefettura's file with a bad row is refused whole, the corrected one imported", func(t *testing.T) {
				pref := pref.in(t)
				require.EqualValues(t, 200, pref.open("/famiglie"))
				require.True(t, strings.HasPrefix(pref.location(), "/accesso?dopo="), pref.location())
				require.EqualValues(t, 200, pref.login(prefEmail, userPassword))
				require.Equal(t, "/famiglie", pref.location())
				pref.sees(`#form-file`)
				pref.checkPage("families (Prefettura)", "fami-famiglie")

				pref.upload("f-file", famiFile(t, dir, "famiglie.csv", "31/02/2014"))
				require.EqualValues(t, 422, pref.click(`#form-file button[type=submit]`))
				errs := pref.text(`#errori-file tbody`)
				require.Regexp(t, `(?s)5\s+familiare_data_nascita\s+MI-2026-FAMI-2`, errs, "the error names its line and column")
				require.NotContains(t, errs, "MI-2026-FAMI-1", "the valid family has no error")
				require.NotEmpty(t, pref.text(`main .alert`))
				pref.checkPage("families with a refused file", "fami-file-errori")
				require.Zero(t, count(t, "family_import"), "nothing of the refused file is kept")
				require.Zero(t, count(t, "reunification_journey WHERE reference LIKE 'MI-2026-FAMI-%'"))

				pref.upload("f-file", famiFile(t, dir, "famiglie-corrette.csv", "28/02/2014"))
				require.EqualValues(t, 200, pref.click(`#form-file button[type=submit]`))
				m := regexp.MustCompile(`^/famiglie/file/([^?]+)\?esito=file_ricevuto$`).FindStringSubmatch(pref.location())
				require.Len(t, m, 2, "the file leads to its import's page: %s", pref.location())
				require.NotEmpty(t, pref.text(`main .alert-success`))
				if running := pref.hrefs(`#stato-import[data-aggiorna] a`); len(running) > 0 {
					t.Logf("the import was still running on its page's first load: that state is checked too")
					pref.checkPage("import running", "")
				}
				// The status follows the import by itself until it is done.
				status := pref.waitText(`#stato-import`, "Import concluso", 30*time.Second)
				require.Contains(t, status, "2 su 2")
				pref.checkPage("import done", "fami-import")
				require.EqualValues(t, 200, pref.click(`main a[href="/famiglie"]`))
			}) {
				return
			}

			var journeyPath string
			var caseLinks []string
			if !t.Run("the one-stop shop takes the Benali family from contact to arrival", func(t *testing.T) {
				shop := shop.in(t)
				require.EqualValues(t, 200, shop.open("/"))
				require.EqualValues(t, 200, shop.login(shopEmail, userPassword))
				require.Equal(t, "/", shop.location())
				require.EqualValues(t, 200, shop.click(`nav a[href="/percorsi"]`))
				// The import opens the journeys one after the other: the list has both soon.
				require.Eventually(t, func() bool {
					if shop.listed(`#elenco-percorsi tbody`, "MI-2026-FAMI-1", "MI-2026-FAMI-2") {
						return true
					}
					shop.open("/percorsi")
					return false
				}, 20*time.Second, 500*time.Millisecond, "both families' journeys are listed")
				shop.checkPage("journeys", "fami-percorsi")

				journeyPath = shop.rowLink(`#elenco-percorsi tbody tr`, "MI-2026-FAMI-1")
				require.EqualValues(t, 200, shop.click(chromedp.CSS(`#elenco-percorsi a[href="`+journeyPath+`"]`)))
				require.Equal(t, journeyPath, shop.location())
				require.Contains(t, shop.text(`#fase-percorso`), "Da contattare")
				shop.checkPage("journey (contacting)", "fami-percorso")

				// The family answers at the second call.
				shop.choose("f-contatto-outcome", "no_answer")
				require.EqualValues(t, 200, shop.click(`#form-contatto button[type=submit]`))
				require.Equal(t, journeyPath+"?esito=contatto", shop.location())
				require.NotEmpty(t, shop.text(`main .alert-success`))
				shop.choose("f-contatto-outcome", "reached")
				shop.write("f-contatto-note", "Risponde il padre")
				require.EqualValues(t, 200, shop.click(`#form-contatto button[type=submit]`))
				require.Contains(t, shop.text(`#fase-percorso`), "Colloquio da fissare")

				// A held interview names its support areas: without one it is refused on the page.
				shop.setDate("f-fissa-at", time.Now().In(famiRome).Add(48*time.Hour).Format("2006-01-02T15:04"))
				require.EqualValues(t, 200, shop.click(`#form-fissa button[type=submit]`))
				require.Contains(t, shop.text(`#fase-percorso`), "Colloquio fissato")
				shop.choose("f-colloquio-held", "si")
				require.EqualValues(t, 422, shop.click(`#form-colloquio button[type=submit]`))
				require.NotEmpty(t, shop.text(`main .alert`))
				shop.checkPage("journey (interview refused)", "")
				shop.choose("f-colloquio-held", "si")
				shop.tick("f-colloquio-area-school")
				shop.tick("f-colloquio-area-family_support")
				require.EqualValues(t, 200, shop.click(`#form-colloquio button[type=submit]`))
				require.Equal(t, journeyPath+"?esito=colloquio", shop.location())
				require.Contains(t, shop.text(`#fase-percorso`), "In attesa dell'arrivo")

				shop.setDate("f-arrivo-date", time.Now().In(famiRome).Format(time.DateOnly))
				require.EqualValues(t, 200, shop.click(`#form-arrivo button[type=submit]`))
				require.Equal(t, journeyPath+"?esito=arrivo", shop.location())
				require.Contains(t, shop.text(`#fase-percorso`), "Iscrizione dei figli")
				// Amina and Karim have their enrolment cases; their mother has none.
				require.Eventually(t, func() bool {
					caseLinks = shop.hrefs(`#familiari a[href^="/casi/"]`)
					if len(caseLinks) == 2 {
						return true
					}
					shop.open(journeyPath)
					return false
				}, 20*time.Second, 500*time.Millisecond, "the children's cases are linked")
				for _, l := range caseLinks {
					require.Regexp(t, `^/casi/[0-9a-f-]{36}$`, l)
				}
				require.NotContains(t, shop.rowText(`#familiari tbody tr`, "Fatima"), "Caso")
				timeline := shop.text(`#cronologia`)
				require.Contains(t, timeline, "Risponde il padre")
				shop.checkPage("journey (children's cases open)", "fami-percorso-iscrizioni")

				require.EqualValues(t, 200, shop.click(chromedp.CSS(`#familiari a[href="`+caseLinks[0]+`"]`)))
				require.Equal(t, caseLinks[0], shop.location())
				require.Contains(t, shop.text(`main`), "Benali")
			}) {
				return
			}

			t.Run("the one-stop shop's admin makes a token and revokes it", func(t *testing.T) {
				shop := shop.in(t)
				require.EqualValues(t, 200, shop.click(`nav a[href="/organizzazione"]`))
				require.Contains(t, shop.text(`#persone`), shopEmail)
				shop.checkPage("organisation (admin)", "fami-organizzazione")
				shop.fill("f-token-name", "Gestionale dello sportello")
				require.EqualValues(t, 201, shop.click(`#form-token button[type=submit]`))
				require.Regexp(t, `apd_\S+`, shop.text(`#segreto-token code`))
				shop.checkPage("organisation (token made)", "")
				require.EqualValues(t, 200, shop.click(`#token form[action$="/revoca"] button[type=submit]`))
				require.Equal(t, "/organizzazione?esito=revoca", shop.location())
				require.Contains(t, shop.text(`#token`), "Revocato")
				shop.checkPage("organisation (token revoked)", "")
			})
		})
	})
}

// rowLink is the first link of the row, among those sel finds, whose text contains want.
func (p *portalUser) rowLink(sel, want string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 10*time.Second)
	defer cancel()
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(Array.from(document.querySelectorAll(%q)).find(r => r.textContent.includes(%q))?.querySelector("a")?.getAttribute("href")) ?? ""`, sel, want)))
	require.NoError(p.t, err)
	require.NotEmpty(p.t, href, "%s: a row of %s with %q and a link, on %s", p.name, sel, want, p.location())
	return href
}

// rowText is the text of the row, among those sel finds, whose text contains want.
func (p *portalUser) rowText(sel, want string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 10*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(Array.from(document.querySelectorAll(%q)).find(r => r.textContent.includes(%q))?.textContent) ?? ""`, sel, want)))
	require.NoError(p.t, err)
	require.NotEmpty(p.t, text, "%s: a row of %s with %q, on %s", p.name, sel, want, p.location())
	return text
}

// famiRome is the portal's time zone: the journey's forms take Rome's local time.
var famiRome = func() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return l
}()
