package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// The orientation service's pages: its interventions, the most urgent first, and an
// intervention with its timeline and the forms of each step (take charge, interview,
// plan with review dates, review, close). Notices link to /interventi/{id}.

func (w *Web) registerInterventionPages(r gin.IRoutes) {
	r.GET("/interventi", w.interventionsPage)
	r.GET("/interventi/:id", w.interventionPage)
	act := func(form, update, outcome string, parse famiInput) gin.HandlerFunc {
		return w.famiAction(app.SubjectIntervention, "/interventi/", form, update, outcome, parse, w.renderIntervention)
	}
	r.POST("/interventi/:id/presa-in-carico", act("carico", workflows.UpdateInterventionTakeCharge, "presa_in_carico", func(actor casework.Org, get func(string) string) (any, error) {
		if get("operator") == "" {
			return nil, app.Required("operator")
		}
		return workflows.InterventionTakeChargeInput{Actor: actor, Operator: get("operator"), Note: get("note")}, nil
	}))
	r.POST("/interventi/:id/colloquio", act("colloquio", workflows.UpdateInterventionInterview, "colloquio_intervento", func(actor casework.Org, get func(string) string) (any, error) {
		return workflows.InterventionInterviewInput{Actor: actor, Date: get("date"), WithFamily: checkbox(get("withFamily")), Note: get("note")}, nil
	}))
	r.POST("/interventi/:id/piano", act("piano", workflows.UpdateInterventionPlan, "piano", func(actor casework.Org, get func(string) string) (any, error) {
		return workflows.InterventionPlanInput{Actor: actor, Actions: lines(get("actions")), ReviewDates: reviewDates(get)}, nil
	}))
	r.POST("/interventi/:id/verifica", act("verifica", workflows.UpdateInterventionReview, "verifica", func(actor casework.Org, get func(string) string) (any, error) {
		return workflows.InterventionReviewInput{Actor: actor, Date: get("date"), Attending: get("attending") == "si", Note: get("note")}, nil
	}))
	r.POST("/interventi/:id/chiusura", act("chiusura", workflows.UpdateInterventionClose, "chiusura", func(actor casework.Org, get func(string) string) (any, error) {
		if get("outcome") == "" {
			return nil, app.Required("outcome")
		}
		return workflows.InterventionCloseInput{Actor: actor, Outcome: get("outcome"), Note: get("note")}, nil
	}))
}

// planReviewRows is how many review dates the plan form offers; blank ones are ignored.
const planReviewRows = 4

func reviewDates(get func(string) string) []string {
	var out []string
	for i := range planReviewRows {
		if d := get("review" + string(rune('1'+i))); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// lines splits a textarea into its non-blank lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// interventionRow is one intervention of the list.
type interventionRow struct {
	store.Intervention
	Overdue bool
}

// interventionListPage is the Data of templates/pages/interventions.html.
type interventionListPage struct {
	Rows    []interventionRow
	Stages  []option
	Stage   string
	Overdue bool
}

var interventionStages = []casework.InterventionStage{
	casework.InterventionAwaitingTakeCharge, casework.InterventionTakenInCharge, casework.InterventionInterviewed,
	casework.InterventionFollowingUp, casework.InterventionResolved, casework.InterventionSchoolChange, casework.InterventionDropout,
}

// interventionsPage lists the interventions, the tasks due soonest first.
func (w *Web) interventionsPage(c *gin.Context) {
	stage := casework.InterventionStage(c.Query("fase"))
	if !slices.Contains(interventionStages, stage) {
		stage = ""
	}
	f := store.InterventionFilter{Stage: stage, Overdue: c.Query("scaduti") != ""}
	list, err := w.app.Interventions(c.Request.Context(), actorOf(c), f, 200)
	if err != nil {
		w.fail(c, err)
		return
	}
	now := w.app.Now()
	p := interventionListPage{Stage: string(stage), Overdue: f.Overdue}
	for _, s := range interventionStages {
		p.Stages = append(p.Stages, option{string(s), w.label("web.fami.istage", string(s))})
	}
	for _, in := range list {
		p.Rows = append(p.Rows, interventionRow{Intervention: in, Overdue: in.Task != nil && in.Task.Overdue(now)})
	}
	w.render(c, http.StatusOK, "interventions", w.famiView(c, p, nil))
}

// interventionPageData is the Data of templates/pages/intervention.html.
type interventionPageData struct {
	In       store.Intervention
	Overdue  bool
	Key      string
	Outcomes []option
	Reviews  []int
	Failed   *famiFailed
}

// FailedForm reports whether form is the refused one.
func (p interventionPageData) FailedForm(form string) bool {
	return p.Failed != nil && p.Failed.Form == form
}

func (w *Web) interventionPage(c *gin.Context) {
	w.renderIntervention(c, c.Param("id"), http.StatusOK, nil)
}

// renderIntervention shows an intervention; one the reader may not see is the 404 page.
func (w *Web) renderIntervention(c *gin.Context, id string, status int, failed *famiFailed) {
	if app.CheckID(app.SubjectIntervention, id) != nil {
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
		return
	}
	in, err := w.app.Intervention(c.Request.Context(), actorOf(c), id)
	if err != nil {
		w.fail(c, err)
		return
	}
	w.render(c, status, "intervention", w.famiView(c, w.interventionData(in, failed), failed))
}

func (w *Web) interventionData(in store.Intervention, failed *famiFailed) interventionPageData {
	p := interventionPageData{In: in, Key: newKey(), Failed: failed, Overdue: in.Task != nil && in.Task.Overdue(w.app.Now())}
	for _, o := range casework.InterventionOutcomes {
		p.Outcomes = append(p.Outcomes, option{o, w.label("web.fami.istage", o)})
	}
	for i := range planReviewRows {
		p.Reviews = append(p.Reviews, i+1)
	}
	return p
}
