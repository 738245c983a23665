package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// The one-stop shop's pages: its journeys, overdue first; a journey with its timeline and
// every step's form; and the referral of a family by a school or a territorial service.

func (w *Web) registerJourneyPages(r gin.IRoutes) {
	r.GET("/percorsi", w.journeysPage)
	r.GET("/percorsi/segnalazione", w.referralPage)
	r.POST("/percorsi/segnalazione", w.referralSubmit)
	r.GET("/percorsi/:id", w.journeyPage)
	page := w.renderJourney
	act := func(form, update, outcome string, parse famiInput) gin.HandlerFunc {
		return w.famiAction(app.SubjectJourney, "/percorsi/", form, update, outcome, parse, page)
	}
	r.POST("/percorsi/:id/contatto", act("contatto", workflows.UpdateJourneyContact, "contatto", func(actor casework.Org, get func(string) string) (any, error) {
		if get("outcome") == "" {
			return nil, app.Required("outcome")
		}
		return workflows.JourneyContactInput{Actor: actor, Outcome: get("outcome"), Note: get("note")}, nil
	}))
	r.POST("/percorsi/:id/colloquio-fissato", act("fissa", workflows.UpdateJourneySchedule, "colloquio_fissato", func(actor casework.Org, get func(string) string) (any, error) {
		at, err := time.ParseInLocation("2006-01-02T15:04", get("at"), rome)
		if err != nil {
			return nil, app.Invalid("at", "è obbligatoria: giorno e ora del colloquio")
		}
		return workflows.JourneyScheduleInput{Actor: actor, At: at}, nil
	}))
	r.POST("/percorsi/:id/colloquio", act("colloquio", workflows.UpdateJourneyInterview, "colloquio", func(actor casework.Org, get func(string) string) (any, error) {
		in := workflows.JourneyInterviewInput{Actor: actor, Held: get("held") == "si", Note: get("note")}
		for _, a := range journeySupportAreas {
			if checkbox(get("area-" + a)) {
				in.SupportAreas = append(in.SupportAreas, a)
			}
		}
		return in, nil
	}))
	r.POST("/percorsi/:id/arrivo", act("arrivo", workflows.UpdateJourneyArrival, "arrivo", func(actor casework.Org, get func(string) string) (any, error) {
		return workflows.JourneyArrivalInput{Actor: actor, Date: get("date")}, nil
	}))
	r.POST("/percorsi/:id/permesso", act("permesso", workflows.UpdateJourneyPermesso, "permesso", func(actor casework.Org, get func(string) string) (any, error) {
		return workflows.JourneyPermessoInput{Actor: actor, Date: get("date")}, nil
	}))
	r.POST("/percorsi/:id/iscrizione-familiare", act("iscrizione", workflows.UpdateJourneyEnrolMember, "iscrizione_familiare", func(actor casework.Org, get func(string) string) (any, error) {
		member, err := strconv.Atoi(get("member"))
		if err != nil {
			return nil, app.Invalid("member", "scegliere il familiare")
		}
		if get("level") == "" {
			return nil, app.Required("level")
		}
		return workflows.JourneyEnrolMemberInput{Actor: actor, Member: member, Level: get("level"), Note: get("note")}, nil
	}))
	r.POST("/percorsi/:id/follow-up", act("followup", workflows.UpdateJourneyFollowUp, "follow_up", func(actor casework.Org, get func(string) string) (any, error) {
		return workflows.JourneyFollowUpInput{Actor: actor, Note: get("note"), PlanComplete: checkbox(get("planComplete"))}, nil
	}))
}

// The journey's choices, as the workflow names them; their labels are in the catalog.
var (
	journeyContactOutcomes = []string{"reached", "no_answer", "wrong_number", "refused"}
	journeySupportAreas    = []string{"legal", "school", "training_work", "family_support"}
	journeyStages          = []string{workflows.JourneyContacting, workflows.JourneyInterviewToArrange, workflows.JourneyInterviewScheduled,
		workflows.JourneyAwaitingArrival, workflows.JourneyEnrolling, workflows.JourneyFollowingUp, workflows.JourneyClosed}
)

var yesNo = []option{{"si", "Sì"}, {"no", "No"}}

// journeyRow is one journey of the list.
type journeyRow struct {
	store.Journey
	Overdue bool
}

// journeyListPage is the Data of templates/pages/journeys.html.
type journeyListPage struct {
	Rows   []journeyRow
	Stages []option
	Stage  string
	// Next is the address of the next page, empty on the last.
	Next string
}

// journeysPage lists the one-stop shop's journeys: overdue ones first, then escalated,
// then by deadline.
func (w *Web) journeysPage(c *gin.Context) {
	stage := c.Query("fase")
	if !slices.Contains(journeyStages, stage) {
		stage = ""
	}
	journeys, next, err := w.app.Journeys(c.Request.Context(), actorOf(c), store.JourneyFilter{Stage: stage, After: c.Query("cursore"), Limit: 200})
	if err != nil {
		w.fail(c, err)
		return
	}
	p := journeyListPage{Stage: stage, Rows: journeyRows(journeys, w.app.Now())}
	for _, s := range journeyStages {
		p.Stages = append(p.Stages, option{s, w.label("web.fami.stage", s)})
	}
	if next != "" {
		p.Next = "/percorsi?cursore=" + next + "&fase=" + stage
	}
	w.render(c, http.StatusOK, "journeys", w.famiView(c, p, nil))
}

// journeyRows orders journeys for the worklist: overdue first, then escalated, then by
// deadline (none last).
func journeyRows(journeys []store.Journey, now time.Time) []journeyRow {
	rows := make([]journeyRow, len(journeys))
	for i, j := range journeys {
		rows[i] = journeyRow{Journey: j, Overdue: !j.Deadline.IsZero() && j.Deadline.Before(now) && j.Stage != workflows.JourneyClosed}
	}
	rank := func(r journeyRow) int {
		switch {
		case r.Overdue:
			return 0
		case r.Escalated:
			return 1
		case r.Stage == workflows.JourneyClosed:
			return 3
		}
		return 2
	}
	slices.SortStableFunc(rows, func(a, b journeyRow) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		switch {
		case a.Deadline.IsZero() && !b.Deadline.IsZero():
			return 1
		case !a.Deadline.IsZero() && b.Deadline.IsZero():
			return -1
		}
		return a.Deadline.Compare(b.Deadline)
	})
	return rows
}

// journeyPageData is the Data of templates/pages/journey.html.
type journeyPageData struct {
	J       store.Journey
	Members []journeyMember
	Overdue bool
	// Key is a fresh idempotency key; each form suffixes it with its name.
	Key             string
	ContactOutcomes []option
	SupportAreas    []option
	YesNo           []option
	// Enrolable are the minors without a case from the journey, once the family has
	// arrived: the one-stop shop may open one for them, at any level (Levels).
	Enrolable []option
	Levels    []option
	Failed    *famiFailed
	Today     string
}

// journeyMember is a member of the family with the enrolment case opened for them.
type journeyMember struct {
	Index                          int
	Name, BirthDate, Relation, Sex string
	CaseID                         string
	CaseStage                      string
}

// FailedForm reports whether form is the refused one.
func (p journeyPageData) FailedForm(form string) bool {
	return p.Failed != nil && p.Failed.Form == form
}

// HasArea reports whether the journey follows a support area.
func (p journeyPageData) HasArea(a string) bool { return slices.Contains(p.J.SupportAreas, a) }

func (w *Web) journeyPage(c *gin.Context) { w.renderJourney(c, c.Param("id"), http.StatusOK, nil) }

// renderJourney shows a journey, with a refused form's state; a journey the reader may
// not see is the 404 page.
func (w *Web) renderJourney(c *gin.Context, id string, status int, failed *famiFailed) {
	j, err := w.app.Journey(c.Request.Context(), actorOf(c), id)
	var invalid *app.InvalidError
	if errors.As(err, &invalid) {
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
		return
	}
	if err != nil {
		w.fail(c, err)
		return
	}
	w.render(c, status, "journey", w.famiView(c, w.journeyData(j, failed), failed))
}

func (w *Web) journeyData(j store.Journey, failed *famiFailed) journeyPageData {
	now := w.app.Now()
	p := journeyPageData{J: j, Key: newKey(), Failed: failed, Today: now.In(rome).Format(time.DateOnly),
		Overdue: !j.Deadline.IsZero() && j.Deadline.Before(now) && j.Stage != workflows.JourneyClosed}
	p.YesNo = yesNo
	for _, o := range journeyContactOutcomes {
		p.ContactOutcomes = append(p.ContactOutcomes, option{o, w.label("web.fami.contact", o)})
	}
	for _, a := range journeySupportAreas {
		p.SupportAreas = append(p.SupportAreas, option{a, w.label("web.fami.area", a)})
	}
	if j.Family != nil {
		for i, m := range j.Family.Members {
			jm := journeyMember{Index: i, Name: strings.TrimSpace(m.GivenName + " " + m.FamilyName), BirthDate: m.BirthDate,
				Relation: w.label("web.fami.relation", string(m.Relation)), Sex: m.Sex}
			for _, ch := range j.Children {
				if ch.Member == i {
					jm.CaseID, jm.CaseStage = ch.CaseID, string(ch.Stage)
				}
			}
			p.Members = append(p.Members, jm)
			if born, err := time.Parse(reunification.DateLayout, m.BirthDate); err == nil && jm.CaseID == "" && j.ArrivedOn != "" &&
				enrolment.AgeOn(born, now) < enrolment.MaxAge {
				p.Enrolable = append(p.Enrolable, option{strconv.Itoa(i), fmt.Sprintf("%s (nato/a il %s)", jm.Name, m.BirthDate)})
			}
		}
	}
	if len(p.Enrolable) > 0 {
		p.Levels = w.levelOptions()
	}
	return p
}

// The referral of a family by a school or a territorial service, for a family the
// Prefettura did not send. The journey opens with the one-stop shop as source (or the
// same family's journey is found, when the same reference and data were sent before);
// who referred, and where the team is asked to go, are written at the head of the
// family's notes, which only the one-stop shop reads.

func (w *Web) referralPage(c *gin.Context) {
	if actorOf(c).Kind != casework.OrgOneStopShop {
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
		return
	}
	p := w.newFamiliesPage()
	p.ReferralForm = true
	p.ReferralKinds = referralOptions
	w.render(c, http.StatusOK, "referral", w.famiView(c, p, nil))
}

func (w *Web) referralSubmit(c *gin.Context) {
	p := w.newFamiliesPage()
	p.ReferralForm = true
	p.ReferralKinds = referralOptions
	if actorOf(c).Kind != casework.OrgOneStopShop {
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
		return
	}
	f, rows, err := familyFromForm(c)
	if err == nil {
		err = referralNotes(c, &f)
	}
	if err == nil {
		var filed app.JourneyFiled
		filed, err = w.app.SendFamily(c.Request.Context(), actorOf(c), f)
		if err == nil {
			outcome := "segnalazione"
			if !filed.Created {
				outcome = "segnalazione_esistente"
			}
			redirect(c, "/percorsi/"+filed.ID+"?esito="+outcome)
			return
		}
	}
	w.refuseFamilyForm(c, "referral", p, rows, err)
}

// referralKinds are who may refer a family.
var referralKinds = []string{"school", "service"}

var referralOptions = []option{{"school", "Scuola"}, {"service", "Servizio territoriale"}}

// referralNotes puts who referred the family and where the team is asked to go at the
// head of the family's notes.
func referralNotes(c *gin.Context, f *reunification.Family) error {
	get := func(n string) string { return strings.TrimSpace(c.PostForm(n)) }
	kind, by, where := get("referral.kind"), get("referral.by"), get("referral.address")
	var fields []app.FieldError
	if !slices.Contains(referralKinds, kind) {
		fields = append(fields, app.FieldError{Field: "referral.kind", Reason: "scegliere scuola o servizio territoriale"})
	}
	if by == "" || len(by) > 200 {
		fields = append(fields, app.FieldError{Field: "referral.by", Reason: "è obbligatorio: chi segnala (al massimo 200 caratteri)"})
	}
	if where == "" || len(where) > 300 {
		fields = append(fields, app.FieldError{Field: "referral.address", Reason: "è obbligatorio: dove l'équipe è attesa (al massimo 300 caratteri)"})
	}
	if len(fields) > 0 {
		return &app.InvalidError{Fields: fields}
	}
	who := "Scuola"
	if kind == "service" {
		who = "Servizio territoriale"
	}
	head := fmt.Sprintf("Segnalazione — %s: %s. Recarsi presso: %s.", who, by, where)
	if f.Notes != "" {
		head += "\n" + f.Notes
	}
	f.Notes = head
	return nil
}
