package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// Server implements the HTTP API of the OpenAPI document in openapi.yaml.
type Server struct {
	// app is the one way to act and read, shared with the web pages.
	app       *app.Service
	temporal  client.Client
	store     *store.Store
	taskQueue string
	log       *slog.Logger
	// registerTimeout bounds how long a request waits for its workflow; past it the
	// caller gets a 503 and retries the same request, which is safe.
	registerTimeout time.Duration
	now             func() time.Time
	// auth is password login, shared with the web pages.
	auth *app.Auth
}

var _ StrictServerInterface = (*Server)(nil)

// CreateEnrolment opens a case, or returns the case a previous identical request opened.
func (s *Server) CreateEnrolment(ctx context.Context, req CreateEnrolmentRequestObject) (CreateEnrolmentResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	filed, err := s.app.FileRequest(ctx, actor, requestFromBody(*req.Body))
	if err != nil {
		return s.failure(err)
	}
	return s.filedReply(ctx, actor, filed)
}

// filedReply answers a filing with the case as the filer sees it: 201 with its Location
// when this request opened it, 200 when an identical earlier one did, 202 with its
// Location when the case's workflow holds the request but had not recorded it in time.
func (s *Server) filedReply(ctx context.Context, actor casework.Org, filed app.Filed) (reply, error) {
	if filed.Pending {
		href := "/api/v1/enrolments/" + filed.CaseID
		return reply{status: http.StatusAccepted, location: href, body: FilingReceived{
			Id: filed.CaseID, Href: href, Status: InRegistrazione, Detail: "Richiesta ricevuta, in registrazione.",
		}}, nil
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

// GetEnrolment returns a case.
func (s *Server) GetEnrolment(ctx context.Context, req GetEnrolmentRequestObject) (GetEnrolmentResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	return s.caseReply(ctx, req.Id, actor)
}
