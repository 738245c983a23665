package workflows

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/start"
)

// ReunificationWorkflowName is the registered name of a family's reunification journey.
const ReunificationWorkflowName = start.JourneyName

// The stages of a journey, in the Stage search attribute.
const (
	JourneyContacting         = "contacting"
	JourneyInterviewToArrange = "interview_to_arrange"
	JourneyInterviewScheduled = "interview_scheduled"
	JourneyAwaitingArrival    = "awaiting_arrival"
	JourneyEnrolling          = "enrolling"
	JourneyFollowingUp        = "following_up"
	JourneyClosed             = "closed"
)

// The Updates of a journey; the one-stop shop acts through them.
const (
	// UpdateJourneyRegister is UpdateRegister: the one-stop shop registers a family as a
	// comune registers a request.
	UpdateJourneyRegister  = UpdateRegister
	UpdateJourneyContact   = "record_contact"
	UpdateJourneySchedule  = "schedule_interview"
	UpdateJourneyInterview = "record_interview"
	UpdateJourneyArrival   = "record_arrival"
	UpdateJourneyPermesso  = "record_permesso"
	UpdateJourneyFollowUp  = "record_follow_up"
	// UpdateJourneyEnrolMember: after the arrival, the one-stop shop opens an enrolment
	// case for a member who has none, at the level the family asks (infanzia for a
	// toddler, say).
	UpdateJourneyEnrolMember = "enrol_member"
)

// memberEnrolmentChange is the GetVersion change ID of UpdateJourneyEnrolMember's
// handler. Registering the handler is not gated: a registration issues no command and
// writes no event, so a run that never receives the Update has the history it always had,
// and replays as before whatever code registers it. A run that did receive it was written
// by code that has the handler, which records this marker before its first command (the
// enrolment case it starts), so later changes to what the handler does can branch on it.
const memberEnrolmentChange = "member_enrolment"

// JourneyFiler is who files the enrolment cases a journey opens: the one-stop shop, which
// sees them with the comune of residence and, once routed, the hub.
var JourneyFiler = casework.Org{Kind: casework.OrgOneStopShop, Code: "reunification"}

// SignalChildOutcome is how an enrolment case opened by a journey tells it that the minor
// is enrolled, or that the case closed without a placement.
const SignalChildOutcome = "child-outcome"

// ChildOutcome is the argument of SignalChildOutcome.
type ChildOutcome struct {
	CaseID string
	Stage  casework.Stage
}

// The outcomes of a contact attempt; only "reached" counts as contact.
var contactOutcomes = []string{"reached", "no_answer", "wrong_number", "refused"}

// The support areas the team may follow after the orientation interview.
var supportAreas = []string{"legal", "school", "training_work", "family_support"}

// JourneyInput starts a journey.
type JourneyInput struct {
	JourneyID string
	// Source is who opened it: the Prefettura's integration or the one-stop shop.
	Source     casework.Org
	FamilyHash string
	Family     reunification.Family
	State      JourneyState
}

// JourneyState is where a journey stands, returned by the query "state".
type JourneyState struct {
	Stage    string
	Recorded bool
	// Registrations counts the register Updates: the first is 201, the others 200.
	Registrations   int
	Policy          *casework.JourneyPolicy `json:",omitempty"`
	StartedAt       time.Time
	FailedContacts  int       `json:",omitempty"`
	Interview       time.Time `json:",omitzero"`
	InterviewRemind bool      `json:",omitempty"`
	SupportAreas    []string  `json:",omitempty"`
	ArrivedOn       string    `json:",omitempty"`
	PermessoDue     time.Time `json:",omitzero"`
	PermessoDone    bool      `json:",omitempty"`
	NullaOstaExpiry time.Time `json:",omitzero"`
	// Children are the enrolment cases opened by the journey, by member: at arrival for
	// the school-age minors, afterwards for any minor the one-stop shop asks for.
	Children      []casework.JourneyChild `json:",omitempty"`
	FollowUpsDone int                     `json:",omitempty"`
	NextFollowUp  time.Time               `json:",omitzero"`
	Escalated     bool                    `json:",omitempty"`
	EscalationWhy string                  `json:",omitempty"`
	Timeline      []casework.JourneyEvent `json:",omitempty"`
	Seq           int64                   `json:",omitempty"`
	ContinuedRuns int                     `json:",omitempty"`
}

// Inputs of the journey's Updates.
type (
	JourneyContactInput struct {
		Actor   casework.Org
		Outcome string
		Note    string
	}
	JourneyScheduleInput struct {
		Actor casework.Org
		At    time.Time
	}
	JourneyInterviewInput struct {
		Actor        casework.Org
		Held         bool
		SupportAreas []string
		Note         string
	}
	JourneyArrivalInput struct {
		Actor casework.Org
		// Date is the day the family arrived, YYYY-MM-DD.
		Date string
	}
	JourneyPermessoInput struct {
		Actor casework.Org
		Date  string
	}
	JourneyFollowUpInput struct {
		Actor casework.Org
		Note  string
		// PlanComplete closes the journey: the team's support plan is done.
		PlanComplete bool
	}
	JourneyEnrolMemberInput struct {
		Actor casework.Org
		// Member is the member's index in the family as sent, as casework.JourneyChild
		// names it.
		Member int
		// Level is the school level sought, one of enrolment.Levels.
		Level string
		// Note is the team's, on the journey's timeline; the case does not carry it.
		Note string
	}
)

type journey struct {
	engine
	input JourneyInput
	state JourneyState
	// opening holds the members whose case is being started: a handler waits for the
	// start, and another Update for the same member must not pass meanwhile.
	opening map[int]bool
}

// JourneyActionResult answers every action Update of a journey: its stage after the
// action and the number of its newest event.
type JourneyActionResult = Result[string]

// answer is the answer of an action that ended with err: the journey as the action left
// it, after err was computed.
func (j *journey) answer(err error) (JourneyActionResult, error) {
	return JourneyActionResult{Stage: j.state.Stage, Seq: j.state.Seq}, err
}

// ReunificationJourneyWorkflow accompanies one family: contact, orientation interview,
// arrival within the nulla osta's validity, the permesso reminder, the enrolment of the
// school-age children as child workflows, and family-support follow-ups.
func ReunificationJourneyWorkflow(ctx workflow.Context, in JourneyInput) (JourneyState, error) {
	j := &journey{input: in, state: in.State}
	j.flow = j
	if err := j.setup(ctx); err != nil {
		return j.state, err
	}
	if !j.state.Recorded {
		if err := j.start(ctx); err != nil {
			return j.state, err
		}
	}
	return j.state, j.loop(ctx)
}

func (j *journey) setup(ctx workflow.Context) error {
	if err := setQuery(ctx, &j.state); err != nil {
		return err
	}
	err := setUpdates(ctx,
		handle(UpdateJourneyRegister, j.register, j.validateRegister),
		handle(UpdateJourneyContact, j.recordContact, j.validateContact),
		handle(UpdateJourneySchedule, j.scheduleInterview, j.validateScheduleInterview),
		handle(UpdateJourneyInterview, j.recordInterview, j.validateInterview),
		handle(UpdateJourneyArrival, j.recordArrival, j.validateArrival),
		handle(UpdateJourneyPermesso, j.recordPermesso, j.validatePermesso),
		handle(UpdateJourneyFollowUp, j.recordFollowUp, j.validateFollowUp),
		// Not gated by a version: see memberEnrolmentChange.
		handle(UpdateJourneyEnrolMember, j.enrolMember, j.validateEnrolMember),
	)
	if err != nil {
		return err
	}
	workflow.Go(ctx, j.listenForChildren)
	return nil
}

func (j *journey) validateRegister(_ workflow.Context, in RegisterInput) error {
	if in.RequestHash != j.input.FamilyHash {
		return temporal.NewApplicationError("reference already used for a different family", ErrTypeRequestConflict)
	}
	return nil
}

func (j *journey) register(ctx workflow.Context, _ RegisterInput) (RegisterResult, error) {
	if err := workflow.Await(ctx, func() bool { return j.state.Recorded }); err != nil {
		return RegisterResult{}, err
	}
	j.state.Registrations++
	return RegisterResult{CaseID: j.input.JourneyID, Created: j.state.Registrations == 1, Stage: j.state.Stage}, nil
}

// start fixes the policy and records the journey.
func (j *journey) start(ctx workflow.Context) error {
	var acts *activities.Journeys
	actx := workflow.WithActivityOptions(ctx, durableActivity)
	var policy casework.JourneyPolicy
	if err := workflow.ExecuteActivity(actx, acts.JourneyPolicy).Get(ctx, &policy); err != nil {
		return err
	}
	j.state.Policy = &policy
	j.state.StartedAt = workflow.Now(ctx)
	j.state.Stage = JourneyContacting
	if issued, err := j.day(ctx, j.input.Family.NullaOsta.IssuedOn); err == nil {
		j.state.NullaOstaExpiry = issued.Add(policy.NullaOstaValidity)
	}
	j.addEvent(ctx, casework.JourneyEvent{Kind: "opened", Actor: j.input.Source})
	if err := j.commit(ctx); err != nil {
		return err
	}
	j.state.Recorded = true
	return nil
}

func (j *journey) closed() bool { return j.state.Stage == JourneyClosed }

// nextRun continues the journey in a new run with its state (caseFlow).
func (j *journey) nextRun() (string, any) {
	next := j.input
	j.state.ContinuedRuns++
	next.State = j.state
	return ReunificationWorkflowName, next
}

// alarms are what the journey does on its own (caseFlow), in this order when several
// are due: check a lapsed nulla osta, recall the interview, check an overdue permesso,
// close after the longest duration, open the follow-up that is due.
func (j *journey) alarms() []alarm {
	s := &j.state
	var alarms []alarm
	if !s.NullaOstaExpiry.IsZero() && s.ArrivedOn == "" && s.EscalationWhy != "nulla_osta_expired" {
		alarms = append(alarms, alarm{at: s.NullaOstaExpiry, fire: func(ctx workflow.Context) error {
			// The nulla osta lapsed with nobody arrived: the team checks what happened.
			j.escalate("nulla_osta_expired")
			j.addEvent(ctx, casework.JourneyEvent{Kind: "nulla_osta_expired"})
			return j.commit(ctx)
		}})
	}
	if !s.Interview.IsZero() && !s.InterviewRemind && s.Stage == JourneyInterviewScheduled {
		alarms = append(alarms, alarm{at: s.Interview.Add(-s.Policy.InterviewReminder), fire: func(ctx workflow.Context) error {
			s.InterviewRemind = true
			j.addEvent(ctx, casework.JourneyEvent{Kind: "interview_reminder"})
			return j.commit(ctx)
		}})
	}
	if !s.PermessoDue.IsZero() && !s.PermessoDone && s.EscalationWhy != "permesso_overdue" {
		alarms = append(alarms, alarm{at: s.PermessoDue, fire: func(ctx workflow.Context) error {
			j.escalate("permesso_overdue")
			j.addEvent(ctx, casework.JourneyEvent{Kind: "permesso_overdue"})
			return j.commit(ctx)
		}})
	}
	if s.Stage == JourneyFollowingUp {
		alarms = append(alarms,
			alarm{at: s.StartedAt.Add(s.Policy.MaxDuration), fire: func(ctx workflow.Context) error { return j.close(ctx, "max_duration") }},
			alarm{at: s.NextFollowUp, fire: func(ctx workflow.Context) error {
				// The follow-up is due: the team records it; until then the next one waits.
				s.NextFollowUp = time.Time{}
				j.addEvent(ctx, casework.JourneyEvent{Kind: "follow_up_due"})
				return j.commit(ctx)
			}})
	}
	return alarms
}

// romeDaysChange is the GetVersion change ID of the journey's days (the nulla osta's
// issue, the arrival) turned into timers as days in Rome, like every other day of a case
// (see validate.go), instead of days in UTC, which put the nulla osta's expiry and the
// permesso's deadline one or two hours late. A journey whose history has no marker keeps
// its UTC days, and so its timers.
const romeDaysChange = "rome-days"

// day reads a day of the journey, YYYY-MM-DD, as its midnight in Rome, or in UTC for a
// journey that began before romeDaysChange. Ages are not counted with it: a birthday
// and the day of arrival are both plain dates, compared in UTC (see openEnrolments).
func (j *journey) day(ctx workflow.Context, value string) (time.Time, error) {
	if workflow.GetVersion(ctx, romeDaysChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return time.ParseInLocation(reunification.DateLayout, value, time.UTC)
	}
	return parseDay(value)
}

// Actions.

func (j *journey) actor(a casework.Org) error {
	if !j.state.Recorded {
		return wrongStage("il percorso non è ancora registrato")
	}
	// By organisation, not kind: a validator's rule, which the SDK does not run on replay.
	if a != casework.OneStopShop {
		return notAllowed("solo lo sportello unico segue il percorso della famiglia")
	}
	if j.state.Stage == JourneyClosed {
		return wrongStage("il percorso è chiuso")
	}
	return nil
}

func (j *journey) validateContact(_ workflow.Context, in JourneyContactInput) error {
	if err := j.actor(in.Actor); err != nil {
		return err
	}
	if j.state.Stage != JourneyContacting {
		return wrongStage("la famiglia è già stata contattata")
	}
	if !slices.Contains(contactOutcomes, in.Outcome) {
		return invalid("outcome", "deve essere reached, no_answer, wrong_number o refused")
	}
	return checkNote(in.Note, false)
}

func (j *journey) recordContact(ctx workflow.Context, in JourneyContactInput) (JourneyActionResult, error) {
	j.addEvent(ctx, casework.JourneyEvent{Kind: "contact_attempt", Actor: in.Actor, Reason: in.Outcome, Note: in.Note})
	if in.Outcome == "reached" {
		j.state.Stage = JourneyInterviewToArrange
		j.clearEscalation("contact_failed")
	} else {
		j.state.FailedContacts++
		if j.state.FailedContacts >= j.state.Policy.MaxContactAttempts && !j.state.Escalated {
			j.escalate("contact_failed")
			j.addEvent(ctx, casework.JourneyEvent{Kind: "escalated", Reason: "contact_failed"})
		}
	}
	return j.answer(j.commit(ctx))
}

func (j *journey) validateScheduleInterview(ctx workflow.Context, in JourneyScheduleInput) error {
	if err := j.actor(in.Actor); err != nil {
		return err
	}
	if j.state.Stage != JourneyInterviewToArrange && j.state.Stage != JourneyInterviewScheduled {
		return wrongStage("il colloquio si fissa dopo il primo contatto e prima di registrarlo")
	}
	now := workflow.Now(ctx)
	if !in.At.After(now) || in.At.After(now.AddDate(0, 6, 0)) {
		return invalid("at", "deve essere nei prossimi sei mesi")
	}
	return nil
}

func (j *journey) scheduleInterview(ctx workflow.Context, in JourneyScheduleInput) (JourneyActionResult, error) {
	j.state.Stage = JourneyInterviewScheduled
	j.state.Interview, j.state.InterviewRemind = in.At.UTC(), false
	j.addEvent(ctx, casework.JourneyEvent{Kind: "interview_scheduled", Actor: in.Actor})
	return j.answer(j.commit(ctx))
}

func (j *journey) validateInterview(_ workflow.Context, in JourneyInterviewInput) error {
	if err := j.actor(in.Actor); err != nil {
		return err
	}
	if j.state.Stage != JourneyInterviewScheduled {
		return wrongStage("non c'è un colloquio fissato")
	}
	for _, a := range in.SupportAreas {
		if !slices.Contains(supportAreas, a) {
			return invalid("supportAreas", "le aree sono legal, school, training_work, family_support")
		}
	}
	if in.Held && len(in.SupportAreas) == 0 {
		return invalid("supportAreas", "un colloquio svolto indica almeno un'area di supporto")
	}
	return checkNote(in.Note, false)
}

func (j *journey) recordInterview(ctx workflow.Context, in JourneyInterviewInput) (JourneyActionResult, error) {
	if !in.Held {
		// The family did not come: the interview is arranged again.
		j.state.Stage, j.state.Interview = JourneyInterviewToArrange, time.Time{}
		j.addEvent(ctx, casework.JourneyEvent{Kind: "interview_missed", Actor: in.Actor, Note: in.Note})
		return j.answer(j.commit(ctx))
	}
	j.state.SupportAreas = slices.Clone(in.SupportAreas)
	j.addEvent(ctx, casework.JourneyEvent{Kind: "interview_held", Actor: in.Actor, Note: in.Note})
	if j.state.ArrivedOn == "" {
		j.state.Stage = JourneyAwaitingArrival
		return j.answer(j.commit(ctx))
	}
	return j.answer(j.afterArrivalAndInterview(ctx))
}

func (j *journey) validateArrival(ctx workflow.Context, in JourneyArrivalInput) error {
	if err := j.actor(in.Actor); err != nil {
		return err
	}
	if j.state.ArrivedOn != "" {
		return wrongStage("l'arrivo è già registrato")
	}
	if err := checkHeldOn(ctx, "date", in.Date, ""); err != nil {
		return err
	}
	// The family travels with the nulla osta: an earlier day is a mistake (and year 0,
	// which Go parses, is no date PostgreSQL can store: the journey would stop saving).
	if issued := j.input.Family.NullaOsta.IssuedOn; validDay(issued) && in.Date < issued {
		return invalid("date", "non può precedere il rilascio del nulla osta")
	}
	return nil
}

// recordArrival opens the enrolment cases of the school-age children, as the schooling
// the law asks on the day they arrived (a minor who turned 16 meanwhile has the right
// and duty to education, still; one who turned 18 does not).
func (j *journey) recordArrival(ctx workflow.Context, in JourneyArrivalInput) (JourneyActionResult, error) {
	day, _ := time.Parse(reunification.DateLayout, in.Date)
	arrived, _ := j.day(ctx, in.Date)
	j.state.ArrivedOn = in.Date
	j.state.PermessoDue = arrived.AddDate(0, 0, j.state.Policy.PermessoDays)
	j.clearEscalation("nulla_osta_expired")
	j.addEvent(ctx, casework.JourneyEvent{Kind: "arrived", Actor: in.Actor})
	if err := j.openEnrolments(ctx, day); err != nil {
		return j.answer(err)
	}
	// The team reminds the family at once that the permesso application is due within
	// PermessoDays; past that the journey is escalated.
	j.addEvent(ctx, casework.JourneyEvent{Kind: "permesso_reminder"})
	if j.state.Stage == JourneyAwaitingArrival {
		return j.answer(j.afterArrivalAndInterview(ctx))
	}
	return j.answer(j.commit(ctx))
}

// openEnrolments starts an enrolment case for each school-age child, pre-filled from the
// journey, as a child workflow that outlives the journey.
func (j *journey) openEnrolments(ctx workflow.Context, arrived time.Time) error {
	for i, m := range j.input.Family.Members {
		born, err := time.Parse(reunification.DateLayout, m.BirthDate)
		if err != nil || m.Relation != reunification.RelationChild || reunification.SchoolingOn(born, arrived) == reunification.SchoolingNone {
			continue
		}
		class, ok := enrolment.SuggestClass(born, arrived)
		if !ok || j.hasCase(i) {
			continue
		}
		if err := j.openCase(ctx, i, class.Level); err != nil {
			return err
		}
		j.addEvent(ctx, casework.JourneyEvent{Kind: "enrolment_opened", Reason: string(class.Level)})
	}
	return nil
}

// openCase starts the enrolment case of member i at level, pre-filled from the journey
// (the sponsor as guardian, the residence, the family's language, origin
// family_reunification), as a child workflow that outlives the journey, and counts it
// among the journey's children. The request ID, and so the case, follows from the journey
// and the member: a member has at most one case from the journey.
func (j *journey) openCase(ctx workflow.Context, i int, level enrolment.Level) error {
	f := j.input.Family
	m := f.Members[i]
	req := enrolment.Request{
		RequestID: uuid.NewSHA1(uuid.MustParse(j.input.JourneyID), fmt.Appendf(nil, "member-%d", i)).String(),
		Comune:    f.Sponsor.Comune,
		Level:     level,
		Minor:     enrolment.Minor{GivenName: m.GivenName, FamilyName: m.FamilyName, BirthDate: m.BirthDate, Sex: m.Sex, Citizenship: m.Citizenship},
		Guardian: enrolment.Guardian{
			Name: f.Sponsor.GivenName + " " + f.Sponsor.FamilyName, Phone: f.Sponsor.Phone, Email: f.Sponsor.Email, PreferredLanguage: f.Language,
		},
		Residence: enrolment.Residence{Address: f.Sponsor.Address, Municipio: f.Sponsor.Municipio},
		Origin:    enrolment.OriginFamilyReunification,
	}
	if f.Language != "" {
		req.Languages = []string{f.Language}
	}
	filer := JourneyFiler.String()
	caseID := enrolment.CaseID(filer, req.RequestID)
	cctx := workflow.WithChildOptions(ctx, start.EnrolmentChild(caseID))
	// Hash marshals a struct to JSON, which is deterministic; workflowcheck sees only
	// encoding/json's reflection caches.
	hash := req.Hash() //workflowcheck:ignore
	if j.opening == nil {
		j.opening = map[int]bool{}
	}
	j.opening[i] = true
	defer delete(j.opening, i)
	child := workflow.ExecuteChildWorkflow(cctx, EnrolmentWorkflowName, EnrolmentInput{
		CaseID: caseID, FiledBy: filer, RequestHash: hash, Request: req,
	})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return err
	}
	j.state.Children = append(j.state.Children, casework.JourneyChild{Member: i, CaseID: caseID})
	return nil
}

// hasCase reports whether member i has an enrolment case from the journey, or one being
// started.
func (j *journey) hasCase(i int) bool {
	return j.opening[i] || slices.ContainsFunc(j.state.Children, func(c casework.JourneyChild) bool { return c.Member == i })
}

func (j *journey) validateEnrolMember(ctx workflow.Context, in JourneyEnrolMemberInput) error {
	if err := j.actor(in.Actor); err != nil {
		return err
	}
	if j.state.ArrivedOn == "" {
		return wrongStage("l'iscrizione di un familiare si chiede dopo l'arrivo della famiglia")
	}
	return j.checkMember(ctx, in)
}

// checkMember checks the member and the level of UpdateJourneyEnrolMember: a minor of the
// family as sent, without a case from the journey, and a school level.
func (j *journey) checkMember(ctx workflow.Context, in JourneyEnrolMemberInput) error {
	members := j.input.Family.Members
	if in.Member < 0 || in.Member >= len(members) {
		return invalid("member", fmt.Sprintf("non è un familiare del percorso (da 0 a %d)", len(members)-1))
	}
	if j.hasCase(in.Member) {
		return invalid("member", "ha già una richiesta di iscrizione aperta dal percorso")
	}
	born, err := time.Parse(reunification.DateLayout, members[in.Member].BirthDate)
	if err != nil || enrolment.AgeOn(born, workflow.Now(ctx)) >= enrolment.MaxAge {
		return invalid("member", fmt.Sprintf("l'iscrizione si chiede per un minore (meno di %d anni)", enrolment.MaxAge))
	}
	if !enrolment.Level(in.Level).Valid() {
		return invalid("level", "deve essere infanzia, primaria, secondaria_primo_grado, secondaria_secondo_grado o cpia")
	}
	return checkNote(in.Note, false)
}

// enrolMember opens the member's enrolment case at the level asked, as the arrival opens
// the school-age children's. The case counts among the journey's children: while the
// journey is enrolling, the follow-ups wait for it too.
func (j *journey) enrolMember(ctx workflow.Context, in JourneyEnrolMemberInput) (JourneyActionResult, error) {
	// Another Update for the same member may have been accepted before this handler ran:
	// only the first opens the case.
	if err := j.checkMember(ctx, in); err != nil {
		return j.answer(err)
	}
	if workflow.GetVersion(ctx, memberEnrolmentChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		// No code ever ran this handler without the marker; such a history changes nothing.
		return j.answer(wrongStage("azione non disponibile per questo percorso"))
	}
	if err := j.openCase(ctx, in.Member, enrolment.Level(in.Level)); err != nil {
		return j.answer(err)
	}
	j.addEvent(ctx, casework.JourneyEvent{Kind: "enrolment_requested", Actor: in.Actor, Reason: in.Level, Note: in.Note})
	return j.answer(j.commit(ctx))
}

// afterArrivalAndInterview moves on once the family is here and the interview held: to
// the children's enrolment, or straight to the follow-ups when no child needs a school.
func (j *journey) afterArrivalAndInterview(ctx workflow.Context) error {
	if j.childrenSettled() {
		j.startFollowUps(ctx)
	} else {
		j.state.Stage = JourneyEnrolling
	}
	return j.commit(ctx)
}

func (j *journey) childrenSettled() bool {
	for _, c := range j.state.Children {
		// A child whose minor already had an open case recorded nothing (minor.go): it is
		// settled too.
		if c.Stage != casework.StageEnrolled && !c.Stage.Closed() && c.Stage != StageDuplicate {
			return false
		}
	}
	return true
}

func (j *journey) startFollowUps(ctx workflow.Context) {
	j.state.Stage = JourneyFollowingUp
	j.state.NextFollowUp = workflow.Now(ctx).Add(j.state.Policy.FollowUpEvery)
	j.addEvent(ctx, casework.JourneyEvent{Kind: "follow_up_started"})
}

// listenForChildren takes the outcomes the enrolment cases report.
func (j *journey) listenForChildren(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalChildOutcome)
	for {
		var o ChildOutcome
		ch.Receive(ctx, &o)
		i := slices.IndexFunc(j.state.Children, func(c casework.JourneyChild) bool { return c.CaseID == o.CaseID })
		if i < 0 || j.state.Stage == JourneyClosed {
			continue
		}
		j.state.Children[i].Stage = o.Stage
		j.addEvent(ctx, casework.JourneyEvent{Kind: "child_" + string(o.Stage)})
		if j.state.Stage == JourneyEnrolling && j.childrenSettled() {
			j.startFollowUps(ctx)
		}
		if err := j.commit(ctx); err != nil {
			workflow.GetLogger(ctx).Error("Could not record a child's outcome", "JourneyID", j.input.JourneyID, "Error", err)
		}
	}
}

func (j *journey) validatePermesso(ctx workflow.Context, in JourneyPermessoInput) error {
	if err := j.actor(in.Actor); err != nil {
		return err
	}
	if j.state.ArrivedOn == "" || j.state.PermessoDone {
		return wrongStage("la domanda di permesso si registra dopo l'arrivo, una volta")
	}
	if !validDay(in.Date) || isFutureDay(ctx, in.Date) {
		return invalid("date", "è obbligatoria, nel formato AAAA-MM-GG, non nel futuro")
	}
	// The permesso is applied for in Italy, so not before the arrival.
	if arrived := j.state.ArrivedOn; validDay(arrived) && in.Date < arrived {
		return invalid("date", "non può precedere l'arrivo")
	}
	return nil
}

func (j *journey) recordPermesso(ctx workflow.Context, in JourneyPermessoInput) (JourneyActionResult, error) {
	j.state.PermessoDone = true
	j.clearEscalation("permesso_overdue")
	j.addEvent(ctx, casework.JourneyEvent{Kind: "permesso_applied", Actor: in.Actor})
	return j.answer(j.commit(ctx))
}

func (j *journey) validateFollowUp(_ workflow.Context, in JourneyFollowUpInput) error {
	if err := j.actor(in.Actor); err != nil {
		return err
	}
	if j.state.Stage != JourneyFollowingUp {
		return wrongStage("i colloqui di accompagnamento iniziano dopo l'iscrizione dei figli")
	}
	return checkNote(in.Note, false)
}

func (j *journey) recordFollowUp(ctx workflow.Context, in JourneyFollowUpInput) (JourneyActionResult, error) {
	j.state.FollowUpsDone++
	j.addEvent(ctx, casework.JourneyEvent{Kind: "follow_up", Actor: in.Actor, Note: in.Note})
	if in.PlanComplete {
		return j.answer(j.close(ctx, "plan_complete"))
	}
	if j.state.FollowUpsDone >= j.state.Policy.FollowUps {
		return j.answer(j.close(ctx, "follow_ups_done"))
	}
	j.state.NextFollowUp = workflow.Now(ctx).Add(j.state.Policy.FollowUpEvery)
	return j.answer(j.commit(ctx))
}

func (j *journey) close(ctx workflow.Context, reason string) error {
	j.state.Stage = JourneyClosed
	j.state.NextFollowUp = time.Time{}
	j.addEvent(ctx, casework.JourneyEvent{Kind: "closed", Reason: reason})
	return j.commit(ctx)
}

// Changes.

func (j *journey) escalate(reason string) {
	j.state.Escalated, j.state.EscalationWhy = true, reason
}

func (j *journey) clearEscalation(reason string) {
	if j.state.EscalationWhy == reason {
		j.state.Escalated, j.state.EscalationWhy = false, ""
	}
}

func (j *journey) addEvent(ctx workflow.Context, e casework.JourneyEvent) {
	j.state.Seq++
	e.Seq, e.At = j.state.Seq, workflow.Now(ctx)
	j.state.Timeline = append(j.state.Timeline, e)
}

// attributes are the journey's search attributes (caseFlow): codes only.
func (j *journey) attributes(workflow.Context) []temporal.SearchAttributeUpdate {
	updates := []temporal.SearchAttributeUpdate{
		searchattr.Stage.ValueSet(j.state.Stage),
		searchattr.ComuneIstat.ValueSet(j.input.Family.Sponsor.Comune),
		searchattr.Escalated.ValueSet(j.state.Escalated),
		searchattr.Origin.ValueSet(string(enrolment.OriginFamilyReunification)),
	}
	if due := nextWake(j.alarms()); due.IsZero() {
		updates = append(updates, searchattr.Deadline.ValueUnset())
	} else {
		updates = append(updates, searchattr.Deadline.ValueSet(due))
	}
	return updates
}

// noticeInput: a journey sends no notices of its own (the team works it from its page),
// so none is ever queued; a notice passed to its commit is a bug.
func (j *journey) noticeInput(n notice) activities.NotifyInput {
	panic("a reunification journey queues no notices: " + n.kind)
}

// save writes the projection with the newest event's number, so a late write changes
// nothing (caseFlow). The first, while the journey is not yet recorded, records it with
// its family, once.
func (j *journey) save(ctx workflow.Context, _ []activities.NotifyInput) error {
	var acts *activities.Journeys
	p := activities.JourneyProgress{
		JourneyID: j.input.JourneyID, Seq: j.state.Seq, Stage: j.state.Stage, Escalated: j.state.Escalated,
		EscalationReason: j.state.EscalationWhy, Deadline: nextWake(j.alarms()), ArrivedOn: j.state.ArrivedOn,
		SupportAreas: j.state.SupportAreas, Children: j.state.Children, Timeline: j.state.Timeline,
	}
	if !j.state.Recorded {
		p.Source, p.Family, p.FamilyHash, p.WorkflowID = j.input.Source, &j.input.Family, j.input.FamilyHash, workflow.GetInfo(ctx).WorkflowExecution.ID
	}
	return saveThenNotify(ctx, acts.SaveJourney, p, nil)
}
