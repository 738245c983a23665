package app

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// This file holds what an organisation's admins do with its people and tokens: the JSON
// API (/organisation) and the page /organizzazione call it alike.

// Admin is a person (or token) acting as an admin of an organisation: the organisation,
// the role within it, and who acts (recorded on the tokens it makes).
type Admin struct {
	Org  casework.Org
	Role string
	By   store.Creator
}

// ErrUserNotFound is a person who is not the organisation's.
var ErrUserNotFound = errors.New("user not found")

// ErrUserExists is an invitation to an email that is already a user's.
var ErrUserExists = errors.New("email already a user's")

// ErrTokenNotFound is a token that is not the organisation's.
var ErrTokenNotFound = errors.New("token not found")

func (a Admin) check() error {
	if a.Org.IsZero() || a.Role != store.RoleAdmin {
		return &RefusedError{Subject: SubjectOrganisation, Reason: RefusedNotAllowed,
			Message: "Persone e token dell'organizzazione li gestisce un suo amministratore."}
	}
	return nil
}

// SubjectOrganisation is an organisation's people and tokens.
const SubjectOrganisation Subject = "organisation"

// Accounts are an organisation's people and tokens.
type Accounts struct {
	Users  []store.User
	Tokens []store.Token
}

// OrgAccounts lists the people and tokens of the admin's organisation.
func (s *Service) OrgAccounts(ctx context.Context, a Admin) (Accounts, error) {
	if err := a.check(); err != nil {
		return Accounts{}, err
	}
	users, err := s.store.UsersOf(ctx, a.Org)
	if err != nil {
		return Accounts{}, unavailableOr(fmt.Errorf("list users: %w", err))
	}
	tokens, err := s.store.TokensOf(ctx, a.Org)
	if err != nil {
		return Accounts{}, unavailableOr(fmt.Errorf("list tokens: %w", err))
	}
	return Accounts{Users: users, Tokens: tokens}, nil
}

// Invitation is a person an admin adds to its organisation.
type Invitation struct {
	Email, Name, Role string
}

// InviteUser adds a person to the admin's organisation and queues the invitation (a link
// to choose the password, valid 7 days).
func (s *Service) InviteUser(ctx context.Context, a Admin, in Invitation) (store.User, error) {
	if err := a.check(); err != nil {
		return store.User{}, err
	}
	var fields []FieldError
	if addr, err := mail.ParseAddress(in.Email); err != nil || addr.Address != strings.TrimSpace(in.Email) {
		fields = append(fields, FieldError{Field: "email", Reason: "non è un indirizzo email valido"})
	}
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 200 {
		fields = append(fields, FieldError{Field: "name", Reason: "è obbligatorio (al massimo 200 caratteri)"})
	}
	if in.Role == "" {
		in.Role = store.RoleOperator
	}
	if in.Role != store.RoleOperator && in.Role != store.RoleAdmin {
		fields = append(fields, FieldError{Field: "role", Reason: "deve essere operator o admin"})
	}
	if len(fields) > 0 {
		return store.User{}, &InvalidError{Fields: fields}
	}
	user, err := s.store.CreateUser(ctx, a.Org, in.Email, strings.TrimSpace(in.Name), in.Role)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return store.User{}, ErrUserExists
	}
	if err != nil {
		return store.User{}, unavailableOr(fmt.Errorf("create user: %w", err))
	}
	token, err := s.store.CreatePasswordToken(ctx, user.ID, store.PurposeInvitation, 7*24*time.Hour)
	if err != nil {
		return store.User{}, unavailableOr(fmt.Errorf("create invitation: %w", err))
	}
	s.SendAccountMessage(ctx, token.MessageKey)
	return user, nil
}

// NewToken asks for a token of the admin's organisation; TTLDays 0 is 90.
type NewToken struct {
	Name    string
	Role    string
	TTLDays int
}

// CreateToken makes a token of the admin's organisation and returns its secret, shown
// once.
func (s *Service) CreateToken(ctx context.Context, a Admin, in NewToken) (store.Token, string, error) {
	if err := a.check(); err != nil {
		return store.Token{}, "", err
	}
	if strings.TrimSpace(in.Name) == "" {
		return store.Token{}, "", Invalid("name", "è obbligatorio: dire a cosa serve il token")
	}
	if in.TTLDays == 0 {
		in.TTLDays = 90
	}
	if in.TTLDays < 1 || in.TTLDays > 365 {
		return store.Token{}, "", Invalid("ttlDays", "deve essere tra 1 e 365")
	}
	if in.Role == "" {
		in.Role = store.RoleOperator
	}
	if in.Role != store.RoleOperator && in.Role != store.RoleAdmin {
		return store.Token{}, "", Invalid("role", "deve essere operator o admin")
	}
	tok, secret, err := s.store.CreateTokenBy(ctx, a.Org, strings.TrimSpace(in.Name), in.Role, time.Duration(in.TTLDays)*24*time.Hour, a.By)
	if err != nil {
		return store.Token{}, "", unavailableOr(fmt.Errorf("create token: %w", err))
	}
	return tok, secret, nil
}

// RevokeToken revokes a token of the admin's organisation, with the tokens it minted;
// another organisation's token is ErrTokenNotFound.
func (s *Service) RevokeToken(ctx context.Context, a Admin, id string) error {
	if err := a.check(); err != nil {
		return err
	}
	err := s.store.RevokeTokenOf(ctx, a.Org, id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrTokenNotFound
	}
	if err != nil {
		return unavailableOr(fmt.Errorf("revoke token: %w", err))
	}
	return nil
}

// DisableUser disables a person of the admin's organisation: the person's sessions end at
// once, unused invitation and reset links die, and the tokens the person made are
// revoked. Another organisation's person is ErrUserNotFound; an admin cannot disable
// itself, so that an organisation is not left without one by mistake.
func (s *Service) DisableUser(ctx context.Context, a Admin, id string) (store.User, error) {
	if err := a.check(); err != nil {
		return store.User{}, err
	}
	if a.By.UserID != "" && a.By.UserID == id {
		return store.User{}, Invalid("id", "non si può disattivare sé stessi: lo fa un altro amministratore")
	}
	user, err := s.store.DisableUserOf(ctx, a.Org, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrUserNotFound
	}
	if err != nil {
		return store.User{}, unavailableOr(fmt.Errorf("disable user: %w", err))
	}
	return user, nil
}
