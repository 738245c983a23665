package api

import (
	"context"
	"net/http"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/store"
)

// CreateDirectEnrolment registers a minor a school enrolled on its own: the case starts
// as enrolled and is followed up like the others.
func (s *Server) CreateDirectEnrolment(ctx context.Context, req CreateDirectEnrolmentRequestObject) (CreateDirectEnrolmentResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	p := req.Body.Placement
	filed, err := s.app.FileDirectEnrolment(ctx, actor, requestFromBody(req.Body.Request),
		app.Placement{Year: value(p.ClassYear), Section: p.Section, StartDate: p.StartDate})
	if err != nil {
		return s.failure(err)
	}
	answer, err := s.caseReply(store.WithOrg(ctx, actor.String()), filed.CaseID, actor)
	if err != nil || answer.status != http.StatusOK {
		return answer, err
	}
	if filed.Created {
		answer.status, answer.location = http.StatusCreated, "/api/v1/enrolments/"+filed.CaseID
	}
	return answer, nil
}
