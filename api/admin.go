package api

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// roleKey is the gin context key of the caller's role within its organisation.
const roleKey = "approdo.role"

// adminOf returns the caller's organisation if the caller is one of its admins.
func adminOf(ctx context.Context) (casework.Org, *reply) {
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
	users, err := s.store.UsersOf(ctx, org)
	if err != nil {
		return nil, err
	}
	tokens, err := s.store.TokensOf(ctx, org)
	if err != nil {
		return nil, err
	}
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
		Locked: u.LockedUntil != nil && now.Before(*u.LockedUntil),
	}
}

// InviteUser adds a person to the admin's organisation and queues the invitation.
func (s *Server) InviteUser(ctx context.Context, req InviteUserRequestObject) (InviteUserResponseObject, error) {
	org, refused := adminOf(ctx)
	if refused != nil {
		return *refused, nil
	}
	if req.Body == nil {
		return s.failure(errBodyRequired)
	}
	b := req.Body
	var fields []FieldError
	if addr, err := mail.ParseAddress(b.Email); err != nil || addr.Address != strings.TrimSpace(b.Email) {
		fields = append(fields, FieldError{Field: "email", Reason: "non è un indirizzo email valido"})
	}
	if strings.TrimSpace(b.Name) == "" || len(b.Name) > 200 {
		fields = append(fields, FieldError{Field: "name", Reason: "è obbligatorio (al massimo 200 caratteri)"})
	}
	role := value(b.Role)
	if role == "" {
		role = store.RoleOperator
	}
	if len(fields) > 0 {
		p := newProblem(http.StatusBadRequest, problemValidation, "Richiesta non valida", "")
		p.Errors = &fields
		return problemReply(p), nil
	}
	user, err := s.store.CreateUser(ctx, org, b.Email, strings.TrimSpace(b.Name), role)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		p := newProblem(http.StatusConflict, problemRequestConflict, "Utente già registrato", "")
		p.Errors = &[]FieldError{{Field: "email", Reason: "è già di un utente"}}
		return problemReply(p), nil
	}
	if err != nil {
		return nil, err
	}
	token, err := s.store.CreatePasswordToken(ctx, user.ID, store.PurposeInvitation, 7*24*time.Hour)
	if err != nil {
		return nil, err
	}
	s.app.SendAccountMessage(ctx, token.MessageKey)
	return reply{status: http.StatusCreated, body: accountUser(user, s.now())}, nil
}

// CreateOrganisationToken makes a token of the admin's organisation.
func (s *Server) CreateOrganisationToken(ctx context.Context, req CreateOrganisationTokenRequestObject) (CreateOrganisationTokenResponseObject, error) {
	org, refused := adminOf(ctx)
	if refused != nil {
		return *refused, nil
	}
	if req.Body == nil || strings.TrimSpace(req.Body.Name) == "" {
		return problemReply(fieldProblem("name", "è obbligatorio: dire a cosa serve il token")), nil
	}
	days := value(req.Body.TtlDays)
	if days == 0 {
		days = 90
	}
	if days < 1 || days > 365 {
		return problemReply(fieldProblem("ttlDays", "deve essere tra 1 e 365")), nil
	}
	role := value(req.Body.Role)
	if role == "" {
		role = store.RoleOperator
	}
	tok, secret, err := s.store.CreateToken(ctx, org, strings.TrimSpace(req.Body.Name), role, time.Duration(days)*24*time.Hour)
	if err != nil {
		return nil, err
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
	err := s.store.RevokeTokenOf(ctx, org, req.TokenId)
	if errors.Is(err, store.ErrNotFound) {
		return problemReply(newProblem(http.StatusNotFound, problemBlank, "Token non trovato", "")), nil
	}
	if err != nil {
		return nil, err
	}
	return noContent(), nil
}

func (r reply) VisitGetOrganisationResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitInviteUserResponse(w http.ResponseWriter) error      { return r.write(w) }
func (r reply) VisitCreateOrganisationTokenResponse(w http.ResponseWriter) error {
	return r.write(w)
}
func (r reply) VisitRevokeOrganisationTokenResponse(w http.ResponseWriter) error {
	return r.write(w)
}
