package api

import (
	"context"
	"net/http"

	"github.com/approdo/approdo/api/app"
)

// The onboarding of the organisations, UST's: the same reads and actions as the portal's
// page /accreditamento, through app.

// ListOnboardings lists the organisations given credentials, with their outcome.
func (s *Server) ListOnboardings(ctx context.Context, req ListOnboardingsRequestObject) (ListOnboardingsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	rows, err := s.app.Onboardings(ctx, actor, value(req.Params.Kind))
	if err != nil {
		return s.failure(err)
	}
	items := make([]OnboardingItem, len(rows))
	for i, o := range rows {
		items[i] = OnboardingItem{Org: o.Org, Kind: o.Kind, Name: o.Name, Login: o.Login, Rounds: o.Rounds, IssuedAt: o.IssuedAt,
			SentAt: o.SentAt, DeliveredAt: o.DeliveredAt, Undelivered: pointer(o.Undelivered), FirstLoginAt: o.FirstLoginAt}
	}
	return ok(OnboardingList{Items: items}), nil
}

// StartOnboarding starts the onboarding of every school or every hub.
func (s *Server) StartOnboarding(ctx context.Context, req StartOnboardingRequestObject) (StartOnboardingResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if req.Body == nil {
		return s.failure(app.Required("group"))
	}
	res, err := s.app.StartOnboarding(ctx, actor, string(req.Body.Group))
	if err != nil {
		return s.failure(err)
	}
	noAddress := res.NoAddress
	if noAddress == nil {
		noAddress = []string{}
	}
	return ok(OnboardingStarted{Started: res.Started, Skipped: res.Already, NoAddress: noAddress,
		SharedSchools: res.SharedSchools, SharedAddresses: res.SharedAddresses}), nil
}

// ResendCredentials asks an organisation's onboarding for new credentials, once per
// requestId.
func (s *Server) ResendCredentials(ctx context.Context, req ResendCredentialsRequestObject) (ResendCredentialsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if req.Body == nil {
		return s.failure(app.Required("org"))
	}
	if err := s.app.ResendCredentials(ctx, actor, req.Body.Org, "api-"+req.Body.RequestId); err != nil {
		return s.failure(err)
	}
	return reply{status: http.StatusAccepted}, nil
}

func (r reply) VisitListOnboardingsResponse(w http.ResponseWriter) error   { return r.write(w) }
func (r reply) VisitStartOnboardingResponse(w http.ResponseWriter) error   { return r.write(w) }
func (r reply) VisitResendCredentialsResponse(w http.ResponseWriter) error { return r.write(w) }
