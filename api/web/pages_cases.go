package web

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/store"
)

// registerCasePages registers the case list, the case page and the new request form.
// The static paths (/casi/nuovo) win over the case's ID.
func (w *Web) registerCasePages(r gin.IRoutes) {
	r.GET("/casi", w.casesPage)
	r.GET("/casi/nuovo", w.newCasePage)
	r.POST("/casi/nuovo", w.newCaseSubmit)
	r.GET("/casi/:id", w.casePage)
}

// formState is a form re-shown after a refusal: why, which fields, what was typed.
type formState struct {
	Form   string // which form of the page failed, e.g. "proposta"
	Alert  string
	Errors map[string]string
	Values map[string]string
}

// casePage is the Data of the case page (templates/pages/case.html) and what the
// action partials (case_actions_<area>.html) receive: each partial gets the whole view,
// so it reads .CSRF, .Errors and .Values (a failed form's, field names as the form
// posted them, e.g. "ritiro.reason") and .Data, a casePage.
type casePage struct {
	// View is the case as the reader may see it, with its timeline.
	View app.CaseView
	// Now is the clock of the overdue flags.
	Now time.Time
	// Key is a fresh idempotency key (newKey()) rendered with this page; each form
	// carries it suffixed with its own name (printf "%s-ritiro" .Data.Key), so that two
	// forms of one page never share an Update ID.
	Key string
	// Comune, Hub, School and UST are what each area's action forms need (the values
	// comuneActions, hubActions, schoolActions and ustActions returned); nil: no form of
	// that area applies to this reader.
	Comune, Hub, School, UST any
	// Failed is the form that was refused, nil when none; its alert, errors and values
	// are also the view's.
	Failed *formState
	// Timeline is the case's events as the page shows them, oldest first.
	Timeline []timelineRow
}

// timelineRow is one event of the case, with its codes turned into labels.
type timelineRow struct {
	At     time.Time
	Kind   string
	Actor  string
	Hub    string
	School string
	Reason string
	Note   string
}

// timeline labels the events of a case.
func (w *Web) timeline(events []casework.Event) []timelineRow {
	rows := make([]timelineRow, len(events))
	for i, e := range events {
		row := timelineRow{At: e.At, Kind: w.label("web.cases.event", string(e.Kind)), School: e.School, Note: e.Note}
		if !e.Actor.IsZero() {
			row.Actor = orgName(e.Actor)
		}
		row.Hub = hubName(e.Hub)
		switch e.Kind {
		case casework.EventRejected:
			row.Reason = w.label("web.cases.rejection", e.Reason)
		case casework.EventWithdrawn:
			row.Reason = w.label("web.cases.withdrawal", e.Reason)
		case casework.EventEscalated, casework.EventRoutingFailed:
			row.Reason = w.label("web.cases.escalation", e.Reason)
		case casework.EventReminderSent:
			row.Reason = w.label("web.task", e.Reason)
		case casework.EventTransferred:
			if e.Reason != "" {
				row.Reason = "dal comune " + e.Reason
			}
		case casework.EventAmended:
			code, fields := casework.SplitAmendmentReason(e.Reason)
			labels := make([]string, len(fields))
			for i, f := range fields {
				labels[i] = w.requestLabel(f)
			}
			row.Reason = w.label("web.cases.amendment", code)
			if len(labels) > 0 {
				row.Reason += " (corretti: " + strings.Join(labels, ", ") + ")"
			}
		case casework.EventReassigned:
			if h := hubName(e.Reason); h != "" {
				row.Reason = "da " + h
			}
		default:
			row.Reason = e.Reason
		}
		rows[i] = row
	}
	return rows
}

// hubName names a hub in its stored form (cti:22); empty for none.
func hubName(stored string) string {
	if stored == "" {
		return ""
	}
	if org, err := casework.ParseOrg(stored); err == nil {
		return orgName(org)
	}
	return stored
}

// HubName names the case's hub; empty for none.
func (p casePage) HubName() string { return hubName(p.View.Case.Hub) }

// PlacementStart is the placement's first day, zero when there is none.
func (p casePage) PlacementStart() time.Time {
	if p.View.Case.Placement == nil {
		return time.Time{}
	}
	d, _ := time.ParseInLocation(time.DateOnly, p.View.Case.Placement.StartDate, rome)
	return d
}

// BirthDate is the minor's birth date, zero when unreadable.
func (p casePage) BirthDate() time.Time {
	d, _ := time.ParseInLocation(time.DateOnly, p.View.Case.MinorBirthDate, rome)
	return d
}

// Overdue reports whether the case's current task is past its deadline.
func (p casePage) Overdue() bool {
	return p.View.Case.Task != nil && p.View.Case.Task.Overdue(p.Now)
}

// FailedForm reports whether form is the one that was refused, for a partial that
// opens it (e.g. a collapsed section) when it comes back with errors.
func (p casePage) FailedForm(form string) bool { return p.Failed != nil && p.Failed.Form == form }

// casePage shows a case.
func (w *Web) casePage(c *gin.Context) {
	w.renderCase(c, c.Param("id"), http.StatusOK, nil)
}

// renderCase shows the case page of id, with a failed form's state when there is one
// (status 200 when there is none). The action handlers of every area call it. A case
// the reader may not see is the 404 page, as if it did not exist.
func (w *Web) renderCase(c *gin.Context, id string, status int, failed *formState) {
	ctx := c.Request.Context()
	actor := actorOf(c)
	v, err := w.app.Case(ctx, actor, id)
	if err != nil {
		var invalid *app.InvalidError
		if errors.As(err, &invalid) {
			// A malformed ID in the address is a page that does not exist.
			w.renderError(c, http.StatusNotFound, "web.error.not_found")
			return
		}
		w.fail(c, err)
		return
	}
	page := casePage{View: v, Now: w.app.Now(), Key: newKey(), Failed: failed, Timeline: w.timeline(v.Timeline)}
	for _, area := range []struct {
		into    *any
		actions func(*gin.Context, app.CaseView) (any, error)
	}{
		{&page.Comune, w.comuneActions}, {&page.Hub, w.hubActions},
		{&page.School, w.schoolActions}, {&page.UST, w.ustActions},
	} {
		data, err := area.actions(c, v)
		if err != nil {
			w.fail(c, err)
			return
		}
		*area.into = data
	}
	out := view{Data: page}
	if failed != nil {
		out.Alert, out.Errors, out.Values = failed.Alert, failed.Errors, failed.Values
	}
	if f, ok := page.Comune.(comuneForms); ok && f.Amend && (failed == nil || failed.Form != formAmend) {
		// The correction form starts from the request as it reads now, also when another
		// form of the page came back refused.
		values := maps.Clone(f.AmendValues)
		maps.Copy(values, out.Values)
		out.Values = values
	}
	w.render(c, status, "case", out)
}

// caseListPage is the Data of the list (templates/pages/cases.html).
type caseListPage struct {
	Rows    []caseRow
	Stages  []option
	Stage   string
	Overdue bool
	// Escalated keeps the cases escalated to UST. Hub, Comune and School are UST's
	// filters over the whole territory (Hubs are the hub select's options), the same the
	// JSON API's list has.
	Escalated            bool
	Hub, Comune, School  string
	Hubs                 []option
	ShowTerritoryFilters bool
	// Next is the address of the next page, empty on the last one.
	Next string
	// First is true when the page is the first (no cursor); FirstHref is the first page
	// with the same filters.
	First     bool
	FirstHref string
}

// caseRow is one case of the list: codes and dates only, no personal data.
type caseRow struct {
	store.CaseSummary
	Overdue bool
}

// HubName names the case's hub; empty for none.
func (r caseRow) HubName() string { return hubName(r.Hub) }

// casesPage lists the cases the organisation sees, newest first, filtered by stage and
// overdue, a page at a time.
func (w *Web) casesPage(c *gin.Context) {
	f := store.CaseFilter{Stage: casework.Stage(c.Query("fase")), Overdue: c.Query("scaduti") != "", After: c.Query("cursore"), Limit: 50}
	if f.Stage != "" && !slices.Contains(app.CaseStages, f.Stage) {
		f.Stage = ""
	}
	if c.Query("segnalati") != "" {
		escalated := true
		f.Escalated = &escalated
	}
	actor := actorOf(c)
	page := caseListPage{Stages: w.stageOptions(), Stage: string(f.Stage), Overdue: f.Overdue, Escalated: f.Escalated != nil,
		First: f.After == "", ShowTerritoryFilters: actor == casework.UST}
	if page.ShowTerritoryFilters {
		f.Hub, f.Comune, f.School = c.Query("hub"), strings.TrimSpace(c.Query("comune")), strings.ToUpper(strings.TrimSpace(c.Query("scuola")))
		page.Hub, page.Comune, page.School = f.Hub, f.Comune, f.School
		hubs, err := w.app.Hubs(c.Request.Context())
		if err != nil && !errors.Is(err, app.ErrNoReferenceData) {
			w.fail(c, err)
			return
		}
		for _, h := range hubs {
			page.Hubs = append(page.Hubs, option{Value: h.Org.String(), Label: h.Name})
		}
	}
	page.FirstHref = listHref(f, "")
	summaries, next, err := w.app.Cases(c.Request.Context(), actor, f)
	if err != nil {
		if r, ok := w.explain(err); ok {
			// A stale or tampered cursor, or a filter that names nothing: the first page
			// with why.
			page.First = true
			w.render(c, http.StatusUnprocessableEntity, "cases", view{Alert: r.Alert, Errors: r.Fields, Data: page})
			return
		}
		w.fail(c, err)
		return
	}
	now := w.app.Now()
	for _, s := range summaries {
		page.Rows = append(page.Rows, caseRow{CaseSummary: s, Overdue: s.Task != nil && s.Task.Overdue(now)})
	}
	if next != "" {
		page.Next = listHref(f, next)
	}
	w.render(c, http.StatusOK, "cases", view{Data: page})
}

// listHref is the address of a page of the list with f's filters, from cursor on.
func listHref(f store.CaseFilter, cursor string) string {
	q := url.Values{}
	if f.Stage != "" {
		q.Set("fase", string(f.Stage))
	}
	if f.Overdue {
		q.Set("scaduti", "1")
	}
	if f.Escalated != nil && *f.Escalated {
		q.Set("segnalati", "1")
	}
	for name, v := range map[string]string{"hub": f.Hub, "comune": f.Comune, "scuola": f.School} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if cursor != "" {
		q.Set("cursore", cursor)
	}
	if len(q) == 0 {
		return "/casi"
	}
	return "/casi?" + q.Encode()
}

// stageOptions are the stages for the list's filter, with their labels.
func (w *Web) stageOptions() []option {
	out := make([]option, len(app.CaseStages))
	for i, s := range app.CaseStages {
		out[i] = option{Value: string(s), Label: w.label("web.stage", string(s))}
	}
	return out
}

// levelOptions are the school levels, with their labels.
func (w *Web) levelOptions() []option {
	out := make([]option, len(enrolment.Levels))
	for i, l := range enrolment.Levels {
		out[i] = option{Value: string(l), Label: w.label("web.level", string(l))}
	}
	return out
}

// newKey is the idempotency key a rendered form carries, so that submitting the same
// form twice acts once (the Update ID of the action).
func newKey() string { return "web-" + uuid.NewString() }
