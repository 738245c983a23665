package app

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// ReasonUnknownComune is the answer for a comune missing from the reference data.
const ReasonUnknownComune = "non è un comune della Città Metropolitana di Milano nei dati di riferimento"

// Filed is the outcome of a filing: the case's ID, and whether this call created it
// (false: an identical earlier request did).
type Filed struct {
	CaseID  string
	Created bool
	// Pending means the case's workflow holds the request but had not recorded it when
	// the wait ran out (a surge, or no worker running): the request is received and the
	// case will be recorded, so the filer is told so rather than asked to retry.
	Pending bool
}

// FileRequest opens a case for an enrolment request, or finds the case an identical
// earlier request opened. The request is normalised and validated here; every wrong
// field comes at once in an InvalidError.
func (s *Service) FileRequest(ctx context.Context, actor casework.Org, r enrolment.Request) (Filed, error) {
	ctx = store.WithOrg(ctx, actor.String())
	r = r.Normalize()
	if err := validateRequest(r, s.now(), ""); err != nil {
		return Filed{}, err
	}
	if actor != casework.UST && actor != (casework.Org{Kind: casework.OrgComune, Code: r.Comune}) {
		return Filed{}, &RefusedError{Subject: SubjectCase, Reason: RefusedNotAllowed,
			Message: "Una richiesta di iscrizione la presenta il comune di residenza del minore (" + r.Comune + ") o l'UST."}
	}
	if err := s.checkComune(ctx, r.Comune, "comune"); err != nil {
		return Filed{}, err
	}
	// Until organisations have accounts of their own, the filer is the comune of
	// residence, also when UST files for it.
	filer := r.Comune
	caseID := enrolment.CaseID(filer, r.RequestID)
	return s.fileOnce(ctx, actor, caseID, filer, r, nil)
}

// Placement is where and when a school enrolled a minor on its own.
type Placement struct {
	Year      int
	Section   string
	StartDate string
}

// FileDirectEnrolment registers a minor a school enrolled on its own: the case starts
// enrolled and is followed up like the others. Field names of the request are prefixed
// "request.", those of the placement "placement.".
func (s *Service) FileDirectEnrolment(ctx context.Context, actor casework.Org, r enrolment.Request, p Placement) (Filed, error) {
	if actor.Kind != casework.OrgSchool {
		return Filed{}, &RefusedError{Subject: SubjectCase, Reason: RefusedNotAllowed, Message: "Solo una scuola registra un'iscrizione diretta."}
	}
	ctx = store.WithOrg(ctx, actor.String())
	r = r.Normalize()
	var fields []FieldError
	if err := validateRequest(r, s.now(), "request."); err != nil {
		var invalid *InvalidError
		if !errors.As(err, &invalid) {
			return Filed{}, err
		}
		fields = invalid.Fields
	}
	fields = append(fields, s.checkPlacement(r.Level, p)...)
	if len(fields) > 0 {
		return Filed{}, &InvalidError{Fields: fields}
	}
	if err := s.checkComune(ctx, r.Comune, "request.comune"); err != nil {
		return Filed{}, err
	}
	d, err := s.store.ReferenceData(ctx)
	if err != nil {
		return Filed{}, unavailableOr(fmt.Errorf("read reference data: %w", err))
	}
	i := slices.IndexFunc(d.Schools, func(sc refdata.School) bool { return sc.Code == actor.Code })
	if i < 0 {
		return Filed{}, &RefusedError{Subject: SubjectCase, Reason: RefusedNotAllowed, Message: "La scuola " + actor.Code + " non è nei dati di riferimento."}
	}
	if !d.Schools[i].Teaches(r.Level) {
		return Filed{}, &RefusedError{Subject: SubjectCase, Reason: RefusedInvalid, Field: "request.level", Message: "la scuola " + actor.Code + " non ha questo livello"}
	}
	filer := actor.String()
	caseID := enrolment.CaseID(filer, r.RequestID)
	return s.fileOnce(ctx, actor, caseID, filer, r, &workflows.DirectEnrolment{
		School: actor.Code, Year: p.Year, Section: p.Section, StartDate: p.StartDate,
	})
}

// validateRequest validates a normalised request, prefixing the field names.
func validateRequest(r enrolment.Request, now time.Time, prefix string) error {
	err := r.Validate(now)
	if err == nil {
		return nil
	}
	var v *enrolment.ValidationError
	if !errors.As(err, &v) {
		return err
	}
	fields := make([]FieldError, len(v.Fields))
	for i, f := range v.Fields {
		fields[i] = FieldError{Field: prefix + f.Field, Reason: f.Reason}
	}
	return &InvalidError{Fields: fields}
}

var sectionPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,4}$`)

// classYears is the highest class of each level that has numbered classes.
var classYears = map[enrolment.Level]int{
	enrolment.LevelPrimaria:               5,
	enrolment.LevelSecondariaPrimoGrado:   3,
	enrolment.LevelSecondariaSecondoGrado: 5,
}

// checkPlacement checks the class, section and first day of a direct enrolment. A school
// may register an enrolment up to a year after the fact.
func (s *Service) checkPlacement(level enrolment.Level, p Placement) []FieldError {
	var fields []FieldError
	if max, numbered := classYears[level]; p.Year != 0 && (!numbered || p.Year < 1 || p.Year > max) {
		fields = append(fields, FieldError{Field: "placement.classYear", Reason: "non è una classe del livello richiesto"})
	}
	if !sectionPattern.MatchString(p.Section) {
		fields = append(fields, FieldError{Field: "placement.section", Reason: "da 1 a 4 lettere o cifre, ad esempio «B»"})
	}
	start, err := time.Parse(time.DateOnly, p.StartDate)
	today := s.now()
	switch {
	case err != nil:
		fields = append(fields, FieldError{Field: "placement.startDate", Reason: "non è una data valida (AAAA-MM-GG)"})
	case start.Before(today.AddDate(-1, 0, 0)) || start.After(today.AddDate(1, 0, 0)):
		fields = append(fields, FieldError{Field: "placement.startDate", Reason: "deve essere entro un anno da oggi, prima o dopo"})
	}
	return fields
}

// CheckComune answers an InvalidError naming field when istat is not a comune of the
// reference data, and ErrNoReferenceData when there is none at all.
func (s *Service) CheckComune(ctx context.Context, istat, field string) error {
	return s.checkComune(ctx, istat, field)
}

func (s *Service) checkComune(ctx context.Context, istat, field string) error {
	known, err := s.store.ComuneKnown(ctx, istat)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoReferenceData
	}
	if err != nil {
		return unavailableOr(fmt.Errorf("look up comune: %w", err))
	}
	if !known {
		return Invalid(field, ReasonUnknownComune)
	}
	return nil
}

// register starts the case's workflow, or finds the running one, and waits until the case
// is recorded. It reports whether this request created the case, or that the workflow
// holds the request but has not recorded it in time (Pending).
func (s *Service) register(ctx context.Context, caseID, filer, hash string, r enrolment.Request, direct *workflows.DirectEnrolment) (Filed, error) {
	created, err := s.registerInTime(ctx, caseID, filer, hash, r, direct)
	if err == nil {
		return Filed{CaseID: caseID, Created: created}, nil
	}
	if !IsUnavailable(err) || ctx.Err() != nil {
		return Filed{}, err
	}
	// The wait ran out, or Temporal answered "unavailable". The workflow records the case
	// on its own once it runs, whether or not the update reached it, so a workflow that
	// exists means the request was received: say so, never "riprovare".
	received, checkErr := s.received(ctx, caseID, hash)
	if checkErr != nil {
		return Filed{}, checkErr
	}
	if !received {
		return Filed{}, err
	}
	return Filed{CaseID: caseID, Pending: true}, nil
}

// receivedCheckTimeout bounds the look-up of a case's workflow after the wait for it ran
// out: short, since the caller has already waited the register timeout.
const receivedCheckTimeout = 5 * time.Second

// received reports whether the case's workflow exists and is running, after a filing
// whose wait ran out. A case already in the store under another request is a conflict,
// as the workflow would have answered.
func (s *Service) received(ctx context.Context, caseID, hash string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, receivedCheckTimeout)
	defer cancel()
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, enrolment.WorkflowID(caseID), "")
	if err != nil {
		// Not found, or Temporal unreachable: nothing tells the request was received, and
		// the caller's 503 stands.
		return false, nil
	}
	if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return false, nil
	}
	stored, err := s.store.GetCase(ctx, caseID)
	if err == nil && stored.RequestHash != hash {
		return false, ErrRequestConflict
	}
	return true, nil
}

// registerInTime is one UpdateWithStart of the Register update, waiting at most the
// register timeout for the case to be recorded.
func (s *Service) registerInTime(ctx context.Context, caseID, filer, hash string, r enrolment.Request, direct *workflows.DirectEnrolment) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	input := workflows.EnrolmentInput{
		CaseID:      caseID,
		FiledBy:     filer,
		RequestHash: hash,
		Request:     r,
		Direct:      direct,
	}
	// A running case answers the repeated request; a closed one is never reopened by it
	// (the store answers instead, below).
	handle, err := start.Enrolment(s.taskQueue, caseID, r.Comune, string(r.Origin)).UpdateWithStart(ctx, s.temporal, input, client.UpdateWorkflowOptions{
		UpdateName:   workflows.UpdateRegister,
		Args:         []any{workflows.RegisterInput{RequestHash: hash}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
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
	if result.DuplicateOf != "" {
		return false, &openCaseError{caseID: result.DuplicateOf}
	}
	return result.Created, nil
}

// asRequestConflict turns the workflow's rejection of a different request under the same
// request ID into ErrRequestConflict. The rejection can surface from the start call or
// from the update's outcome, depending on when the server learns of it.
func asRequestConflict(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeRequestConflict {
		return ErrRequestConflict
	}
	return unavailableOr(fmt.Errorf("register case: %w", err))
}

// matchClosedCase answers a repeated request for a case whose workflow has closed: the
// stored case is the answer, provided the request is the same.
func (s *Service) matchClosedCase(ctx context.Context, caseID, hash string) error {
	stored, err := s.store.GetCase(ctx, caseID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrClosedUnrecorded
	}
	if err != nil {
		return unavailableOr(fmt.Errorf("read case: %w", err))
	}
	if stored.RequestHash != hash {
		return ErrRequestConflict
	}
	return nil
}
