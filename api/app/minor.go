package app

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/namematch"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// One record per minor (issue 16). Before a case is opened, the app looks for an open
// case of the same minor: the same codice fiscale, or the same names and birth date by
// internal/namematch. The worker looks again under a lock when it records the case, so
// two filings that cross are settled there (workflows/minor.go). What the second filing
// gets:
//
//   - a school's direct enrolment closes the open case as enrolled in that school and
//     answers with that case;
//   - a comune's (or UST's) request is refused with a DuplicateError naming the open
//     case, when the caller may see it;
//   - otherwise the open case is escalated to UST to reconcile (report_duplicate), and the
//     caller gets a DuplicateError that names nothing: it learns that the minor has an open
//     case elsewhere, never where or what it holds.

// DuplicateError refuses a request for a minor who has an open case. CaseID is that case,
// when the caller may see it; otherwise it is empty, and Reported says whether the filing
// was handed to UST to reconcile (a correction is not: its caller asks UST).
type DuplicateError struct {
	CaseID   string
	Reported bool
}

func (e *DuplicateError) Error() string {
	if e.CaseID == "" {
		return "the minor has an open case the caller does not see; reported to UST"
	}
	return "the minor has the open case " + e.CaseID
}

// openCaseError carries, from the register Update to fileOnce, the open case that the
// worker's recording found.
type openCaseError struct{ caseID string }

func (e *openCaseError) Error() string { return "the minor has the open case " + e.caseID }

// fileOnce registers the case caseID unless its minor has an open case; then the open
// case answers instead (see the top of this file).
func (s *Service) fileOnce(ctx context.Context, actor casework.Org, caseID, filer string, r enrolment.Request, direct *workflows.DirectEnrolment) (Filed, error) {
	open, err := s.store.OpenCaseOfMinor(ctx, r.Minor.CodiceFiscale, namematch.Key(r.Minor.GivenName, r.Minor.FamilyName, r.Minor.BirthDate), caseID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		filed, err := s.register(ctx, caseID, filer, r.Hash(), r, direct)
		var found *openCaseError
		if !errors.As(err, &found) {
			return filed, err
		}
		open = found.caseID
	case err != nil:
		return Filed{}, unavailableOr(err)
	}
	return s.answerOpenCase(ctx, actor, caseID, open, r, direct)
}

// answerOpenCase answers a filing of caseID whose minor has the open case open.
func (s *Service) answerOpenCase(ctx context.Context, actor casework.Org, caseID, open string, r enrolment.Request, direct *workflows.DirectEnrolment) (Filed, error) {
	if direct != nil {
		// The update's ID comes from the filing, so a repeated filing is answered by the
		// same update instead of enrolling twice.
		err := s.updateOpenCase(ctx, open, "direct:"+caseID, workflows.UpdateEnrolDirectly, workflows.EnrolDirectlyInput{
			Actor: actor, Level: string(r.Level), Placement: *direct,
		})
		if err == nil {
			return Filed{CaseID: open}, nil
		}
		var refused *RefusedError
		if !errors.As(err, &refused) || refused.Reason != RefusedWrongStage {
			return Filed{}, err
		}
		// Already enrolled: by this school (a repeated filing) it is the answer;
		// elsewhere, UST reconciles.
		if c, err := s.store.GetCase(ctx, open); err == nil && c.Stage == string(casework.StageEnrolled) && c.School == actor.Code {
			return Filed{CaseID: open}, nil
		}
	}
	_, err := s.store.GetCase(ctx, open)
	switch {
	case err == nil:
		return Filed{}, &DuplicateError{CaseID: open}
	case !errors.Is(err, store.ErrNotFound):
		return Filed{}, unavailableOr(fmt.Errorf("read the open case: %w", err))
	}
	err = s.updateOpenCase(ctx, open, "duplicate:"+caseID, workflows.UpdateReportDuplicate, workflows.ReportDuplicateInput{Actor: actor})
	if err != nil {
		return Filed{}, err
	}
	return Filed{}, &DuplicateError{Reported: true}
}

// refuseMinorOfAnotherCase refuses a correction of case id that would make it name the
// minor of another open case: two open cases of one minor are what filing prevents, and a
// correction must not make them. Only a reference the caller may see is given.
func (s *Service) refuseMinorOfAnotherCase(ctx context.Context, actor casework.Org, id string, r enrolment.Request) error {
	ctx = store.WithOrg(ctx, actor.String())
	open, err := s.store.OpenCaseOfMinor(ctx, r.Minor.CodiceFiscale, namematch.Key(r.Minor.GivenName, r.Minor.FamilyName, r.Minor.BirthDate), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return unavailableOr(err)
	}
	if _, err := s.store.GetCase(ctx, open); err == nil {
		return &DuplicateError{CaseID: open}
	}
	return &DuplicateError{}
}

// updateOpenCase sends an Update to the open case of a minor on behalf of a caller that
// may not see it: the app, not the caller, decided that it applies. The refusals of its
// validator come back as RefusedError, with the case's own words.
func (s *Service) updateOpenCase(ctx context.Context, caseID, updateID, name string, arg any) error {
	uctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	handle, err := s.temporal.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
		WorkflowID: enrolment.WorkflowID(caseID), UpdateID: updateID, UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(uctx, nil)
	}
	if err == nil {
		return nil
	}
	if refused := asRefusal(SubjectCase, err); refused != nil {
		return refused
	}
	return unavailableOr(fmt.Errorf("send %s to the open case %s: %w", name, caseID, err))
}
