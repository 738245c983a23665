package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// onboardingStuckAfter is how long after the credentials were sent a comune that never
// logged in counts as stuck: the default interval of the onboarding's reminders
// (ONBOARDING_REMINDER_EVERY). The Temporal filter of the list finds the onboardings the
// workflow itself escalated.
const onboardingStuckAfter = 7 * 24 * time.Hour

// The supervisor's lists, in the order the page offers them: the value of tipo.
var supervisionLists = []string{"scaduti", "segnalati", "senza-hub", "pec-non-consegnate", "onboarding-fermi"}

// temporalFilter is the Temporal Web UI's List Filter that finds the same workflows as a
// list (see the README, "Finding cases in the Temporal Web UI"), at now.
func temporalFilter(list string, now time.Time) string {
	switch list {
	case "scaduti":
		return `WorkflowType="EnrolmentCase" AND ExecutionStatus="Running" AND Deadline < "` + now.UTC().Format(time.RFC3339) + `"`
	case "segnalati":
		return `WorkflowType="EnrolmentCase" AND Escalated=true`
	case "senza-hub":
		return `WorkflowType="EnrolmentCase" AND Stage="unrouted"`
	case "pec-non-consegnate":
		return `WorkflowType="DeliverNotification" AND Stage="not_delivered"`
	case "onboarding-fermi":
		return `WorkflowType="ComuneOnboarding" AND Escalated=true`
	}
	return ""
}

// workflowListLink is the Temporal Web UI's list of the workflows that match a List
// Filter; empty when the UI is not configured. The filter is escaped as a query value,
// spaces as %20 (the UI reads "+" as a plus in some versions).
func (w *Web) workflowListLink(filter string) string {
	if w.deps.TemporalUIURL == "" || filter == "" {
		return ""
	}
	ns := w.deps.TemporalNamespace
	if ns == "" {
		ns = "default"
	}
	return strings.TrimRight(w.deps.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(ns) + "/workflows?query=" +
		strings.ReplaceAll(url.QueryEscape(filter), "+", "%20")
}

// supervisionPage is the Data of the lists (templates/pages/supervision.html).
type supervisionPage struct {
	// List is the list shown (tipo); Lists every list, for the tabs.
	List  string
	Lists []option
	// TemporalLink is the same filter in the Temporal Web UI; empty when not configured.
	TemporalLink, TemporalFilter string
	// Cases are the cases of scaduti, segnalati and senza-hub; Notices and Onboardings
	// the rows of the other two.
	Cases       []supervisedCase
	Notices     []supervisedNotice
	Onboardings []supervisedOnboarding
	// Next is the next page of cases, empty on the last.
	Next string
	Now  time.Time
}

type supervisedCase struct {
	store.CaseSummary
	Overdue      bool
	WorkflowLink string
}

type supervisedNotice struct {
	store.UndeliveredNotice
	CaseWorkflowLink, WorkflowLink string
}

type supervisedOnboarding struct {
	store.StuckOnboarding
	WorkflowLink string
}

// supervisionPage shows one of UST's lists: the cases past their deadline, escalated or
// without a hub, the notices not delivered, the onboardings that stopped.
func (w *Web) supervisionPage(c *gin.Context) {
	ctx, reader, now := c.Request.Context(), actorOf(c), w.app.Now()
	list := c.DefaultQuery("tipo", supervisionLists[0])
	if temporalFilter(list, now) == "" {
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
		return
	}
	page := supervisionPage{List: list, Now: now, TemporalFilter: temporalFilter(list, now)}
	page.TemporalLink = w.workflowListLink(page.TemporalFilter)
	for _, l := range supervisionLists {
		page.Lists = append(page.Lists, option{Value: l, Label: w.t("web.ust.list." + l)})
	}
	switch list {
	case "scaduti", "segnalati", "senza-hub":
		f := store.CaseFilter{After: c.Query("cursore"), Limit: 100}
		switch list {
		case "scaduti":
			f.Overdue = true
		case "segnalati":
			yes := true
			f.Escalated = &yes
		case "senza-hub":
			f.Stage = casework.StageUnrouted
		}
		summaries, next, err := w.app.Cases(ctx, reader, f)
		if err != nil {
			w.fail(c, err)
			return
		}
		for _, s := range summaries {
			page.Cases = append(page.Cases, supervisedCase{CaseSummary: s, Overdue: s.Task != nil && s.Task.Overdue(now),
				WorkflowLink: w.workflowLink(enrolment.WorkflowID(s.ID))})
		}
		if next != "" {
			page.Next = "/monitoraggio/liste?" + url.Values{"tipo": {list}, "cursore": {next}}.Encode()
		}
	case "pec-non-consegnate":
		notices, err := w.app.UndeliveredNotices(ctx, reader)
		if err != nil {
			w.fail(c, err)
			return
		}
		for _, n := range notices {
			page.Notices = append(page.Notices, supervisedNotice{UndeliveredNotice: n,
				CaseWorkflowLink: w.workflowLink(enrolment.WorkflowID(n.CaseID)), WorkflowLink: w.workflowLink(activities.NoticeWorkflowID(n.Key))})
		}
	case "onboarding-fermi":
		stuck, err := w.app.StuckOnboardings(ctx, reader, onboardingStuckAfter)
		if err != nil {
			w.fail(c, err)
			return
		}
		for _, o := range stuck {
			page.Onboardings = append(page.Onboardings, supervisedOnboarding{StuckOnboarding: o,
				WorkflowLink: w.workflowLink(workflows.OnboardingWorkflowID(o.Comune))})
		}
	}
	w.render(c, http.StatusOK, "supervision", view{Data: page})
}
