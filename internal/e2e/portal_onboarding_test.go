package e2e_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/browsertest"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// TestUSTOnboardsTheSchoolsFromThePortal: UST starts the onboarding of every school from
// its page, in Chromium, and follows it there: whose PEC was delivered, whose bounced,
// who has logged in; it sends one school new credentials, which replace the old
// password. Starting again starts nothing. Nobody but UST may see the page.
func TestUSTOnboardsTheSchoolsFromThePortal(t *testing.T) {
	t.Parallel()
	const bounced, resent, loggedIn = "miic90003a@pec.example.org", "miic90002a@pec.example.org", "miic90001a@pec.example.org"
	b := setup(t, setupOptions{mail: pecMail(bounced)})
	b.portalAccount(t, casework.UST, "UST Milano", "ust@example.org")
	b.portalAccount(t, casework.Org{Kind: casework.OrgComune, Code: "015146"}, "Comune di Milano", "comune@example.org")
	br := browsertest.New(t)

	ust := newPortalUser(t, br, b, "UST")
	ust.open("/accesso")
	require.EqualValues(t, http.StatusOK, ust.login("ust@example.org", userPassword))
	require.EqualValues(t, http.StatusOK, ust.open("/accreditamento"))
	ust.sees(`#form-avvio`)
	ust.checkPage("onboarding, nothing started", "")
	ust.choose("f-avvio-group", "schools")
	require.EqualValues(t, http.StatusOK, ust.click(`#form-avvio button[type=submit]`))
	require.Contains(t, ust.text(`#esito-avvio`), "Avviati: 12. Già in accreditamento o accreditati, saltati: 0.")

	// The credentials go by PEC to each school's registry address.
	password := func(to string, nth int) string {
		var body string
		require.Eventually(t, func() bool {
			var bodies []string
			for _, m := range b.mailbox.Messages() {
				if len(m.To) == 1 && m.To[0] == to && strings.Contains(m.Subject, "Credenziali di accesso") {
					bodies = append(bodies, decodedBody(t, m))
				}
			}
			if len(bodies) < nth {
				return false
			}
			body = bodies[nth-1]
			return true
		}, 60*time.Second, 200*time.Millisecond, "credentials #%d for %s; mailbox: %s", nth, to, b.mailboxSummary())
		m := regexp.MustCompile(`Password provvisoria: (\S+)`).FindStringSubmatch(body)
		require.Len(t, m, 2, body)
		return m[1]
	}
	first := password(loggedIn, 1)
	r, _ := b.login(t, loggedIn, first)
	require.Equal(t, http.StatusOK, r.status, "the school logs in with the PEC's password: %s", r.body)
	oldResent := password(resent, 1)

	// The page shows the outcome of each: the bounce, the delivery, the first login.
	row := func(org string) chromedp.CSS { return chromedp.CSS(`tr[data-ente="` + org + `"]`) }
	require.Eventually(t, func() bool {
		ust.open("/accreditamento?tipo=school")
		bouncedRow := textOrEmpty(ust, string(row("school:MIIC90003A")))
		resentRow := textOrEmpty(ust, string(row("school:MIIC90002A")))
		return strings.Contains(bouncedRow, "Non consegnate") && strings.Contains(resentRow, "Consegnate il")
	}, 60*time.Second, time.Second, "the bounce and the delivery show")
	require.Contains(t, ust.text(row("school:MIIC90003A")), "avviso di mancata consegna")
	require.Contains(t, ust.text(row("school:MIIC90001A")), "Effettuato", "the school that logged in")
	require.Contains(t, ust.text(row("school:MIIC90002A")), "Non ancora")
	ust.checkPage("onboarding, with a bounce", "accreditamento")

	// A resend: a new temporary password, and the old one no longer works.
	require.EqualValues(t, http.StatusOK, ust.click(row("school:MIIC90002A")+` form button[type=submit]`))
	require.Contains(t, ust.location(), "esito=reinvio")
	newResent := password(resent, 2)
	require.NotEqual(t, oldResent, newResent)
	r, _ = b.login(t, resent, oldResent)
	require.Equal(t, http.StatusUnauthorized, r.status, "the first password is replaced: %s", r.body)
	r, _ = b.login(t, resent, newResent)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	// The login tells the onboarding (by the school's onboarding ID), which ends.
	var final workflows.OnboardingState
	require.NoError(t, b.temporal.GetWorkflow(b.ctx, workflows.OrgOnboardingWorkflowID(casework.Org{Kind: casework.OrgSchool, Code: "MIIC90002A"}), "").Get(b.ctx, &final))
	require.Equal(t, workflows.OnboardingDone, final.Stage)
	require.Equal(t, 2, final.Round)
	if *updateHistories {
		writeHistory(t, b.temporal, workflows.OrgOnboardingWorkflowID(casework.Org{Kind: casework.OrgSchool, Code: "MIIC90002A"}), "org_onboarding_resent_while_awaiting_login.json")
	}

	// The JSON API says the same, to UST only; bad input is a 4xx naming the field.
	list := b.doAs(t, "ust", http.MethodGet, "/api/v1/onboardings?kind=school", "", "")
	require.Equal(t, http.StatusOK, list.status, string(list.body))
	require.Contains(t, string(list.body), `"undelivered":"errore-consegna"`)
	require.Contains(t, string(list.body), `"org":"school:MIIC90002A"`)
	require.Equal(t, http.StatusForbidden, b.doAs(t, "comune:015146", http.MethodGet, "/api/v1/onboardings", "", "").status)
	bad := b.doAs(t, "ust", http.MethodGet, "/api/v1/onboardings?kind=nessuno", "", "")
	require.Equal(t, http.StatusBadRequest, bad.status, string(bad.body))
	require.Contains(t, string(bad.body), `"kind"`)
	bad = b.doAs(t, "ust", http.MethodPost, "/api/v1/onboardings/resend", "application/json", `{"org":"nowhere","requestId":"r-1"}`)
	require.Equal(t, http.StatusBadRequest, bad.status, string(bad.body))
	require.Contains(t, string(bad.body), `"org"`)
	done := b.doAs(t, "ust", http.MethodPost, "/api/v1/onboardings/resend", "application/json", `{"org":"school:MIIC90002A","requestId":"r-1"}`)
	require.Equal(t, http.StatusConflict, done.status, "onboarded: nothing to resend; %s", done.body)
	bad = b.doAs(t, "ust", http.MethodPost, "/api/v1/onboardings", "application/json", `{"group":"fami"}`)
	require.Equal(t, http.StatusBadRequest, bad.status, string(bad.body))
	require.Contains(t, string(bad.body), `"group"`)

	// Started again: nothing new.
	ust.open("/accreditamento")
	ust.choose("f-avvio-group", "schools")
	ust.click(`#form-avvio button[type=submit]`)
	require.Contains(t, ust.text(`#esito-avvio`), "Avviati: 0. Già in accreditamento o accreditati, saltati: 12.")

	// Only UST.
	comune := newPortalUser(t, br, b, "the Comune di Milano")
	comune.open("/accesso")
	require.EqualValues(t, http.StatusOK, comune.login("comune@example.org", userPassword))
	require.EqualValues(t, http.StatusForbidden, comune.open("/accreditamento"))
}

// textOrEmpty is the text of what sel finds now, or "" if nothing.
func textOrEmpty(p *portalUser, sel string) string {
	s, err := chromedp.Run(p.tab, chromedp.Evaluate[string](`(document.querySelector(`+"`"+sel+"`"+`) || {textContent: ""}).textContent`))
	if err != nil {
		return ""
	}
	return s
}
