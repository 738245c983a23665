package workflows

import (
	"errors"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
)

// This file holds the correction of a request (UpdateAmend). The comune of residence, or
// UST, corrects what was filed: a provisional codice fiscale that became definitive, a
// misspelt name, the birth date, the level, the municipio, the guardian's contacts. The
// app validates the corrected request exactly as a filing; the validator here checks who,
// when and that something changed.
//
// Who and when: the comune the case belongs to now (after a transfer, the new one) or
// UST, while the case is open and routed. Until enrolment every field may change; once
// the minor is enrolled the level and the municipio no longer do, because they would move
// a pupil who already sits in a class (that is a transfer, or a school change).

// amendChange is the GetVersion change ID of the correction: its marker in a case's
// history says which version of the commands below wrote it.
const amendChange = "amend"

// amendedFields names the fields of a request, as the API names them, with how to read
// each: what changed is recorded on the timeline by name, never by value.
var amendedFields = []struct {
	name string
	get  func(enrolment.Request) any
}{
	{"level", func(r enrolment.Request) any { return r.Level }},
	{"minor.givenName", func(r enrolment.Request) any { return r.Minor.GivenName }},
	{"minor.familyName", func(r enrolment.Request) any { return r.Minor.FamilyName }},
	{"minor.birthDate", func(r enrolment.Request) any { return r.Minor.BirthDate }},
	{"minor.sex", func(r enrolment.Request) any { return r.Minor.Sex }},
	{"minor.citizenship", func(r enrolment.Request) any { return r.Minor.Citizenship }},
	{"minor.codiceFiscale", func(r enrolment.Request) any { return r.Minor.CodiceFiscale }},
	{"languages", func(r enrolment.Request) any { return slices.Clone(r.Languages) }},
	{"priorSchooling.years", func(r enrolment.Request) any { return r.PriorSchooling.Years }},
	{"priorSchooling.lastClassAbroad", func(r enrolment.Request) any { return r.PriorSchooling.LastClassAbroad }},
	{"specialNeeds.present", func(r enrolment.Request) any { return r.SpecialNeeds.Present }},
	{"specialNeeds.note", func(r enrolment.Request) any { return r.SpecialNeeds.Note }},
	{"guardian.name", func(r enrolment.Request) any { return r.Guardian.Name }},
	{"guardian.phone", func(r enrolment.Request) any { return r.Guardian.Phone }},
	{"guardian.email", func(r enrolment.Request) any { return r.Guardian.Email }},
	{"guardian.preferredLanguage", func(r enrolment.Request) any { return r.Guardian.PreferredLanguage }},
	{"residence.address", func(r enrolment.Request) any { return r.Residence.Address }},
	{"residence.municipio", func(r enrolment.Request) any { return r.Residence.Municipio }},
	{"origin", func(r enrolment.Request) any { return r.Origin }},
	{"notes", func(r enrolment.Request) any { return r.Notes }},
}

// changedFields lists the names of the fields that differ between two requests.
func changedFields(was, now enrolment.Request) []string {
	var changed []string
	for _, f := range amendedFields {
		a, b := f.get(was), f.get(now)
		if la, ok := a.([]string); ok {
			if !slices.Equal(la, b.([]string)) {
				changed = append(changed, f.name)
			}
			continue
		}
		if a != b {
			changed = append(changed, f.name)
		}
	}
	return changed
}

// currentRequest is the request as the case holds it now: as filed or last corrected,
// with the comune, municipio and level the case has since moved to (a transfer, a hub's
// proposal). It is what the case page shows and the correction form starts from.
func (c *enrolmentCase) currentRequest() enrolment.Request {
	r := c.input.Request
	s := c.state
	if s.Comune != "" {
		r.Comune, r.Residence.Municipio = s.Comune, s.Municipio
	}
	if s.Level != "" {
		r.Level = enrolment.Level(s.Level)
	}
	return r
}

// reroutes reports whether a correction of these fields moves the case to another hub:
// the level and the municipio are what the routing rule reads.
func reroutes(changed []string) bool {
	return slices.Contains(changed, "level") || slices.Contains(changed, "residence.municipio")
}

func (c *enrolmentCase) validateAmend(ctx workflow.Context, in AmendInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	s := c.state
	if in.Actor != casework.UST && in.Actor != c.comuneOrg() {
		return notAllowed("solo il comune di residenza attuale (" + s.Comune + ") o l'UST può correggere la richiesta")
	}
	if s.Policy == nil {
		// A case of the first slice has neither its comune nor its level in the state.
		return wrongStage("il caso è stato aperto da una versione precedente: sarà correggibile dopo l'assegnazione a un hub")
	}
	switch s.Stage {
	case casework.StageUnrouted, casework.StageAwaitingProposal, casework.StageAwaitingDecision, casework.StageEnrolled:
	default:
		return wrongStage("la richiesta non si corregge nello stato attuale (" + string(s.Stage) + ")")
	}
	if !slices.Contains(casework.AmendmentReasons, in.Reason) {
		return invalid("reason", "deve essere uno tra: "+joinCodes(casework.AmendmentReasons))
	}
	if err := checkNote(in.Note, in.Reason == "other"); err != nil {
		return err
	}
	r := in.Request
	if r.RequestID != c.input.Request.RequestID {
		return invalid("requestId", "non si corregge: è quello della richiesta del caso")
	}
	if r.Comune != s.Comune {
		return invalid("comune", "non si corregge: se la famiglia si è trasferita, trasferire il caso")
	}
	// The app validated the request as a filing; the same rules again here keep a
	// caller that bypasses the app from writing a request no filing could. Validators
	// are not replayed, so what workflowcheck sees in them (the address and language
	// parsers' package state) cannot make a replay diverge.
	err := r.Validate(workflow.Now(ctx)) //workflowcheck:ignore
	if err != nil {
		var v *enrolment.ValidationError
		if errors.As(err, &v) && len(v.Fields) > 0 {
			return invalid(v.Fields[0].Field, v.Fields[0].Reason)
		}
		return invalid("request", "non è valida")
	}
	changed := changedFields(c.currentRequest(), r)
	if len(changed) == 0 {
		return invalid("request", "nessun campo è cambiato")
	}
	if s.Stage == casework.StageEnrolled {
		for _, f := range []string{"level", "residence.municipio"} {
			if slices.Contains(changed, f) {
				return invalid(f, "non si corregge dopo l'iscrizione: se la famiglia si è trasferita, trasferire il caso")
			}
		}
	}
	return nil
}

func (c *enrolmentCase) amend(ctx workflow.Context, in AmendInput) (ActionResult, error) {
	// The marker lets a later change of the commands below tell cases amended by this
	// version apart.
	workflow.GetVersion(ctx, amendChange, workflow.DefaultVersion, 1)
	s := &c.state
	changed := changedFields(c.currentRequest(), in.Request)
	reroute := reroutes(changed)
	c.input.Request = in.Request // carried over by continue-as-new with the input
	c.addEvent(ctx, casework.Event{
		Kind: casework.EventAmended, Actor: in.Actor, Hub: s.Hub.String(),
		Reason: casework.AmendmentReason(in.Reason, changed), Note: in.Note,
	})
	// Other actions wait until the case is routed again; the loop wakes at the commit.
	c.busy = true

	// The corrected request goes to the read model first, with the class its age
	// suggests when the birth date changed.
	var cases *activities.Cases
	var stored activities.AmendCaseResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, durableActivity), cases.AmendCase, activities.AmendCaseInput{
		CaseID: c.input.CaseID, Seq: s.Seq, Request: in.Request,
		Suggest: slices.Contains(changed, "minor.birthDate"),
	}).Get(ctx, &stored)
	if err != nil {
		c.busy = false
		c.changes++
		return ActionResult{}, err
	}

	var notices []notice
	school := c.currentSchool()
	if reroute {
		notices, err = c.rerouteAmended(ctx, in.Request)
		if err != nil {
			c.busy = false
			c.changes++
			return ActionResult{}, err
		}
	} else {
		notices = append(notices, c.notice("case_amended", s.Hub))
		if school != "" {
			notices = append(notices, c.notice("case_amended", schoolOrg(school)))
		}
	}
	// The class follows the age and the level until a school is proposed; after that it
	// is the hub's and the school's to choose.
	if (reroute || slices.Contains(changed, "minor.birthDate")) && s.Proposal == nil && s.Placement == nil {
		s.Year = 0
		if stored.SuggestedLevel == s.Level {
			s.Year = stored.SuggestedYear
		}
	}
	c.busy = false
	return c.result(), c.commit(ctx, notices...)
}

// rerouteAmended routes the case again after its level or municipio was corrected: a
// pending proposal is dropped (the school is told), and the hub the routing rule picks
// now gets a proposal task; when it is the same hub, its task goes on.
func (c *enrolmentCase) rerouteAmended(ctx workflow.Context, r enrolment.Request) ([]notice, error) {
	s := &c.state
	from := s.Hub
	s.Level, s.Municipio = string(r.Level), r.Residence.Municipio
	route, err := c.route(ctx, casework.Org{})
	if err != nil && !isNoHub(err) {
		return nil, err
	}
	var notices []notice
	dropped := false
	if s.Proposal != nil {
		notices = append(notices, c.notice("case_amended", schoolOrg(s.Proposal.School)))
		// The proposal is withdrawn, not refused: it does not count towards the limit.
		s.Proposal = nil
		s.RoundProposals--
		dropped = true
	}
	switch {
	case err != nil:
		c.unrouted(ctx)
		notices = append(notices, c.notice("case_reassigned", from), c.notice("case_unrouted", casework.UST))
	case route.Hub != from:
		c.setHub(route)
		c.addEvent(ctx, casework.Event{Kind: casework.EventRouted, Hub: route.Hub.String()})
		c.openProposalTask(ctx)
		notices = append(notices, c.notice("case_reassigned", from), c.notice("case_assigned", route.Hub))
	default:
		s.Territory, s.Ambito, s.Calendars = route.Territory, route.Ambito, route.Calendars
		if dropped || s.Stage != casework.StageAwaitingProposal {
			c.openProposalTask(ctx)
		}
		notices = append(notices, c.notice("case_amended", from))
	}
	return notices, nil
}
