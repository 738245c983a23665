package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// Server implements the HTTP API of the OpenAPI document in openapi.yaml.
type Server struct {
	temporal  client.Client
	store     *store.Store
	taskQueue string
	log       *slog.Logger
	// registerTimeout bounds how long a request waits for its case to be recorded; past it
	// the caller gets a 503 and retries the same request, which is safe.
	registerTimeout time.Duration
	now             func() time.Time
	auth            AuthSettings
	// attempts limits password guessing per client address.
	attempts *limiter
}

var _ StrictServerInterface = (*Server)(nil)

// CreateEnrolment opens a case, or returns the case a previous identical request opened.
func (s *Server) CreateEnrolment(ctx context.Context, req CreateEnrolmentRequestObject) (CreateEnrolmentResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	ctx = store.WithOrg(ctx, actor.String())
	if req.Body == nil {
		return CreateEnrolment400ApplicationProblemPlusJSONResponse{ProblemApplicationProblemPlusJSONResponse(fieldProblem("body", "il corpo della richiesta è obbligatorio"))}, nil
	}
	r := requestFromBody(*req.Body).Normalize()
	if err := r.Validate(s.now()); err != nil {
		var v *enrolment.ValidationError
		if errors.As(err, &v) {
			return CreateEnrolment400ApplicationProblemPlusJSONResponse{ProblemApplicationProblemPlusJSONResponse(validationProblem(v.Fields))}, nil
		}
		return nil, err
	}

	if actor != casework.UST && actor != (casework.Org{Kind: casework.OrgComune, Code: r.Comune}) {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"Una richiesta di iscrizione la presenta il comune di residenza del minore ("+r.Comune+") o l'UST.")), nil
	}
	if problem, err := s.checkComune(ctx, r.Comune, "comune"); problem != nil || err != nil {
		if err != nil {
			return nil, err
		}
		if problem.Status == http.StatusServiceUnavailable {
			return CreateEnrolment503ApplicationProblemPlusJSONResponse(*problem), nil
		}
		return CreateEnrolment400ApplicationProblemPlusJSONResponse{ProblemApplicationProblemPlusJSONResponse(*problem)}, nil
	}

	// Until organisations have accounts, the filer is the comune of residence.
	filer := r.Comune
	caseID := enrolment.CaseID(filer, r.RequestID)
	hash := r.Hash()

	created, err := s.register(ctx, caseID, filer, hash, r, nil)
	switch {
	case errors.Is(err, errRequestConflict):
		return CreateEnrolment409ApplicationProblemPlusJSONResponse(requestConflictProblem()), nil
	case errors.Is(err, errClosedUnrecorded):
		return CreateEnrolment409ApplicationProblemPlusJSONResponse(newProblem(http.StatusConflict, problemRequestConflict,
			"Richiesta chiusa", "Questa richiesta è stata chiusa prima di essere registrata. Per ripresentarla usare un nuovo requestId.")), nil
	case err != nil:
		return nil, err
	}

	stored, err := s.store.GetCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	timeline, err := s.store.Timeline(ctx, caseID)
	if err != nil {
		return nil, err
	}
	body := s.fullCase(stored, timeline, actor)
	if created {
		location := "/api/v1/enrolments/" + caseID
		return CreateEnrolment201JSONResponse{Body: body, Headers: CreateEnrolment201ResponseHeaders{Location: &location}}, nil
	}
	return CreateEnrolment200JSONResponse(body), nil
}

var (
	errRequestConflict  = errors.New("request ID reused for a different request")
	errClosedUnrecorded = errors.New("case closed before it was recorded")
)

// asRequestConflict turns the workflow's rejection of a different request under the same
// request ID into errRequestConflict. The rejection can surface from the start call or
// from the update's outcome, depending on when the server learns of it.
func asRequestConflict(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeRequestConflict {
		return errRequestConflict
	}
	return err
}

// register starts the case's workflow, or finds the running one, and waits until the case
// is recorded. It reports whether this request created the case.
func (s *Server) register(ctx context.Context, caseID, filer, hash string, r enrolment.Request, direct *workflows.DirectEnrolment) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.registerTimeout)
	defer cancel()

	start := s.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:        enrolment.WorkflowID(caseID),
		TaskQueue: s.taskQueue,
		// A running case answers the repeated request; a closed one is never reopened by
		// it (the store answers instead, below).
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Stage.ValueSet(workflows.StageReceived),
			searchattr.ComuneIstat.ValueSet(r.Comune),
			searchattr.Origin.ValueSet(string(r.Origin)),
		),
	}, workflows.EnrolmentWorkflowName, workflows.EnrolmentInput{
		CaseID:      caseID,
		FiledBy:     filer,
		RequestHash: hash,
		Request:     r,
		Direct:      direct,
	})
	handle, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   workflows.UpdateRegister,
			Args:         []any{workflows.RegisterInput{RequestHash: hash}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var alreadyStarted *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &alreadyStarted) {
		return false, s.matchClosedCase(ctx, caseID, hash)
	}
	if err != nil {
		return false, asRequestConflict(err)
	}
	var result workflows.RegisterResult
	if err := handle.Get(ctx, &result); err != nil {
		return false, asRequestConflict(err)
	}
	return result.Created, nil
}

// matchClosedCase answers a repeated request for a case whose workflow has closed: the
// stored case is the answer, provided the request is the same.
func (s *Server) matchClosedCase(ctx context.Context, caseID, hash string) error {
	stored, err := s.store.GetCase(ctx, caseID)
	if errors.Is(err, store.ErrNotFound) {
		return errClosedUnrecorded
	}
	if err != nil {
		return err
	}
	if stored.RequestHash != hash {
		return errRequestConflict
	}
	return nil
}

func requestConflictProblem() Problem {
	p := newProblem(http.StatusConflict, problemRequestConflict, "requestId già usato",
		"Questo requestId è già stato usato per una richiesta con dati diversi. Usare un nuovo requestId per una nuova richiesta.")
	errs := []FieldError{{Field: "requestId", Reason: "già usato per una richiesta diversa"}}
	p.Errors = &errs
	return p
}

// GetEnrolment returns a case.
func (s *Server) GetEnrolment(ctx context.Context, req GetEnrolmentRequestObject) (GetEnrolmentResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	ctx = store.WithOrg(ctx, actor.String())
	if _, err := uuid.Parse(req.Id); err != nil || len(req.Id) != 36 {
		return GetEnrolment400ApplicationProblemPlusJSONResponse{ProblemApplicationProblemPlusJSONResponse(fieldProblem("id", "deve essere l'UUID di un caso"))}, nil
	}
	stored, err := s.store.GetCase(ctx, req.Id)
	if errors.Is(err, store.ErrNotFound) {
		return GetEnrolment404ApplicationProblemPlusJSONResponse(newProblem(http.StatusNotFound, problemBlank, "Caso non trovato", "")), nil
	}
	if err != nil {
		return nil, err
	}
	timeline, err := s.store.Timeline(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return GetEnrolment200JSONResponse(s.fullCase(stored, timeline, actor)), nil
}

// checkComune answers a problem naming field when istat is not a comune of the reference
// data. With no reference data imported at all, nothing can be routed: that is the
// service being unavailable, not the caller's mistake.
func (s *Server) checkComune(ctx context.Context, istat, field string) (*Problem, error) {
	known, err := s.knownComune(ctx, istat)
	if errors.Is(err, store.ErrNotFound) {
		p := newProblem(http.StatusServiceUnavailable, problemUnavailable, "Dati di riferimento non caricati",
			"I comuni e gli hub non sono ancora stati importati (approdo refdata import): i casi non si possono instradare.")
		return &p, nil
	}
	if err != nil {
		return nil, err
	}
	if !known {
		p := fieldProblem(field, reasonUnknownComune)
		return &p, nil
	}
	return nil, nil
}
