package api

import (
	"context"
	"net/http"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/workflows"
)

// AmendEnrolment is the comune of residence (or UST) correcting the request. The app
// validates the corrected request as a filing and the workflow decides who and when.
func (s *Server) AmendEnrolment(ctx context.Context, req AmendEnrolmentRequestObject) (AmendEnrolmentResponseObject, error) {
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	a := app.Amendment{Request: requestFromBody(req.Body.Request), Reason: req.Body.Reason, Note: note(req.Body.Note)}
	return s.act(ctx, req.Id, req.Params.IdempotencyKey, workflows.UpdateAmend, s.app.AmendInput(ctx, req.Id, a))
}

func (r reply) VisitAmendEnrolmentResponse(w http.ResponseWriter) error { return r.write(w) }
