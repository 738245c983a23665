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

// step bounds one action: a page that never shows what the test waits for fails the
// test in seconds, naming the person, instead of hanging.
func (p *portalUser) step(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 20*time.Second)
	defer cancel()
	require.NoError(p.t, chromedp.Do(ctx, actions...), "%s, on %s", p.name, p.location())
}

// open goes to a path of the portal (or to a link from an email) and returns the status
// of the page it ends on, after redirects.
func (p *portalUser) open(path string) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 20*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(p.base+path))
	require.NoError(p.t, err, "%s opens %s", p.name, path)
	return res.Status
}

// click clicks what sel finds (a submit button, a link) and waits for the page it leads
// to; it returns that page's status.
func (p *portalUser) click(sel chromedp.CSS) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 20*time.Second)
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
	ctx, cancel := context.WithTimeout(p.tab, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(p.t, err, "%s reads %s on %s", p.name, sel, p.location())
	return s
}

// value is what the field whose id is id holds.
func (p *portalUser) value(id string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 20*time.Second)
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

// portalUser makes a person of org with a password, as an accepted invitation does.
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
		require.Contains(t, comune.text(`main h1`), "Comune "+milano)
		comune.checkPage("inbox", "")
	}) {
		return
	}

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
