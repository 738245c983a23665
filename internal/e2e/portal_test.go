package e2e_test

import (
	"context"
	"flag"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/password"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

var portalScreenshots = flag.String("screenshots", "",
	"folder, relative to the repository's root, to keep the portal test's screenshots in (e.g. docs/screenshots); none when empty")

// noticeBase is where the worker's messages point (workerDeps' BaseURL): a link in an
// email is opened on the test's server by keeping its path and query.
const noticeBase = "https://approdo.test"

// actionTimeout bounds one action of a person (a click and the page it leads to, a
// wait for an element): a page that never shows what the test waits for fails the test
// naming the person and the page, instead of hanging. Generous, for a loaded machine.
const actionTimeout = 30 * time.Second

// portalUser is one person of the portal test: a tab of the test's browser (a private
// window: its own cookies), on the test's server.
type portalUser struct {
	t    *testing.T
	name string
	tab  context.Context
	base string
}

// newPortalUser opens a tab for a person and checks, for as long as the test runs, that
// its pages load nothing from other sites and log no error.
func newPortalUser(t *testing.T, br *browsertest.Browser, b *bundle, name string) *portalUser {
	t.Helper()
	tab := br.NewTab(t)
	br.RequireOnlyLocalRequests(t, tab)
	br.RequireNoConsoleErrors(t, tab)
	return &portalUser{t: t, name: name, tab: tab, base: b.api.URL}
}

// in is the same person, reporting to the (sub)test t.
func (p *portalUser) in(t *testing.T) *portalUser {
	q := *p
	q.t = t
	return &q
}

// step runs actions in the tab, bounded by actionTimeout.
func (p *portalUser) step(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, actionTimeout)
	defer cancel()
	require.NoError(p.t, chromedp.Do(ctx, actions...), "%s, on %s", p.name, p.location())
}

// open goes to a path of the portal (or to a link from an email) and returns the status
// of the page it ends on, after redirects.
func (p *portalUser) open(path string) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, actionTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(p.base+path))
	require.NoError(p.t, err, "%s opens %s", p.name, path)
	return res.Status
}

// click clicks what sel finds (a submit button, a link) and waits for the page it leads
// to; it returns that page's status.
func (p *portalUser) click(sel chromedp.CSS) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, actionTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(sel))
	require.NoError(p.t, err, "%s clicks %s on %s", p.name, sel, p.location())
	return res.Status
}

// fill types value into the field whose id is id, as a person does: what the field held
// is cleared first.
func (p *portalUser) fill(id, value string) {
	p.t.Helper()
	p.step(chromedp.Clear(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), value))
}

// choose picks the option whose value is value in the select whose id is id.
func (p *portalUser) choose(id, value string) {
	p.t.Helper()
	p.step(chromedp.SetValue(chromedp.ID(id), value))
	require.Equal(p.t, value, p.value(id), "%s: the select %s has the option %s", p.name, id, value)
}

// setDate enters an ISO date in a date field. What a person types depends on the
// browser's locale (the calendar's day, month and year fields), so the test sets the
// value the calendar would.
func (p *portalUser) setDate(id, iso string) {
	p.t.Helper()
	p.step(chromedp.SetValue(chromedp.ID(id), iso))
}

// sees waits until what sel finds is visible.
func (p *portalUser) sees(sel chromedp.CSS) {
	p.t.Helper()
	p.step(chromedp.WaitVisible(sel))
}

// location is the path and query of the page the tab shows.
func (p *portalUser) location() string {
	ctx, cancel := context.WithTimeout(p.tab, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	return u.RequestURI()
}

// text is the visible text of what sel finds, once it is visible.
func (p *portalUser) text(sel chromedp.CSS) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, actionTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(p.t, err, "%s reads %s on %s", p.name, sel, p.location())
	return s
}

// value is what the field whose id is id holds.
func (p *portalUser) value(id string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, actionTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id)))
	require.NoError(p.t, err, "%s reads the field %s on %s", p.name, id, p.location())
	return s
}

// checkPage checks the page against WCAG 2.1 AA and, with -screenshots, keeps a picture
// of it as name.png.
func (p *portalUser) checkPage(page, screenshot string) {
	p.t.Helper()
	browsertest.RequireNoAxeViolations(p.t, p.tab, page+" ("+p.name+")")
	if screenshot != "" && *portalScreenshots != "" {
		dir := *portalScreenshots
		if !filepath.IsAbs(dir) {
			root, err := devtemporal.RepoRoot()
			require.NoError(p.t, err)
			dir = filepath.Join(root, dir)
		}
		browsertest.Screenshot(p.t, p.tab, filepath.Join(dir, screenshot+".png"))
	}
}

// login fills in the login page and sends it; it returns the status of the page the
// browser ends on.
func (p *portalUser) login(email, pw string) int64 {
	p.t.Helper()
	p.step(chromedp.WaitVisible(chromedp.ID("f-email")))
	p.fill("f-email", email)
	p.fill("f-password", pw)
	return p.click(`form[action="/accesso"] button[type=submit]`)
}

// portalAccount makes a person of org with a password (userPassword), as an accepted
// invitation does.
func (b *bundle) portalAccount(t *testing.T, org casework.Org, name, email string) {
	t.Helper()
	owner := store.New(b.pool)
	require.NoError(t, owner.CreateOrganisation(b.ctx, org, name))
	user, err := owner.CreateUser(b.ctx, org, email, name, store.RoleOperator)
	require.NoError(t, err)
	hash, err := password.Hash(userPassword)
	require.NoError(t, err)
	require.NoError(t, owner.SetPassword(b.ctx, user.ID, hash, ""))
}

// linkIn finds the portal link that starts with prefix (e.g. "/accesso/reimposta?token=")
// in a message and returns its path and query, to be opened on the test's server.
func linkIn(t *testing.T, body, prefix string) string {
	t.Helper()
	link := regexp.MustCompile(regexp.QuoteMeta(noticeBase+prefix) + `\S*`).FindString(body)
	require.NotEmpty(t, link, "a link to %s in:\n%s", prefix, body)
	return strings.TrimPrefix(link, noticeBase)
}

// TestPortal drives the portal in Chromium as its people do, against the whole stack
// (PostgreSQL, Temporal, the worker, the API and its pages, the mailbox that is also the
// PEC provider): one browser, a tab per person. Every page is checked with axe-core, and
// no tab may load anything from another site or log an error.
//
//	go test ./internal/e2e -run TestPortal -args -screenshots docs/screenshots
//
// keeps pictures of the main pages for the README.
func TestPortal(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{mail: pecMail()})
	br := browsertest.New(t)

	const milano = "015146"
	// The comune gets its account as every comune does: an onboarding workflow sends the
	// temporary password by PEC, to the comune's PEC address, which is also its login.
	run, err := b.temporal.ExecuteWorkflow(b.ctx, client.StartWorkflowOptions{
		ID: workflows.OnboardingWorkflowID(milano) + "-" + b.taskQueue, TaskQueue: b.taskQueue,
	}, workflows.OnboardingWorkflowName, workflows.OnboardingInput{Istat: milano})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.temporal.CancelWorkflow(context.Background(), run.GetID(), "") })

	comune := newPortalUser(t, br, b, "the Comune di Milano")
	clerkPassword := "la password del comune di Milano"

	if !t.Run("first login with the temporary password from the PEC", func(t *testing.T) {
		comune := comune.in(t)
		credentials := b.waitForMail(t, milanoPEC, "Credenziali di accesso")
		require.Equal(t, pecSender, credentials.From, "sent by PEC")
		body := decodedBody(t, credentials)
		temporary := regexp.MustCompile(`Password provvisoria: (\S+)`).FindStringSubmatch(body)
		require.Len(t, temporary, 2, body)

		// The PEC's link opens the login page.
		require.EqualValues(t, 200, comune.open(linkIn(t, body, "/accesso")))
		comune.checkPage("login page", "login")
		// A wrong password is refused on the page, which keeps the address typed.
		require.EqualValues(t, 401, comune.login(milanoPEC, "non è la password"))
		require.NotEmpty(t, comune.text(`#riepilogo-errori`))
		require.Equal(t, milanoPEC, comune.value("f-email"))
		comune.checkPage("login page with an error", "")

		// The temporary password opens only the page that changes it.
		require.EqualValues(t, 200, comune.login(milanoPEC, temporary[1]))
		require.Equal(t, "/account/password", comune.location())
		require.Contains(t, comune.text(`main .callout`), "primo accesso")
		comune.checkPage("forced password change", "")
		require.EqualValues(t, 200, comune.open("/"))
		require.Equal(t, "/account/password", comune.location(), "nothing else opens before the change")

		// Two passwords that differ are refused next to the second field.
		comune.fill("f-currentPassword", temporary[1])
		comune.fill("f-newPassword", clerkPassword)
		comune.fill("f-confirmPassword", clerkPassword+" ma diversa")
		require.EqualValues(t, 422, comune.click(`form[action="/account/password"] button[type=submit]`))
		require.NotEmpty(t, comune.text(`#f-confirmPassword-errore`))
		comune.checkPage("password change with an error", "")

		comune.fill("f-currentPassword", temporary[1])
		comune.fill("f-newPassword", clerkPassword)
		comune.fill("f-confirmPassword", clerkPassword)
		require.EqualValues(t, 200, comune.click(`form[action="/account/password"] button[type=submit]`))
		require.Equal(t, "/?esito=password", comune.location())
		require.NotEmpty(t, comune.text(`main .alert-success`))
		require.Contains(t, comune.text(`main h1`), "Comune di Milano", "the inbox names the comune as the reference data does")
		comune.checkPage("inbox", "")
	}) {
		return
	}

	// The other people: the Polo START that Milano's primaria requests of municipio 2 go
	// to, and two schools of its territory. They log in with passwords they chose.
	hub := newPortalUser(t, br, b, "Polo START 1")
	schoolAUser := newPortalUser(t, br, b, "school A ("+schoolA+")")
	schoolBUser := newPortalUser(t, br, b, "school B ("+schoolB+")")
	const hubEmail, schoolAEmail, schoolBEmail = "operatore@polo1.example.org", "segreteria@miic90001a.example.org", "segreteria@miic90002a.example.org"
	b.portalAccount(t, casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}, "Polo START 1", hubEmail)
	b.portalAccount(t, casework.Org{Kind: casework.OrgSchool, Code: schoolA}, "IC Esempio Milano Centro", schoolAEmail)
	b.portalAccount(t, casework.Org{Kind: casework.OrgSchool, Code: schoolB}, "IC Esempio via Padova", schoolBEmail)

	var caseID string
	if !t.Run("the comune files a request, corrects two mistakes and sends it", func(t *testing.T) {
		comune := comune.in(t)
		require.EqualValues(t, 200, comune.click(`nav a[href="/casi/nuovo"]`))
		comune.sees(`#form-nuova-richiesta`)
		comune.checkPage("new request", "")
		// The header names the organisation as the reference data does, not by its code.
		comune.waitText(`.it-header-slim-right-zone`, "Comune di Milano", 5*time.Second)

		// The date of birth is in the future, the family name missing.
		nextYear := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
		comune.choose("f-level", "primaria")
		comune.choose("f-origin", "ukrainian_refugee")
		comune.fill("f-minor-givenName", "Olena")
		comune.setDate("f-minor-birthDate", nextYear)
		comune.choose("f-minor-sex", "F")
		comune.fill("f-minor-citizenship", "UA")
		comune.fill("f-languages", "uk, ru")
		comune.fill("f-priorSchooling-years", "3")
		comune.fill("f-guardian-name", "Iryna Kovalenko")
		comune.fill("f-guardian-phone", "+39 333 1234567")
		comune.fill("f-guardian-preferredLanguage", "uk")
		comune.fill("f-residence-address", "Via Padova 100")
		comune.choose("f-residence-municipio", "2")
		require.EqualValues(t, 422, comune.click(`#form-nuova-richiesta button[type=submit]`))

		// Both mistakes are told at once, each next to its field and in the summary at
		// the top, and what was typed is kept.
		require.Contains(t, comune.text(`#f-minor-birthDate-errore`), "futuro")
		require.NotEmpty(t, comune.text(`#f-minor-familyName-errore`))
		comune.sees(`#riepilogo-errori a[href="#f-minor-birthDate"]`)
		comune.sees(`#riepilogo-errori a[href="#f-minor-familyName"]`)
		for id, want := range map[string]string{
			"f-minor-givenName": "Olena", "f-minor-birthDate": nextYear, "f-minor-sex": "F", "f-level": "primaria",
			"f-languages": "uk, ru", "f-guardian-phone": "+39 333 1234567", "f-residence-address": "Via Padova 100",
			"f-residence-municipio": "2", "f-origin": "ukrainian_refugee", "f-priorSchooling-years": "3",
		} {
			require.Equal(t, want, comune.value(id), "the field %s keeps what was typed", id)
		}
		comune.checkPage("new request with errors", "nuova-richiesta-errori")

		comune.fill("f-minor-familyName", "Kovalenko")
		comune.setDate("f-minor-birthDate", "2017-04-12")
		require.EqualValues(t, 200, comune.click(`#form-nuova-richiesta button[type=submit]`))
		m := regexp.MustCompile(`^/casi/([0-9a-f-]{36})\?esito=`).FindStringSubmatch(comune.location())
		require.Len(t, m, 2, "the request leads to its case's page: %s", comune.location())
		caseID = m[1]
		require.NotEmpty(t, comune.text(`main .alert-success`))
		require.Contains(t, comune.text(`main`), "Kovalenko")
		comune.checkPage("case page (comune, just filed)", "")
	}) {
		return
	}
	casePath := "/casi/" + caseID

	if !t.Run("a school cannot open a case never proposed to it", func(t *testing.T) {
		school := schoolBUser.in(t)
		require.EqualValues(t, 200, school.open("/accesso"))
		require.EqualValues(t, 200, school.login(schoolBEmail, userPassword))
		require.Equal(t, "/", school.location())
		require.EqualValues(t, 404, school.open(casePath), "the case is not proposed to school B yet")
		require.NotContains(t, school.text(`main`), "Kovalenko")
		school.checkPage("not found (school)", "")
	}) {
		return
	}

	if !t.Run("the hub opens the case from its email and proposes school A", func(t *testing.T) {
		hub := hub.in(t)
		// Polo START 1 is told by email (at its host school's address), with a link to
		// the case; the link asks it to log in first and then opens the case.
		assigned := b.waitForMail(t, "miic90002a@example.org", "Nuovo caso di iscrizione assegnato")
		require.EqualValues(t, 200, hub.open(linkIn(t, decodedBody(t, assigned), casePath)))
		require.True(t, strings.HasPrefix(hub.location(), "/accesso?dopo="), hub.location())
		require.EqualValues(t, 200, hub.login(hubEmail, userPassword))
		require.Equal(t, casePath, hub.location())
		hub.sees(`#form-proposta`)
		hub.checkPage("case page (hub, proposal form)", "caso-hub-proposta")

		hub.choose("f-proposta-school", schoolA)
		require.EqualValues(t, 200, hub.click(`#form-proposta button[type=submit]`))
		require.True(t, strings.HasPrefix(hub.location(), casePath+"?esito="), hub.location())
		hub.sees(`#form-ritiro-proposta`)
		require.Contains(t, hub.text(`main`), schoolA)
		hub.checkPage("case page (hub, proposal sent)", "")
	}) {
		return
	}

	if !t.Run("school A finds the case in its inbox and rejects it", func(t *testing.T) {
		school := schoolAUser.in(t)
		require.EqualValues(t, 200, school.open("/"))
		require.EqualValues(t, 200, school.login(schoolAEmail, userPassword))
		require.Equal(t, "/", school.location())
		school.checkPage("inbox (school)", "")
		require.EqualValues(t, 200, school.click(chromedp.CSS(`main a[href="`+casePath+`"]`)))
		school.sees(`#form-rifiuta`)
		school.sees(`#form-accetta`)
		require.NotContains(t, school.text(`main`), "Profugo", "a school does not see the family's origin")
		school.checkPage("case page (school, decision forms)", "caso-scuola")

		school.choose("f-rifiuta-reason", "no_seats")
		require.EqualValues(t, 200, school.click(`#form-rifiuta button[type=submit]`))
		require.NotEmpty(t, school.text(`main .alert-success`))
		school.checkPage("case page (school, after rejecting)", "")
	}) {
		return
	}

	if !t.Run("the hub proposes school B from its inbox", func(t *testing.T) {
		hub := hub.in(t)
		require.EqualValues(t, 200, hub.click(`nav a[href="/"]`))
		hub.sees(chromedp.CSS(`main a[href="` + casePath + `"]`))
		hub.checkPage("inbox (hub)", "attivita")
		require.EqualValues(t, 200, hub.click(chromedp.CSS(`main a[href="`+casePath+`"]`)))
		hub.sees(`#form-proposta`)
		hub.choose("f-proposta-school", schoolB)
		require.EqualValues(t, 200, hub.click(`#form-proposta button[type=submit]`))
		hub.sees(`#form-ritiro-proposta`)
	}) {
		return
	}

	start := time.Now().AddDate(0, 0, 7)
	if !t.Run("school B accepts, giving the section and the first day", func(t *testing.T) {
		school := schoolBUser.in(t)
		proposed := b.waitForMail(t, "miic90002a@example.org", "Proposta di iscrizione da valutare")
		require.EqualValues(t, 200, school.open(linkIn(t, decodedBody(t, proposed), casePath)))
		require.Equal(t, casePath, school.location(), "school B is still logged in")
		school.sees(`#form-accetta`)
		school.checkPage("case page (school B, decision forms)", "")
		school.choose("f-accetta-classYear", "3")
		school.fill("f-accetta-section", "B")
		school.setDate("f-accetta-startDate", start.Format(time.DateOnly))
		require.EqualValues(t, 200, school.click(`#form-accetta button[type=submit]`))
		require.Equal(t, "Iscritto", school.text(`#fase-caso`))
		school.checkPage("case page (school B, enrolled)", "")
	}) {
		return
	}

	if !t.Run("the comune sees the minor enrolled, with the school and the first day", func(t *testing.T) {
		comune := comune.in(t)
		require.EqualValues(t, 200, comune.click(`nav a[href="/casi"]`))
		comune.sees(chromedp.CSS(`main a[href="` + casePath + `"]`))
		comune.checkPage("case list (comune)", "")
		require.EqualValues(t, 200, comune.click(chromedp.CSS(`main a[href="`+casePath+`"]`)))
		require.Equal(t, "Iscritto", comune.text(`#fase-caso`))
		placement := comune.text(`#iscrizione-caso`)
		require.Contains(t, placement, schoolB)
		require.Contains(t, placement, "sezione B")
		require.Contains(t, placement, start.Format("02/01/2006"))
		comune.checkPage("case page (comune, enrolled)", "caso-comune-iscritto")
	}) {
		return
	}

	t.Run("another comune's case is not found", func(t *testing.T) {
		comune := comune.in(t)
		sesto := validBody()
		sesto["comune"] = "015209"
		delete(sesto["residence"].(map[string]any), "municipio")
		// Another child: the comune's own Olena, filed above through the form without a
		// codice fiscale, would make this one a duplicate of hers (one record per minor).
		minor := sesto["minor"].(map[string]any)
		minor["givenName"], minor["familyName"] = "Taras", "Melnyk"
		other := b.fileCase(t, sesto)
		require.EqualValues(t, 404, comune.open("/casi/"+other.Id))
		require.NotContains(t, comune.text(`main`), "Melnyk")
		comune.checkPage("not found (comune)", "")
		require.EqualValues(t, 404, comune.open("/casi/non-un-caso"))
	})

	t.Run("a reset link from an email sets a new password", func(t *testing.T) {
		comune := comune.in(t)
		// The clerk logs out, and has forgotten the password.
		require.EqualValues(t, 200, comune.click(`form[action="/esci"] button[type=submit]`))
		require.Equal(t, "/accesso?esito=uscita", comune.location())
		require.EqualValues(t, 200, comune.click(`a[href="/accesso/password-dimenticata"]`))
		comune.checkPage("forgotten password", "")
		comune.fill("f-email", milanoPEC)
		require.EqualValues(t, 200, comune.click(`form[action="/accesso/password-dimenticata"] button[type=submit]`))
		require.Equal(t, "/accesso?esito=reset_inviato", comune.location())

		reset := b.waitForMail(t, milanoPEC, "Reimpostazione della password")
		require.EqualValues(t, 200, comune.open(linkIn(t, decodedBody(t, reset), "/accesso/reimposta?token=")))
		comune.checkPage("new password from a reset link", "")
		const afterReset = "la password dopo il reset del comune"
		comune.fill("f-newPassword", afterReset)
		comune.fill("f-confirmPassword", afterReset)
		require.EqualValues(t, 200, comune.click(`form[action="/accesso/reimposta"] button[type=submit]`))
		require.Equal(t, "/accesso?esito=password_impostata", comune.location())

		require.EqualValues(t, 401, comune.login(milanoPEC, clerkPassword), "the old password no longer works")
		require.EqualValues(t, 200, comune.login(milanoPEC, afterReset))
		require.Equal(t, "/", comune.location())
	})
}
