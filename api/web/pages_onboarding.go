package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// UST's onboarding page: who has logged in, whose credentials were not delivered, a
// resend for each; and the start of the onboarding of every school or every hub. Only
// UST: app.Onboardings and the others refuse anyone else.

// The forms of the onboarding page.
const (
	formOnboardingStart  = "avvio"
	formOnboardingResend = "reinvio"
)

func (w *Web) registerOnboardingPages(r gin.IRoutes) {
	r.GET("/accreditamento", w.onboardingPage)
	r.POST("/accreditamento/avvio", w.onboardingStartSubmit)
	r.POST("/accreditamento/reinvio", w.onboardingResendSubmit)
}

// onboardingPageData is the Data of templates/pages/onboarding.html.
type onboardingPageData struct {
	// Kind narrows the list (tipo); Kinds are the choices, Groups the groups to start.
	Kind   string
	Kinds  []option
	Groups []option
	Rows   []onboardingRow
	// Key is a fresh idempotency key; each resend form suffixes it with its row.
	Key string
	// Started is the count of the start just made, shown with its outcome.
	Started *app.OnboardingStarted
}

type onboardingRow struct {
	store.Onboarding
	WorkflowLink string
}

func (w *Web) onboardingPage(c *gin.Context) { w.renderOnboarding(c, http.StatusOK, nil) }

func (w *Web) renderOnboarding(c *gin.Context, status int, failed *famiFailed) {
	kind := c.Query("tipo")
	rows, err := w.app.Onboardings(c.Request.Context(), actorOf(c), kind)
	if err != nil {
		if statusOf(err) == http.StatusForbidden {
			w.renderError(c, http.StatusForbidden, "web.onboarding.only_ust")
			return
		}
		w.fail(c, err) // a kind that is none: 422 with its reason
		return
	}
	p := onboardingPageData{Kind: kind, Key: newKey()}
	p.Kinds = append(p.Kinds, option{Value: "", Label: "Tutti"})
	for _, k := range app.OnboardingKinds {
		p.Kinds = append(p.Kinds, option{Value: string(k), Label: w.t("web.onboarding.kind." + string(k))})
	}
	for _, g := range []string{"schools", "hubs"} {
		p.Groups = append(p.Groups, option{Value: g, Label: w.t("web.onboarding.group." + g)})
	}
	for _, o := range rows {
		p.Rows = append(p.Rows, onboardingRow{Onboarding: o, WorkflowLink: w.workflowLink(onboardingWorkflowID(o.Org))})
	}
	if n := c.Query("avviati"); n != "" {
		started, _ := strconv.Atoi(n)
		already, _ := strconv.Atoi(c.Query("saltati"))
		p.Started = &app.OnboardingStarted{Started: started, Already: already}
		if s := c.Query("senza_indirizzo"); s != "" {
			p.Started.NoAddress = []string{s}
		}
		p.Started.SharedSchools, _ = strconv.Atoi(c.Query("condivise"))
		p.Started.SharedAddresses, _ = strconv.Atoi(c.Query("indirizzi_condivisi"))
	}
	v := w.famiView(c, p, failed)
	if e := c.Query("esito"); e != "" && w.catalog.Has("web.onboarding.outcome."+e) {
		v.Success = w.t("web.onboarding.outcome." + e)
	}
	w.render(c, status, "onboarding", v)
}

// onboardingWorkflowID is the onboarding workflow of an organisation's stored form.
func onboardingWorkflowID(org string) string {
	o, err := casework.ParseOrg(org)
	if err != nil {
		return ""
	}
	return workflows.OrgOnboardingWorkflowID(o)
}

// onboardingStartSubmit starts the onboarding of a group, then shows the page with the
// counts. Starting twice starts nothing twice: each organisation has one onboarding.
func (w *Web) onboardingStartSubmit(c *gin.Context) {
	get := formGetter(c, formOnboardingStart)
	res, err := w.app.StartOnboarding(c.Request.Context(), actorOf(c), get("group"))
	if err != nil {
		w.refuseOnboardingForm(c, formOnboardingStart, err)
		return
	}
	q := url.Values{"esito": {"avviato"}, "avviati": {strconv.Itoa(res.Started)}, "saltati": {strconv.Itoa(res.Already)}}
	if n := len(res.NoAddress); n > 0 {
		q.Set("senza_indirizzo", strconv.Itoa(n))
	}
	if res.SharedSchools > 0 {
		q.Set("condivise", strconv.Itoa(res.SharedSchools))
		q.Set("indirizzi_condivisi", strconv.Itoa(res.SharedAddresses))
	}
	redirect(c, "/accreditamento?"+q.Encode())
}

// onboardingResendSubmit asks an organisation's onboarding for new credentials, once per
// form key.
func (w *Web) onboardingResendSubmit(c *gin.Context) {
	get := formGetter(c, formOnboardingResend)
	if err := w.app.ResendCredentials(c.Request.Context(), actorOf(c), get("org"), get("key")); err != nil {
		w.refuseOnboardingForm(c, formOnboardingResend, err)
		return
	}
	redirect(c, "/accreditamento?esito=reinvio")
}

func (w *Web) refuseOnboardingForm(c *gin.Context, form string, err error) {
	r, ok := w.explain(err)
	if !ok {
		w.fail(c, err)
		return
	}
	failed := &famiFailed{Form: form, Alert: r.Alert, Errors: map[string]string{}, Values: map[string]string{}}
	for field, reason := range r.Fields {
		failed.Errors[form+"."+field] = reason
	}
	status := statusOf(err)
	if status == http.StatusForbidden {
		w.renderError(c, status, "web.onboarding.only_ust")
		return
	}
	w.renderOnboarding(c, status, failed)
}
