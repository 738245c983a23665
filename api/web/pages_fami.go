package web

import (
	"errors"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
)

// The pages of the FAMI actors ("Lab Impact"): the Prefettura sends families (one by one
// or by file, pages_prefettura.go), the one-stop shop follows their journeys
// (pages_journeys.go), the orientation service its anti-dropout interventions
// (pages_interventions.go); and every organisation's admins manage its people and
// tokens (pages_admin.go). Their texts are in web.fami.it.toml (and web.admin.it.toml).

// registerFamiPages registers the FAMI actors' pages and the organisation page. Each
// page checks the organisation's kind through the app, which refuses the others.
func (w *Web) registerFamiPages(r gin.IRoutes) {
	w.registerPrefetturaPages(r)
	w.registerJourneyPages(r)
	w.registerInterventionPages(r)
	w.registerAdminPages(r)
}

// famiFailed is a form of a FAMI page re-shown after a refusal: which form, why, its
// wrong fields and what was typed (both by the form's own field names, "arrivo.date").
type famiFailed struct {
	Form   string
	Alert  string
	Errors map[string]string
	Values map[string]string
}

// famiInput builds an Update's input from a form's fields, for the acting organisation.
type famiInput func(actor casework.Org, get func(field string) string) (any, error)

// famiAction is the handler of one action form of a journey's or an intervention's page:
// the Update goes through app.Act with the form's idempotency key, then the browser goes
// back to the page with the outcome (Post/Redirect/Get), or the page is shown again with
// the form's refusal. The workflow's validator decides whether the action may be taken.
func (w *Web) famiAction(subject app.Subject, base, form, update, outcome string, parse famiInput,
	page func(c *gin.Context, id string, status int, failed *famiFailed)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("id")
		get := func(field string) string { return strings.TrimSpace(c.PostForm(form + "." + field)) }
		err := w.app.Act(c.Request.Context(), actorOf(c), app.Action{
			Subject: subject, ID: id, Key: c.PostForm("key"), Update: update,
			Input: func(actor casework.Org) (any, error) { return parse(actor, get) },
		})
		if err == nil {
			redirect(c, base+id+"?esito="+outcome)
			return
		}
		var notFound *app.NotFoundError
		r, ok := w.explain(err)
		if !ok || errors.As(err, &notFound) {
			w.fail(c, err)
			return
		}
		page(c, id, statusOf(err), w.famiRefusal(c, form, r))
	}
}

// famiRefusal is the state of a refused form: the app's field names prefixed with the
// form's, and the form's own fields as posted.
func (w *Web) famiRefusal(c *gin.Context, form string, r refusal) *famiFailed {
	f := &famiFailed{Form: form, Alert: r.Alert, Errors: map[string]string{}, Values: map[string]string{}}
	for field, reason := range r.Fields {
		if form == "" {
			f.Errors[field] = reason
		} else {
			f.Errors[form+"."+field] = reason
		}
	}
	_ = c.Request.ParseForm()
	for name, vs := range c.Request.PostForm {
		if name != "csrf" && name != "key" && len(vs) > 0 {
			f.Values[name] = vs[0]
		}
	}
	return f
}

// famiView is a FAMI page's view: the failed form's state, and the outcome of the
// action that redirected here (?esito=<key>, a web.fami.outcome.* message).
func (w *Web) famiView(c *gin.Context, data any, failed *famiFailed) view {
	v := view{Data: data}
	if failed != nil {
		v.Alert, v.Errors, v.Values = failed.Alert, failed.Errors, failed.Values
	}
	if e := c.Query("esito"); e != "" && w.catalog.Has("web.fami.outcome."+e) {
		v.Success = w.t("web.fami.outcome." + e)
	}
	return v
}

// checkbox reads a form's checkbox.
func checkbox(v string) bool { return v == "1" || v == "on" || v == "true" || v == "si" }
