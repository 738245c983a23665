package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// roleKey is the gin context key of the caller's role within its organisation.
const roleKey = "approdo.role"

// adminOf returns the caller's organisation if the caller is one of its admins.
func adminOf(ctx context.Context) (casework.Org, *reply) {
	a, refused := adminActing(ctx)
	return a.Org, refused
}

// adminActing is adminOf with who acts: the token or the person of the session, recorded
// on the tokens the admin makes.
func adminActing(ctx context.Context) (app.Admin, *reply) {
	org, refused := adminOrg(ctx)
	if refused != nil {
		return app.Admin{}, refused
	}
	a := app.Admin{Org: org, Role: store.RoleAdmin}
	if id, ok := ctx.Value(tokenKey).(string); ok {
		a.By.TokenID = id
	}
	if u, ok := ctx.Value(userKey).(store.User); ok {
		a.By.UserID = u.ID
	}
	return a, nil
}

// adminFailure answers the errors of the admin's actions: a role other than operator and
// admin, or a refused self-disable, is a 422 naming the field; the rest as every action's.
func (s *Server) adminFailure(err error) (reply, error) {
	var invalid *app.InvalidError
	if errors.As(err, &invalid) {
		for _, f := range invalid.Fields {
			if f.Field == "role" || f.Field == "id" {
				p := newProblem(http.StatusUnprocessableEntity, problemValidation, "Richiesta non valida",
					"Alcuni campi non sono validi: correggerli e ripetere la richiesta.")
				errs := make([]FieldError, len(invalid.Fields))
				for i, f := range invalid.Fields {
					errs[i] = FieldError{Field: f.Field, Reason: f.Reason}
				}
				p.Errors = &errs
				return problemReply(p), nil
			}
		}
	}
	return s.failure(err)
}

func adminOrg(ctx context.Context) (casework.Org, *reply) {
	org, problem := actorFrom(ctx)
	if problem != nil {
		r := problemReply(*problem)
		return casework.Org{}, &r
	}
	if role, _ := ctx.Value(roleKey).(string); role != store.RoleAdmin {
		r := problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"Persone e token dell'organizzazione li gestisce un suo amministratore."))
		return casework.Org{}, &r
	}
	return org, nil
}

// GetOrganisation lists the people and tokens of the admin's organisation.
func (s *Server) GetOrganisation(ctx context.Context, _ GetOrganisationRequestObject) (GetOrganisationResponseObject, error) {
	org, refused := adminOf(ctx)
	if refused != nil {
		return *refused, nil
	}
	accounts, err := s.app.OrgAccounts(ctx, app.Admin{Org: org, Role: store.RoleAdmin})
	if err != nil {
		return s.failure(err)
	}
	users, tokens := accounts.Users, accounts.Tokens
	now := s.now()
	out := OrganisationAccounts{Organisation: org.String(), Users: make([]AccountUser, len(users)), Tokens: make([]AccountToken, len(tokens))}
	for i, u := range users {
		out.Users[i] = accountUser(u, now)
	}
	for i, t := range tokens {
		out.Tokens[i] = AccountToken{Id: t.ID, Name: t.Name, Role: t.Role, ExpiresAt: t.ExpiresAt, Revoked: t.RevokedAt != nil}
	}
	return ok(out), nil
}

func accountUser(u store.User, now time.Time) AccountUser {
	return AccountUser{
		Id: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, MustChangePassword: u.MustChangePassword,
		Locked: u.LockedUntil != nil && now.Before(*u.LockedUntil), Disabled: u.DisabledAt != nil,
	}
}

// InviteUser adds a person to the admin's organisation and queues the invitation.
func (s *Server) InviteUser(ctx context.Context, req InviteUserRequestObject) (InviteUserResponseObject, error) {
	admin, refused := adminActing(ctx)
	if refused != nil {
		return *refused, nil
	}
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	user, err := s.app.InviteUser(ctx, admin,
		app.Invitation{Email: req.Body.Email, Name: req.Body.Name, Role: value(req.Body.Role)})
	if errors.Is(err, app.ErrUserExists) {
		p := newProblem(http.StatusConflict, problemRequestConflict, "Utente già registrato", "")
		p.Errors = &[]FieldError{{Field: "email", Reason: "è già di un utente"}}
		return problemReply(p), nil
	}
	if err != nil {
		return s.adminFailure(err)
	}
	return reply{status: http.StatusCreated, body: accountUser(user, s.now())}, nil
}

// CreateOrganisationToken makes a token of the admin's organisation.
func (s *Server) CreateOrganisationToken(ctx context.Context, req CreateOrganisationTokenRequestObject) (CreateOrganisationTokenResponseObject, error) {
	admin, refused := adminActing(ctx)
	if refused != nil {
		return *refused, nil
	}
	if req.Body == nil {
		return problemReply(fieldProblem("name", "è obbligatorio: dire a cosa serve il token")), nil
	}
	tok, secret, err := s.app.CreateToken(ctx, admin,
		app.NewToken{Name: req.Body.Name, Role: value(req.Body.Role), TTLDays: value(req.Body.TtlDays)})
	if err != nil {
		return s.adminFailure(err)
	}
	return reply{status: http.StatusCreated, body: NewToken{Id: tok.ID, Secret: secret, ExpiresAt: tok.ExpiresAt}}, nil
}

// RevokeOrganisationToken revokes a token of the admin's organisation; another
// organisation's token is not found.
func (s *Server) RevokeOrganisationToken(ctx context.Context, req RevokeOrganisationTokenRequestObject) (RevokeOrganisationTokenResponseObject, error) {
	org, refused := adminOf(ctx)
	if refused != nil {
		return *refused, nil
	}
	err := s.app.RevokeToken(ctx, app.Admin{Org: org, Role: store.RoleAdmin}, req.TokenId)
	if errors.Is(err, app.ErrTokenNotFound) {
		return problemReply(newProblem(http.StatusNotFound, problemBlank, "Token non trovato", "")), nil
	}
	if err != nil {
		return s.failure(err)
	}
	return noContent(), nil
}

// DisableUser disables a person of the admin's organisation: sessions end at once, unused
// links die, the tokens the person made are revoked.
func (s *Server) DisableUser(ctx context.Context, req DisableUserRequestObject) (DisableUserResponseObject, error) {
	admin, refused := adminActing(ctx)
	if refused != nil {
		return *refused, nil
	}
	user, err := s.app.DisableUser(ctx, admin, req.UserId)
	if errors.Is(err, app.ErrUserNotFound) {
		return problemReply(newProblem(http.StatusNotFound, problemBlank, "Persona non trovata", "")), nil
	}
	if err != nil {
		return s.adminFailure(err)
	}
	return ok(accountUser(user, s.now())), nil
}

func (r reply) VisitDisableUserResponse(w http.ResponseWriter) error     { return r.write(w) }
func (r reply) VisitGetOrganisationResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitInviteUserResponse(w http.ResponseWriter) error      { return r.write(w) }
func (r reply) VisitCreateOrganisationTokenResponse(w http.ResponseWriter) error {
	return r.write(w)
}
func (r reply) VisitRevokeOrganisationTokenResponse(w http.ResponseWriter) error {
	return r.write(w)
}
