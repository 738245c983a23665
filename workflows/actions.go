package workflows

import (
	"regexp"
	"slices"
	"strconv"

	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
)

// This file holds the people's actions on a case: one Update each, with a validator that
// turns away the wrong organisation, the wrong stage and wrong values before anything is
// written to the history. Validators only read the state; handlers change it first,
// before they wait on anything, so the next validator already sees the change.

func (c *enrolmentCase) setupActions(ctx workflow.Context) error {
	return setUpdates(ctx,
		handle(UpdatePropose, c.propose, c.validatePropose),
		handle(UpdateDecide, c.decide, c.validateDecide),
		handle(UpdateWithdrawProposal, c.withdrawProposal, c.validateWithdrawProposal),
		handle(UpdateReassign, c.reassign, c.validateReassign),
		handle(UpdateWithdraw, c.withdraw, c.validateWithdraw),
		handle(UpdateTransfer, c.transfer, c.validateTransfer),
		handle(UpdateConfirmAttendance, c.confirmAttendance, c.validateConfirmAttendance),
		handle(UpdateReportDropoutRisk, c.reportDropoutRisk, c.validateReportDropoutRisk),
		handle(UpdateAmend, c.amend, c.validateAmend),
		handle(UpdateEnrolDirectly, c.enrolDirectly, c.validateEnrolDirectly),
		handle(UpdateReportDuplicate, c.reportDuplicate, c.validateReportDuplicate),
	)
}

// ready turns away any action while the case is not open to people: before it is routed,
// while a change is half-way, and once it is closed.
func (c *enrolmentCase) ready() error {
	switch {
	case c.state.Stage.Closed():
		return wrongStage("il caso è chiuso")
	case c.busy:
		return wrongStage("il caso è in aggiornamento: riprovare tra qualche istante")
	case c.state.Policy == nil && !c.firstSlice:
		return wrongStage("il caso non è ancora stato assegnato: riprovare tra qualche istante")
	}
	return nil
}

func (c *enrolmentCase) result() ActionResult {
	return ActionResult{Stage: c.state.Stage, Seq: c.state.Seq}
}

// --- propose ---

func (c *enrolmentCase) validatePropose(_ workflow.Context, in ProposeInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	s := c.state
	if in.Actor != casework.UST && in.Actor != s.Hub {
		return notAllowed("solo l'hub competente (" + s.Hub.String() + ") o l'UST può proporre una scuola")
	}
	if s.Stage != casework.StageAwaitingProposal {
		return wrongStage("una scuola si propone solo quando il caso attende una proposta (stato attuale: " + string(s.Stage) + ")")
	}
	if in.Actor != casework.UST && s.Task != nil && s.Task.Owner == casework.UST {
		return notAllowed("raggiunto il limite di proposte per questo caso: decide l'UST")
	}
	level := s.Level
	if in.Level != "" {
		if !enrolment.Level(in.Level).Valid() {
			return invalid("level", "non è un livello scolastico valido")
		}
		level = in.Level
	}
	if err := checkYear(level, in.Year); err != nil {
		return err
	}
	if in.School == "" {
		return invalid("school", "è obbligatorio")
	}
	i := slices.IndexFunc(s.Territory, func(r activities.SchoolRef) bool { return r.Code == in.School })
	if i < 0 {
		return invalid("school", "non è una scuola del territorio dell'hub "+s.Hub.String())
	}
	if !slices.Contains(s.Territory[i].Levels, level) {
		return invalid("school", "non ha il livello "+level)
	}
	if slices.Contains(s.RejectedBy, in.School) && in.Actor != casework.UST {
		return invalid("school", "ha già rifiutato questo caso")
	}
	return checkNote(in.Note, false)
}

// checkYear checks a class year for level: 0 keeps the current one; infanzia and CPIA
// have no years.
func checkYear(level string, year int) error {
	if year == 0 {
		return nil
	}
	max := map[string]int{
		string(enrolment.LevelPrimaria):               5,
		string(enrolment.LevelSecondariaPrimoGrado):   3,
		string(enrolment.LevelSecondariaSecondoGrado): 5,
	}[level]
	if year < 1 || year > max {
		if max == 0 {
			return invalid("classYear", "non si indica per il livello "+level)
		}
		return invalid("classYear", "deve essere tra 1 e "+strconv.Itoa(max)+" per il livello "+level)
	}
	return nil
}

func (c *enrolmentCase) propose(ctx workflow.Context, in ProposeInput) (ActionResult, error) {
	s := &c.state
	if in.Level != "" && in.Level != s.Level {
		s.Level, s.Year = in.Level, 0
	}
	if in.Year != 0 {
		s.Year = in.Year
	}
	s.Proposal = &Proposal{School: in.School, Level: s.Level, Year: s.Year}
	s.ProposalCount++
	s.RoundProposals++
	s.Stage = casework.StageAwaitingDecision
	school := schoolOrg(in.School)
	c.openTask(ctx, casework.TaskDecideProposal, school, s.Policy.DecisionDays)
	c.addEvent(ctx, casework.Event{Kind: casework.EventProposed, Actor: in.Actor, Hub: s.Hub.String(), School: in.School, Note: in.Note})
	return c.result(), c.commit(ctx, c.notice("proposal", school))
}

// --- decide ---

var sectionPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,4}$`)

func (c *enrolmentCase) validateDecide(ctx workflow.Context, in DecideInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	s := c.state
	if s.Stage != casework.StageAwaitingDecision || s.Proposal == nil {
		return wrongStage("il caso non attende la decisione di una scuola (stato attuale: " + string(s.Stage) + ")")
	}
	if in.Actor != schoolOrg(s.Proposal.School) {
		return notAllowed("solo la scuola proposta (" + s.Proposal.School + ") può decidere")
	}
	if !in.Accept {
		if !slices.Contains(casework.RejectionReasons, in.Reason) {
			return invalid("reason", "deve essere uno tra: "+joinCodes(casework.RejectionReasons))
		}
		return checkNote(in.Note, in.Reason == "other")
	}
	if err := checkYear(s.Proposal.Level, in.Year); err != nil {
		return err
	}
	if !sectionPattern.MatchString(in.Section) {
		return invalid("section", "è obbligatoria: da 1 a 4 lettere o cifre, ad esempio «B»")
	}
	start, err := parseDay(in.StartDate)
	if err != nil {
		return invalid("startDate", "è obbligatoria, nel formato AAAA-MM-GG")
	}
	today := workflow.Now(ctx).In(calendar.Rome)
	if start.Before(today.AddDate(0, 0, -90)) || start.After(today.AddDate(1, 0, 0)) {
		return invalid("startDate", "deve essere tra 90 giorni fa e un anno da oggi")
	}
	return checkNote(in.Note, false)
}

func (c *enrolmentCase) decide(ctx workflow.Context, in DecideInput) (ActionResult, error) {
	s := &c.state
	proposal := *s.Proposal
	if !in.Accept {
		s.RejectedBy = append(s.RejectedBy, proposal.School)
		c.addEvent(ctx, casework.Event{Kind: casework.EventRejected, Actor: in.Actor, Hub: s.Hub.String(), School: proposal.School, Reason: in.Reason, Note: in.Note})
		c.openProposalTask(ctx)
		return c.result(), c.commit(ctx, c.notice("proposal_rejected", s.Hub))
	}
	year := proposal.Year
	if in.Year != 0 {
		year = in.Year
	}
	s.Year = year
	c.enrol(ctx, casework.Placement{School: proposal.School, Level: proposal.Level, Year: year, Section: in.Section, StartDate: in.StartDate})
	c.addEvent(ctx, casework.Event{Kind: casework.EventAccepted, Actor: in.Actor, Hub: s.Hub.String(), School: proposal.School, Note: in.Note})
	// The comune is told by PEC, the family in its language; the sender picks the channel
	// by recipient.
	return c.result(), c.commit(ctx,
		c.notice("placement_confirmed", c.comuneOrg()),
		c.notice("placement_confirmed", s.Hub),
		c.notice("placement_confirmed", schoolOrg(proposal.School)),
		c.notice("placement_confirmed", casework.Family))
}

// --- withdraw proposal ---

func (c *enrolmentCase) validateWithdrawProposal(_ workflow.Context, in WithdrawProposalInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	if in.Actor != casework.UST && in.Actor != c.state.Hub {
		return notAllowed("solo l'hub competente o l'UST può ritirare la proposta")
	}
	if c.state.Stage != casework.StageAwaitingDecision {
		return wrongStage("non c'è una proposta in attesa di decisione (stato attuale: " + string(c.state.Stage) + ")")
	}
	return checkNote(in.Note, false)
}

func (c *enrolmentCase) withdrawProposal(ctx workflow.Context, in WithdrawProposalInput) (ActionResult, error) {
	s := &c.state
	school := s.Proposal.School
	c.addEvent(ctx, casework.Event{Kind: casework.EventProposalWithdrawn, Actor: in.Actor, Hub: s.Hub.String(), School: school, Note: in.Note})
	// A withdrawn proposal is not a refusal: it does not count towards the limit.
	s.RoundProposals--
	c.openProposalTask(ctx)
	return c.result(), c.commit(ctx, c.notice("proposal_withdrawn", schoolOrg(school)))
}

// --- reassign ---

func (c *enrolmentCase) validateReassign(_ workflow.Context, in ReassignInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	s := c.state
	if in.Actor != casework.UST && (in.Actor != s.Hub || s.Hub.IsZero()) {
		return notAllowed("solo l'hub competente o l'UST può riassegnare il caso")
	}
	switch s.Stage {
	case casework.StageRegistered, casework.StageUnrouted, casework.StageAwaitingProposal:
	default:
		return wrongStage("il caso si riassegna solo prima che una scuola sia proposta (stato attuale: " + string(s.Stage) + ")")
	}
	if !in.Hub.IsHub() {
		return invalid("hub", "deve essere un CTI (cti:<ambito>) o un Polo START (polo_start:<codice>)")
	}
	if in.Hub == s.Hub {
		return invalid("hub", "è già l'hub del caso")
	}
	return checkNote(in.Note, false)
}

func (c *enrolmentCase) reassign(ctx workflow.Context, in ReassignInput) (ActionResult, error) {
	if c.firstSlice {
		// The case's history was written by the first slice: it takes the current code in
		// a new run, which routes it to this hub (see waitAsFirstSlice).
		c.state.RequestedHub = in.Hub
		c.changes++
		return c.result(), nil
	}
	c.busy = true
	route, err := c.route(ctx, in.Hub)
	c.busy = false
	if err != nil {
		c.changes++
		if isNoHub(err) {
			return ActionResult{}, invalid("hub", "non è un hub dei dati di riferimento")
		}
		return ActionResult{}, err
	}
	from := c.state.Hub
	c.setHub(route)
	c.addEvent(ctx, casework.Event{Kind: casework.EventReassigned, Actor: in.Actor, Hub: route.Hub.String(), Reason: from.String(), Note: in.Note})
	c.openProposalTask(ctx)
	return c.result(), c.commit(ctx, c.notice("case_assigned", route.Hub), c.notice("case_reassigned", from))
}

// --- withdraw ---

func (c *enrolmentCase) validateWithdraw(_ workflow.Context, in WithdrawInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	s := c.state
	if in.Actor != casework.UST && in.Actor != c.comuneOrg() && in.Actor != filer(c.input) {
		return notAllowed("solo il comune che ha presentato la richiesta o l'UST può ritirarla")
	}
	if c.leftBy(in.Actor) {
		return notAllowed("il caso è stato trasferito: lo ritira il comune di residenza attuale o l'UST")
	}
	switch s.Stage {
	case casework.StageRegistered, casework.StageUnrouted, casework.StageAwaitingProposal, casework.StageAwaitingDecision:
	default:
		return wrongStage("la richiesta si ritira solo prima dell'iscrizione (stato attuale: " + string(s.Stage) + ")")
	}
	if !slices.Contains(casework.WithdrawalReasons, in.Reason) {
		return invalid("reason", "deve essere uno tra: "+joinCodes(casework.WithdrawalReasons))
	}
	return checkNote(in.Note, in.Reason == "other")
}

func (c *enrolmentCase) withdraw(ctx workflow.Context, in WithdrawInput) (ActionResult, error) {
	s := &c.state
	school := c.currentSchool()
	s.Stage = casework.StageWithdrawn
	s.Proposal = nil
	s.closeTask()
	c.addEvent(ctx, casework.Event{Kind: casework.EventWithdrawn, Actor: in.Actor, Hub: s.Hub.String(), School: school, Reason: in.Reason, Note: in.Note})
	notices := []notice{c.notice("case_withdrawn", s.Hub)}
	if school != "" {
		notices = append(notices, c.notice("case_withdrawn", schoolOrg(school)))
	}
	return c.result(), c.commit(ctx, notices...)
}

// leftBy reports whether actor is a comune the case was transferred away from and that
// is not its comune now: such a comune still sees the case it filed, but may neither
// withdraw it nor move it back to itself; the comune of residence now, or UST, decides.
//
// This is a rule of the validators only, read from the timeline the state has always
// kept, so it needs no GetVersion: the SDK does not run validators on replay (an update
// accepted under the old rule replays as accepted) and a rejection writes no history.
func (c *enrolmentCase) leftBy(actor casework.Org) bool {
	if actor.Kind != casework.OrgComune || actor == c.comuneOrg() {
		return false
	}
	for _, e := range c.state.Timeline {
		if e.Kind == casework.EventTransferred && e.Reason == actor.Code {
			return true
		}
	}
	return false
}

// --- transfer ---

var comunePattern = regexp.MustCompile(`^015[0-9]{3}$`)

func (c *enrolmentCase) validateTransfer(_ workflow.Context, in TransferInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	s := c.state
	newComune := casework.Org{Kind: casework.OrgComune, Code: in.Comune}
	if in.Actor != casework.UST && in.Actor != c.comuneOrg() && in.Actor != newComune {
		return notAllowed("solo il comune di residenza, il nuovo comune o l'UST può trasferire il caso")
	}
	if c.leftBy(in.Actor) {
		return notAllowed("il caso è stato trasferito ad altro comune: lo può spostare il comune di residenza attuale o l'UST")
	}
	switch s.Stage {
	case casework.StageUnrouted, casework.StageAwaitingProposal, casework.StageAwaitingDecision, casework.StageEnrolled:
	default:
		return wrongStage("il caso non si può trasferire nello stato attuale (" + string(s.Stage) + ")")
	}
	if !comunePattern.MatchString(in.Comune) {
		return invalid("comune", "deve essere il codice ISTAT di un comune della Città Metropolitana (015…)")
	}
	switch {
	case in.Comune == enrolment.MilanoISTAT && (in.Municipio < 1 || in.Municipio > enrolment.MunicipiOfMilano):
		return invalid("municipio", "è obbligatorio per Milano: da 1 a 9")
	case in.Comune != enrolment.MilanoISTAT && in.Municipio != 0:
		return invalid("municipio", "si indica solo per Milano")
	case in.Comune == s.Comune && in.Municipio == s.Municipio:
		return invalid("comune", "è già il comune di residenza del caso")
	}
	return checkNote(in.Note, false)
}

func (c *enrolmentCase) transfer(ctx workflow.Context, in TransferInput) (ActionResult, error) {
	s := &c.state
	from := *s
	s.Comune, s.Municipio = in.Comune, in.Municipio
	c.busy = true
	route, err := c.route(ctx, casework.Org{})
	c.busy = false
	if err != nil && !isNoHub(err) {
		s.Comune, s.Municipio = from.Comune, from.Municipio
		c.changes++
		return ActionResult{}, err
	}
	previousSchool := c.currentSchool()
	// The move starts the placement over: the old proposal, placement and checks stay in
	// the timeline only.
	s.Proposal, s.Placement, s.FollowUps = nil, nil, nil
	c.addEvent(ctx, casework.Event{Kind: casework.EventTransferred, Actor: in.Actor, Hub: from.Hub.String(), School: previousSchool, Reason: from.Comune, Note: in.Note})
	notices := []notice{c.notice("case_transferred", from.Hub), c.notice("case_transferred", casework.Org{Kind: casework.OrgComune, Code: in.Comune})}
	if previousSchool != "" {
		notices = append(notices, c.notice("case_transferred", schoolOrg(previousSchool)))
	}
	if err != nil {
		c.unrouted(ctx)
		return c.result(), c.commit(ctx, append(notices, c.notice("case_unrouted", casework.UST))...)
	}
	c.setHub(route)
	c.addEvent(ctx, casework.Event{Kind: casework.EventRouted, Hub: route.Hub.String()})
	c.openProposalTask(ctx)
	if route.Hub != from.Hub {
		notices = append(notices, c.notice("case_assigned", route.Hub))
	}
	return c.result(), c.commit(ctx, notices...)
}

// --- confirm attendance ---

func (c *enrolmentCase) validateConfirmAttendance(_ workflow.Context, in AttendanceInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	s := c.state
	if s.Stage != casework.StageEnrolled || s.Task == nil || s.Task.Kind != casework.TaskConfirmAttendance {
		return wrongStage("nessuna verifica di frequenza è aperta per questo caso")
	}
	if in.Actor != s.Task.Owner {
		return notAllowed("solo la scuola di iscrizione (" + s.Task.Owner.Code + ") può confermare la frequenza")
	}
	return checkNote(in.Note, false)
}

func (c *enrolmentCase) confirmAttendance(ctx workflow.Context, in AttendanceInput) (ActionResult, error) {
	outcome := OutcomeAttending
	if !in.Attending {
		outcome = OutcomeNotAttending
	}
	err := c.closeFollowUp(ctx, outcome, in.Actor, in.Note)
	return c.result(), err
}
