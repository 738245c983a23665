package api

import (
	"context"
	"net/http"

	"github.com/approdo/approdo/internal/store"
)

// EraseEnrolment is UST erasing a closed case's personal data on request. The audit
// trail records the request; the case's timeline records the erasure with its reason.
func (s *Server) EraseEnrolment(ctx context.Context, req EraseEnrolmentRequestObject) (EraseEnrolmentResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	if err := s.app.EraseCase(ctx, actor, req.Id, req.Body.Reason); err != nil {
		return s.failure(err)
	}
	return s.caseReply(store.WithOrg(ctx, actor.String()), req.Id, actor)
}

func (r reply) VisitEraseEnrolmentResponse(w http.ResponseWriter) error { return r.write(w) }
