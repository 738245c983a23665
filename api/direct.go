package api

import (
	"context"

	"github.com/approdo/approdo/api/app"
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
	return s.filedReply(ctx, actor, filed)
}
