package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/start"
)

// EnrolmentWorkflowName is the registered type name of the enrolment case workflow: its
// starter's (internal/start), fixed rather than derived from the Go function name, so
// renaming the function cannot orphan running cases.
const EnrolmentWorkflowName = start.EnrolmentName

// UpdateRegister is the Update through which a filer registers a request on its case. The
// API sends it together with the start (update-with-start), so a request is answered only
// once the case is durably recorded, and a repeated request is answered from the same case.
const UpdateRegister = "register"

// QueryState is the Query that returns the case's State: its stage, the task it waits
// on with the deadline, and its timeline.
const QueryState = "state"

// ErrTypeRequestConflict is the application error type of a register Update whose request
// differs from the one that opened the case: the caller reused a request ID.
const ErrTypeRequestConflict = "RequestConflict"

// The first stages of a case, as plain strings for the callers that set the Stage search
// attribute before the workflow runs. The others are in casework.
const (
	StageReceived   = string(casework.StageReceived)
	StageRegistered = string(casework.StageRegistered)
)

// routingChange is the GetVersion change ID of everything after registration: routing,
// proposals, deadlines and follow-up. Cases registered by the first slice, whose history
// has no marker for it, keep waiting as they did until something moves them on; see
// waitAsFirstSlice.
const routingChange = "routing"

// recordInFirstTaskChange is the GetVersion change ID of a new case recorded by a local
// activity in its first workflow task, which then does everything the second did: the
// register Update, which the API's filing waits for, completes in the first task, and
// the case costs a workflow task and a scheduled activity less (3 workflow tasks and 30
// events from filing to acceptance instead of 4 and 35). Its version implies leanChange,
// which such a case never asks.
//
// It is asked first thing in a new case's first task. A history without its marker was
// written by code that scheduled the recording and asked leanChange after it (or the
// four changes before leanChange), and replays so.
//
// The marker sits in the first task, whose version markers the SDK reads before the
// workflow's input; payloadcrypt.DataConverter accepts a sealed payload anywhere, and an
// unsealed one only in a workflow whose input it has read, started before
// TEMPORAL_PAYLOAD_PLAIN_BEFORE. Every worker with this code seals (TEMPORAL_PAYLOAD_KEY
// is required), so the markers of this path are always sealed, even in a workflow started
// unsealed before the cutoff whose first task it runs; a workflow written before sealing
// was written by older code, whose first task holds no marker.
// TestANewCaseRecordedInItsFirstTaskReplaysSealed checks it.
const recordInFirstTaskChange = "record-in-first-task"

// EnrolmentInput starts an enrolment case.
type EnrolmentInput struct {
	CaseID      string
	FiledBy     string
	RequestHash string
	Request     enrolment.Request
	// Direct is set when a school registers a minor it enrolled on its own.
	Direct *DirectEnrolment `json:",omitempty"`
	// State is carried over by continue-as-new; zero for a new case.
	State State
}

// EnrolmentResult is what a closed case returns.
type EnrolmentResult struct {
	Stage casework.Stage
	// DuplicateOf is the open case of the same minor that the recording found; nothing
	// was recorded for this request (see minor.go).
	DuplicateOf string `json:",omitempty"`
}

// State is the progress of a case, returned by QueryState and carried across
// continue-as-new.
type State struct {
	Stage         casework.Stage
	Recorded      bool
	Registrations int
	// DuplicateOf is set instead of Recorded when the minor already had an open case:
	// that case's ID (see minor.go).
	DuplicateOf string `json:",omitempty"`

	// RequestedHub is the hub UST assigned to a case registered by the first slice, for the
	// new run to route it to.
	RequestedHub casework.Org `json:",omitzero"`

	// Policy is the deadlines and limits the case follows, fixed when it was routed.
	Policy *casework.Policy `json:",omitempty"`
	// Comune, Municipio, Level and Year are where the minor lives and the class sought;
	// a transfer changes the first two, a proposal may change the others.
	Comune    string `json:",omitempty"`
	Municipio int    `json:",omitempty"`
	Level     string `json:",omitempty"`
	// Year is the class: suggested from the age when the case is recorded, changed by the
	// hub's proposal or the school's acceptance.
	Year int `json:",omitempty"`
	// Hub is the competent hub; Territory, the schools it may propose.
	Hub       casework.Org           `json:",omitzero"`
	HubName   string                 `json:",omitempty"`
	Territory []activities.SchoolRef `json:",omitempty"`
	// Ambito is the ambito territoriale of the comune, set by each routing (empty for a
	// case routed before routing told it), for the Ambito search attribute.
	Ambito string `json:",omitempty"`
	// Calendars are the local calendars of the hub and of its territory's schools, set by
	// each routing (nil for a case routed before routing told them: its deadlines keep
	// the policy's LocalHolidays).
	Calendars *casework.Calendars `json:",omitempty"`
	// Proposal is the school waiting to decide.
	Proposal      *Proposal `json:",omitempty"`
	ProposalCount int       `json:",omitempty"`
	// RoundProposals counts the proposals of the current hub assignment, for the limit;
	// RejectedBy lists the schools that rejected in it.
	RoundProposals int      `json:",omitempty"`
	RejectedBy     []string `json:",omitempty"`
	// Desk is the task the case waits for (nil when it waits for nobody) and its
	// escalation.
	Desk
	Placement   *casework.Placement `json:",omitempty"`
	FollowUps   []FollowUp          `json:",omitempty"`
	DropoutRisk bool                `json:",omitempty"`
	// ParentTold is set once a case opened by a reunification journey has told it its
	// outcome (enrolled, or closed without a placement).
	ParentTold bool `json:",omitempty"`
	// SchoolReports counts the school's own reports of dropout risk.
	SchoolReports int `json:",omitempty"`
	// Timeline is every event of the case; Seq is the number of the newest.
	Timeline []casework.Event `json:",omitempty"`
	Seq      int64            `json:",omitempty"`
}

// Proposal is a school proposed by the hub, with the class.
type Proposal struct {
	School string
	Level  string
	Year   int
}

// FollowUp is one attendance check after the start date.
type FollowUp struct {
	Due time.Time
	// Outcome is empty until answered: attending, not_attending or no_answer.
	Outcome string `json:",omitempty"`
}

// The outcomes of a follow-up check.
const (
	OutcomeAttending    = "attending"
	OutcomeNotAttending = "not_attending"
	OutcomeNoAnswer     = "no_answer"
)

// RegisterInput is the argument of UpdateRegister.
type RegisterInput struct {
	RequestHash string
}

// RegisterResult answers UpdateRegister.
type RegisterResult struct {
	CaseID string
	// Created is true only for the first registration: the API answers it with 201 and
	// every repetition with 200.
	Created bool
	Stage   string
	// DuplicateOf is the open case of the same minor, when this request recorded nothing
	// because of it (see minor.go).
	DuplicateOf string `json:",omitempty"`
}

// durableActivity retries without an attempt limit: a case must not be lost or stuck
// because the database was down for a while, and every activity is idempotent.
var durableActivity = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    5 * time.Minute,
	},
}

// EnrolmentWorkflow runs one enrolment case.
func EnrolmentWorkflow(ctx workflow.Context, in EnrolmentInput) (EnrolmentResult, error) {
	c := &enrolmentCase{input: in, state: in.State}
	c.flow = c
	if c.state.Stage == "" {
		c.state.Stage = casework.StageReceived
	}
	if err := c.setup(ctx); err != nil {
		return EnrolmentResult{}, err
	}
	return c.run(ctx)
}

type enrolmentCase struct {
	engine
	input EnrolmentInput
	state State
	// firstSlice is set when the case runs the first slice's code (see waitAsFirstSlice).
	firstSlice bool
	// leanVersion is the case's version of leanChange, once asked (see lean).
	leanVersion *workflow.Version
}

func (c *enrolmentCase) setup(ctx workflow.Context) error {
	if err := setQuery(ctx, &c.state); err != nil {
		return err
	}
	// The register Update comes with the start: it is registered before the listeners
	// start, as it always was, since registering runs it at once.
	if err := setUpdates(ctx, handle(UpdateRegister, c.register, c.validateRegister)); err != nil {
		return err
	}
	workflow.Go(ctx, c.listenForUndeliveredNotices)
	workflow.Go(ctx, c.listenForSchoolChanges)
	return c.setupActions(ctx)
}

// listenForUndeliveredNotices records each notice of the case that did not reach its
// recipient, escalates the case and alerts UST: a comune that never got the PEC of a
// placement must be told another way.
func (c *enrolmentCase) listenForUndeliveredNotices(ctx workflow.Context) {
	undelivered := workflow.GetSignalChannel(ctx, SignalNoticeUndelivered)
	for {
		var n NoticeUndelivered
		undelivered.Receive(ctx, &n)
		if !c.state.Recorded || c.firstSlice || c.state.Policy == nil {
			continue // a case this old sent no notices
		}
		c.escalate(ctx, casework.EscalationNoticeUndelivered)
		c.addEvent(ctx, casework.Event{Kind: casework.EventNoticeUndelivered, Reason: n.Kind, Note: n.Reason})
		if err := c.commit(ctx, c.notice("notice_undelivered", casework.UST)); err != nil {
			workflow.GetLogger(ctx).Error("Could not record an undelivered notice", "CaseID", c.input.CaseID, "Error", err)
		}
	}
}

// validateRegister rejects a request that differs from the one that opened the case. A
// rejection leaves no trace in the history.
func (c *enrolmentCase) validateRegister(_ workflow.Context, in RegisterInput) error {
	if in.RequestHash != c.input.RequestHash {
		return temporal.NewApplicationError("request ID already used for a different request", ErrTypeRequestConflict)
	}
	return nil
}

func (c *enrolmentCase) register(ctx workflow.Context, _ RegisterInput) (RegisterResult, error) {
	if err := workflow.Await(ctx, func() bool { return c.state.Recorded || c.state.DuplicateOf != "" }); err != nil {
		return RegisterResult{}, err
	}
	if c.state.DuplicateOf != "" {
		return RegisterResult{CaseID: c.input.CaseID, Stage: StageDuplicate, DuplicateOf: c.state.DuplicateOf}, nil
	}
	c.state.Registrations++
	return RegisterResult{CaseID: c.input.CaseID, Created: c.state.Registrations == 1, Stage: string(c.state.Stage)}, nil
}

func (c *enrolmentCase) run(ctx workflow.Context) (EnrolmentResult, error) {
	logger := workflow.GetLogger(ctx)
	if !c.state.Recorded {
		var cases *activities.Cases
		var recorded activities.RecordCaseResult
		in := activities.RecordCaseInput{
			CaseID:      c.input.CaseID,
			WorkflowID:  workflow.GetInfo(ctx).WorkflowExecution.ID,
			FiledBy:     c.input.FiledBy,
			RequestHash: c.input.RequestHash,
			Request:     c.input.Request,
			Stage:       StageRegistered,
		}
		var err error
		if workflow.GetVersion(ctx, recordInFirstTaskChange, workflow.DefaultVersion, 1) >= 1 {
			// Implies leanChange, which is then never asked: each marker costs two events.
			lean := workflow.Version(1)
			c.leanVersion = &lean
			in.FiledAt = workflow.GetInfo(ctx).WorkflowStartTime
			err = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, durableLocalActivity), cases.RecordCase, in).Get(ctx, &recorded)
		} else {
			err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, durableActivity), cases.RecordCase, in).Get(ctx, &recorded)
		}
		if err != nil {
			return EnrolmentResult{}, err
		}
		if recorded.DuplicateOf != "" {
			return c.closeAsDuplicate(ctx, recorded.DuplicateOf)
		}
		c.state.Stage = casework.Stage(recorded.Stage)
		// A lean case leaves the stage to the commit that starts it, in this same
		// workflow task: one upsert instead of two.
		if !c.lean(ctx) {
			if err := workflow.UpsertTypedSearchAttributes(ctx, searchattr.Stage.ValueSet(recorded.Stage)); err != nil {
				return EnrolmentResult{}, err
			}
		}
		c.state.Recorded = true
		if recorded.SuggestedLevel == string(c.input.Request.Level) {
			c.state.Year = recorded.SuggestedYear
		}
		logger.Info("Enrolment case registered", "CaseID", c.input.CaseID)
	}

	if c.version(ctx, routingChange) == workflow.DefaultVersion {
		return c.waitAsFirstSlice(ctx)
	}
	// One timer at a time: see engine.sleep.
	c.oneTimer = c.lean(ctx)
	if c.state.Policy == nil {
		if err := c.start(ctx); err != nil {
			return EnrolmentResult{}, err
		}
	}
	if err := c.loop(ctx); err != nil {
		return EnrolmentResult{}, err
	}
	return EnrolmentResult{Stage: c.state.Stage}, nil
}

// waitAsFirstSlice is what a case registered by the first slice keeps doing: it waits,
// issuing no command, because its history was written by code that did nothing else. It
// moves on with a new run (continue-as-new), which takes the current code, as soon as UST
// assigns it a hub or Temporal suggests a new run.
func (c *enrolmentCase) waitAsFirstSlice(ctx workflow.Context) (EnrolmentResult, error) {
	c.firstSlice = true
	if err := workflow.Await(ctx, func() bool {
		return workflow.GetInfo(ctx).GetContinueAsNewSuggested() || !c.state.RequestedHub.IsZero()
	}); err != nil {
		return EnrolmentResult{}, err
	}
	return EnrolmentResult{}, c.continueAsNew(ctx)
}

// nextRun continues the case in a new run with its state (caseFlow).
func (c *enrolmentCase) nextRun() (string, any) {
	next := c.input
	next.State = c.state
	return EnrolmentWorkflowName, next
}

func (c *enrolmentCase) closed() bool { return c.state.Stage.Closed() }

// start takes a newly registered case to its first task: it fixes the policy, routes the
// case to its hub and opens the hub's task, or, for a direct enrolment, records the
// placement and schedules the follow-up.
func (c *enrolmentCase) start(ctx workflow.Context) error {
	var policies *activities.Policies
	var policy casework.Policy
	if err := c.executeShort(ctx, policies.CasePolicy).Get(ctx, &policy); err != nil {
		return err
	}
	r := c.input.Request
	c.state.Policy = &policy
	// Year keeps the class suggested from the age, when it is of the level sought.
	c.state.Comune, c.state.Municipio, c.state.Level = r.Comune, r.Residence.Municipio, string(r.Level)
	if len(c.state.Timeline) == 0 {
		c.addEvent(ctx, casework.Event{Kind: casework.EventFiled, Actor: filer(c.input)})
	}

	c.busy = true
	route, routeErr := c.route(ctx, c.state.RequestedHub)
	c.busy = false
	if routeErr != nil && !isNoHub(routeErr) {
		return routeErr
	}

	if d := c.input.Direct; d != nil {
		// A direct enrolment is counted under the hub of its territory when there is one,
		// but never waits for it.
		if routeErr == nil {
			c.setHub(route)
		}
		c.enrol(ctx, casework.Placement{
			School: d.School, Level: c.state.Level, Year: d.Year, Section: d.Section, StartDate: d.StartDate, Direct: true,
		})
		c.addEvent(ctx, casework.Event{Kind: casework.EventEnrolledDirectly, Actor: schoolOrg(d.School), School: d.School, Hub: c.state.Hub.String()})
		return c.commit(ctx, c.notice("direct_enrolment", c.comuneOrg()), c.notice("direct_enrolment", c.state.Hub))
	}

	if routeErr != nil {
		c.unrouted(ctx)
		return c.commit(ctx, c.notice("case_unrouted", casework.UST))
	}
	c.setHub(route)
	c.addEvent(ctx, casework.Event{Kind: casework.EventRouted, Hub: c.state.Hub.String()})
	c.openProposalTask(ctx)
	return c.commit(ctx, c.notice("case_assigned", c.state.Hub))
}

// settle is what the case does at each turn of the wake loop (settler): tell its
// journey, if it has one, how it ended.
func (c *enrolmentCase) settle(ctx workflow.Context) { c.tellParent(ctx) }

// tellParent tells the reunification journey that opened the case, once, that the minor
// is enrolled or that the case closed without a placement. A case with no parent, like
// every case filed by a comune, issues nothing here.
func (c *enrolmentCase) tellParent(ctx workflow.Context) {
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	if parent == nil || c.state.ParentTold || (c.state.Stage != casework.StageEnrolled && !c.state.Stage.Closed()) {
		return
	}
	c.state.ParentTold = true
	err := workflow.SignalExternalWorkflow(ctx, parent.ID, "", SignalChildOutcome, ChildOutcome{CaseID: c.input.CaseID, Stage: c.state.Stage}).Get(ctx, nil)
	if err != nil {
		// The journey closed first: nobody waits for the news.
		workflow.GetLogger(ctx).Warn("The journey of the case could not be told its outcome", "CaseID", c.input.CaseID, "Error", err)
	}
}

func isNoHub(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeNoHub
}
