package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/searchattr"
)

// EnrolmentWorkflowName is the registered type name of the enrolment case workflow. It is
// fixed here rather than derived from the Go function name, so renaming the function
// cannot orphan running cases.
const EnrolmentWorkflowName = "EnrolmentCase"

// UpdateRegister is the Update through which a filer registers a request on its case. The
// API sends it together with the start (update-with-start), so a request is answered only
// once the case is durably recorded, and a repeated request is answered from the same case.
const UpdateRegister = "register"

// QueryState is the Query that returns the case's State.
const QueryState = "state"

// ErrTypeRequestConflict is the application error type of a register Update whose request
// differs from the one that opened the case: the caller reused a request ID.
const ErrTypeRequestConflict = "RequestConflict"

// The stages of an enrolment case, as stored and as set in the Stage search attribute.
const (
	// StageReceived: the workflow has started; the case is not recorded yet.
	StageReceived = "received"
	// StageRegistered: the case is recorded and waits to be routed to its hub.
	StageRegistered = "registered"
)

// EnrolmentInput starts an enrolment case.
type EnrolmentInput struct {
	CaseID      string
	FiledBy     string
	RequestHash string
	Request     enrolment.Request
	// State is carried over by continue-as-new; zero for a new case.
	State State
}

// EnrolmentResult is what a closed case returns.
type EnrolmentResult struct {
	Stage string
}

// State is the progress of a case, returned by QueryState and carried across
// continue-as-new.
type State struct {
	Stage         string
	Recorded      bool
	Registrations int
}

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
}

// recordActivityOptions retries without an attempt limit: a case must not be lost because
// the database was down for a while, and the activity is idempotent.
var recordActivityOptions = workflow.ActivityOptions{
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
	if c.state.Stage == "" {
		c.state.Stage = StageReceived
	}
	if err := c.setup(ctx); err != nil {
		return EnrolmentResult{}, err
	}
	return c.run(ctx)
}

type enrolmentCase struct {
	input EnrolmentInput
	state State
}

func (c *enrolmentCase) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) {
		return c.state, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateRegister, c.register, workflow.UpdateHandlerOptions{
		Validator: c.validateRegister,
	})
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
	if err := workflow.Await(ctx, func() bool { return c.state.Recorded }); err != nil {
		return RegisterResult{}, err
	}
	c.state.Registrations++
	return RegisterResult{CaseID: c.input.CaseID, Created: c.state.Registrations == 1, Stage: c.state.Stage}, nil
}

func (c *enrolmentCase) run(ctx workflow.Context) (EnrolmentResult, error) {
	logger := workflow.GetLogger(ctx)
	if !c.state.Recorded {
		var cases *activities.Cases
		var recorded activities.RecordCaseResult
		actx := workflow.WithActivityOptions(ctx, recordActivityOptions)
		err := workflow.ExecuteActivity(actx, cases.RecordCase, activities.RecordCaseInput{
			CaseID:      c.input.CaseID,
			WorkflowID:  workflow.GetInfo(ctx).WorkflowExecution.ID,
			FiledBy:     c.input.FiledBy,
			RequestHash: c.input.RequestHash,
			Request:     c.input.Request,
			Stage:       StageRegistered,
		}).Get(ctx, &recorded)
		if err != nil {
			return EnrolmentResult{}, err
		}
		if err := c.setStage(ctx, recorded.Stage); err != nil {
			return EnrolmentResult{}, err
		}
		c.state.Recorded = true
		logger.Info("Enrolment case registered", "CaseID", c.input.CaseID)
	}

	// The case now waits to be routed to its hub, which the next slice adds. Until then it
	// stays open, so that repeated requests are still answered from it, and it starts a new
	// run with its state before repeated registrations make the history too long.
	if err := workflow.Await(ctx, func() bool {
		return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	}); err != nil {
		return EnrolmentResult{}, err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return EnrolmentResult{}, err
	}
	next := c.input
	next.State = c.state
	return EnrolmentResult{}, workflow.NewContinueAsNewError(ctx, EnrolmentWorkflowName, next)
}

func (c *enrolmentCase) setStage(ctx workflow.Context, stage string) error {
	c.state.Stage = stage
	return workflow.UpsertTypedSearchAttributes(ctx, searchattr.Stage.ValueSet(stage))
}
