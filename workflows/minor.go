package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/searchattr"
)

// This file holds one record per minor (issue 16). Before a case is recorded the worker
// looks for an open case of the same minor (the same codice fiscale, or the same names and
// birth date by internal/namematch); the API looks first, and the worker's look, under a
// lock, settles two filings that cross. What happens to the second filing:
//
//   - a school's direct enrolment closes the open case as enrolled in that school
//     (UpdateEnrolDirectly), instead of opening a second case;
//   - a comune's request is refused naming the open case when the comune may see it, and
//     otherwise reported on the open case to UST, which reconciles the two
//     (UpdateReportDuplicate);
//   - a case whose recording found the minor's open case closes at once, recording
//     nothing (closeAsDuplicate): its register Update answers with the open case.

const (
	// UpdateEnrolDirectly: a school registers as enrolled the minor of this open case;
	// the case closes its search for a school, enrolled in that school.
	UpdateEnrolDirectly = "enrol_directly"
	// UpdateReportDuplicate: an organisation that may not see this case filed a request
	// for its minor; the case is escalated to UST to reconcile the two.
	UpdateReportDuplicate = "report_duplicate"
)

// StageDuplicate is the Stage search attribute of a workflow that closed without
// recording a case, because its minor already had an open one. It is not a stage of any
// case: no case row has it.
const StageDuplicate = "duplicate"

// oneRecordChange is the GetVersion change ID of the commands of this file: its marker in
// a history says they were written by this version.
const oneRecordChange = "one-record-per-minor"

// EnrolDirectlyInput is the argument of UpdateEnrolDirectly.
type EnrolDirectlyInput struct {
	Actor casework.Org
	// Level is the level the school enrolled the minor in; Placement.School is the
	// school's own code.
	Level     string
	Placement DirectEnrolment
}

// ReportDuplicateInput is the argument of UpdateReportDuplicate.
type ReportDuplicateInput struct {
	Actor casework.Org
}

func (c *enrolmentCase) validateEnrolDirectly(ctx workflow.Context, in EnrolDirectlyInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	p := in.Placement
	if in.Actor.Kind != casework.OrgSchool || in.Actor.Code != p.School {
		return notAllowed("solo la scuola di iscrizione registra un'iscrizione diretta")
	}
	if c.firstSlice || c.state.Policy == nil {
		return wrongStage("il caso è stato aperto da una versione precedente: sarà aggiornabile dopo l'assegnazione a un hub")
	}
	switch c.state.Stage {
	case casework.StageUnrouted, casework.StageAwaitingProposal, casework.StageAwaitingDecision:
	default:
		return wrongStage("il minore risulta già iscritto (stato del caso: " + string(c.state.Stage) + ")")
	}
	if !enrolment.Level(in.Level).Valid() {
		return invalid("level", "non è un livello scolastico valido")
	}
	if err := checkYear(in.Level, p.Year); err != nil {
		return err
	}
	if !sectionPattern.MatchString(p.Section) {
		return invalid("section", "è obbligatoria: da 1 a 4 lettere o cifre, ad esempio «B»")
	}
	start, err := parseDay(p.StartDate)
	if err != nil {
		return invalid("startDate", "è obbligatoria, nel formato AAAA-MM-GG")
	}
	today := workflow.Now(ctx).In(calendar.Rome)
	if start.Before(today.AddDate(-1, 0, 0)) || start.After(today.AddDate(1, 0, 0)) {
		return invalid("startDate", "deve essere entro un anno da oggi, prima o dopo")
	}
	return nil
}

// enrolDirectly closes the search for a school: the minor is enrolled where the school
// says, as if the school had registered a direct enrolment, and is followed up like any
// other. A school proposed meanwhile is told its decision is no longer needed; the comune
// and the hub get the notice of a direct enrolment.
func (c *enrolmentCase) enrolDirectly(ctx workflow.Context, in EnrolDirectlyInput) (ActionResult, error) {
	workflow.GetVersion(ctx, oneRecordChange, workflow.DefaultVersion, 1)
	s := &c.state
	p := in.Placement
	var notices []notice
	if s.Proposal != nil && s.Proposal.School != p.School {
		notices = append(notices, c.notice("proposal_withdrawn", schoolOrg(s.Proposal.School)))
	}
	s.Level, s.Year = in.Level, p.Year
	c.enrol(ctx, casework.Placement{
		School: p.School, Level: in.Level, Year: p.Year, Section: p.Section, StartDate: p.StartDate, Direct: true,
	})
	c.addEvent(ctx, casework.Event{Kind: casework.EventEnrolledDirectly, Actor: in.Actor, School: p.School, Hub: s.Hub.String()})
	notices = append(notices, c.notice("direct_enrolment", c.comuneOrg()), c.notice("direct_enrolment", s.Hub))
	return c.result(), c.commit(ctx, notices...)
}

func (c *enrolmentCase) validateReportDuplicate(_ workflow.Context, in ReportDuplicateInput) error {
	if err := c.ready(); err != nil {
		return err
	}
	if c.firstSlice || c.state.Policy == nil {
		return wrongStage("il caso è stato aperto da una versione precedente: riprovare dopo l'assegnazione a un hub")
	}
	if in.Actor.IsZero() {
		return invalid("actor", "è obbligatorio")
	}
	return nil
}

// reportDuplicate records that another organisation filed the minor of this case and
// hands the two to UST: the case is escalated (possible_duplicate) and UST is told. UST
// reconciles them from the case page: a transfer, when the family moved to the comune
// that filed again; a correction, when the two are different minors (a codice fiscale
// added on both sides keeps them apart from then on).
func (c *enrolmentCase) reportDuplicate(ctx workflow.Context, in ReportDuplicateInput) (ActionResult, error) {
	workflow.GetVersion(ctx, oneRecordChange, workflow.DefaultVersion, 1)
	c.escalate(ctx, casework.EscalationPossibleDuplicate)
	c.addEvent(ctx, casework.Event{Kind: casework.EventDuplicateFiled, Actor: in.Actor, Hub: c.state.Hub.String()})
	return c.result(), c.commit(ctx, c.notice("duplicate_filed", casework.UST))
}

// closeAsDuplicate ends a workflow whose recording found an open case of its minor
// (existing): nothing was recorded, so it only says so in its Stage search attribute and
// lets the register Update answer with the open case.
func (c *enrolmentCase) closeAsDuplicate(ctx workflow.Context, existing string) (EnrolmentResult, error) {
	workflow.GetVersion(ctx, oneRecordChange, workflow.DefaultVersion, 1)
	c.state.DuplicateOf = existing
	c.state.Stage = casework.Stage(StageDuplicate)
	if err := workflow.UpsertTypedSearchAttributes(ctx, searchattr.Stage.ValueSet(StageDuplicate)); err != nil {
		return EnrolmentResult{}, err
	}
	workflow.GetLogger(ctx).Info("Enrolment request names the minor of an open case", "CaseID", c.input.CaseID, "OpenCaseID", existing)
	// A reunification journey that opened this case waits for its outcome: it is told
	// that the minor's case is another one, which settles this child.
	if parent := workflow.GetInfo(ctx).ParentWorkflowExecution; parent != nil {
		err := workflow.SignalExternalWorkflow(ctx, parent.ID, "", SignalChildOutcome, ChildOutcome{CaseID: c.input.CaseID, Stage: c.state.Stage}).Get(ctx, nil)
		if err != nil {
			workflow.GetLogger(ctx).Warn("The journey of the case could not be told its outcome", "CaseID", c.input.CaseID, "Error", err)
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return EnrolmentResult{}, err
	}
	return EnrolmentResult{Stage: c.state.Stage, DuplicateOf: existing}, nil
}
