package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/casework"
)

var (
	//go:embed queries/upsert_organisation.sql
	upsertOrganisationSQL string
	//go:embed queries/insert_token.sql
	insertTokenSQL string
	//go:embed queries/revoke_token.sql
	revokeTokenSQL string
	//go:embed queries/revoke_tokens_named.sql
	revokeTokensNamedSQL string
	//go:embed queries/authenticate_token.sql
	authenticateTokenSQL string
	//go:embed queries/revoke_minted.sql
	revokeMintedSQL string
)

// ErrTokenRejected is returned for a token that is unknown, expired or revoked. The
// caller is not told which: that would help whoever is guessing.
var ErrTokenRejected = errors.New("token rejected")

// tokenPrefix marks Approdo's tokens, so that a leaked one is recognisable (secret
// scanners) and a token of another system is refused at once.
const tokenPrefix = "apd_"

// Token is an API token as stored: everything but its secret.
type Token struct {
	ID           string
	Organisation casework.Org
	Name         string
	Role         string // operator or admin
	ExpiresAt    time.Time
	RevokedAt    *time.Time
}

// Roles within an organisation.
const (
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// CreateOrganisation records an organisation, or renames it if it exists.
func (s *Store) CreateOrganisation(ctx context.Context, org casework.Org, name string) error {
	_, err := s.pool.Exec(ctx, upsertOrganisationSQL, pgx.NamedArgs{"id": org.String(), "kind": string(org.Kind), "name": name})
	if err != nil {
		return fmt.Errorf("create organisation %s: %w", org, err)
	}
	return nil
}

// Creator is who made a token: the token (TokenID) or the person (UserID) that acted, or
// neither for the owner's command line. Revoking the one revokes what it made.
type Creator struct {
	TokenID string
	UserID  string
}

func (c Creator) args() (token, user any) {
	if c.TokenID != "" {
		token = c.TokenID
	}
	if c.UserID != "" {
		user = c.UserID
	}
	return token, user
}

// ErrInvalidRole is a role other than operator and admin.
var ErrInvalidRole = errors.New("role must be " + RoleOperator + " or " + RoleAdmin)

// CreateToken makes a token for org that expires after ttl, and returns it with its
// secret. The secret is shown once: only its hash is stored.
func (s *Store) CreateToken(ctx context.Context, org casework.Org, name, role string, ttl time.Duration) (Token, string, error) {
	return s.CreateTokenBy(ctx, org, name, role, ttl, Creator{})
}

// CreateTokenBy is CreateToken recording who made the token.
func (s *Store) CreateTokenBy(ctx context.Context, org casework.Org, name, role string, ttl time.Duration, by Creator) (Token, string, error) {
	if role != RoleOperator && role != RoleAdmin {
		return Token{}, "", fmt.Errorf("%w, not %q", ErrInvalidRole, role)
	}
	if ttl <= 0 {
		return Token{}, "", fmt.Errorf("a token must expire: give a positive duration")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, "", fmt.Errorf("generate token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	t := Token{ID: uuid.NewString(), Organisation: org, Name: name, Role: role, ExpiresAt: time.Now().Add(ttl).UTC()}
	hash := sha256.Sum256([]byte(secret))
	byToken, byUser := by.args()
	_, err := s.pool.Exec(ctx, insertTokenSQL, pgx.NamedArgs{
		"id": t.ID, "organisation": org.String(), "name": name, "role": role, "secret_hash": hash[:], "expires_at": t.ExpiresAt,
		"created_by_token": byToken, "created_by_user": byUser,
	})
	if err != nil {
		return Token{}, "", fmt.Errorf("create token for %s: %w", org, err)
	}
	return t, secret, nil
}

// RevokeToken revokes a token at once, with the tokens it minted. Revoking it again
// changes nothing.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("revoke token %s: %w", id, ErrNotFound)
	}
	return s.revokeWithMinted(ctx, id, revokeTokenSQL, pgx.NamedArgs{"id": id})
}

// revokeWithMinted runs the revocation of token id, then revokes what it minted, in one
// transaction.
func (s *Store) revokeWithMinted(ctx context.Context, id, revokeSQL string, args any) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, revokeSQL, args)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		_, err = tx.Exec(ctx, revokeMintedSQL, pgx.NamedArgs{"token": id, "user": nil})
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return nil
}

// Authenticate returns the token whose secret is given, if it is valid at now. A token
// that exists but is expired or revoked is ErrTokenRejected too, returned with the token,
// so that the audit log can name it; the caller must not answer differently.
func (s *Store) Authenticate(ctx context.Context, secret string, now time.Time) (Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Token{}, ErrTokenRejected
	}
	hash := sha256.Sum256([]byte(secret))
	var t Token
	var org string
	// One round trip: the look-up and the note of its use (at most once a minute) are
	// one statement. No cache: a revoked token is refused at its next request.
	err := s.pool.QueryRow(ctx, authenticateTokenSQL, pgx.NamedArgs{"secret_hash": hash[:], "now": now}).Scan(&t.ID, &org, &t.Name, &t.Role, &t.ExpiresAt, &t.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, ErrTokenRejected
	}
	if err != nil {
		return Token{}, fmt.Errorf("authenticate token: %w", err)
	}
	if t.Organisation, err = casework.ParseOrg(org); err != nil {
		return Token{}, fmt.Errorf("authenticate token %s: %w", t.ID, err)
	}
	if t.RevokedAt != nil || !now.Before(t.ExpiresAt) {
		return t, ErrTokenRejected
	}
	return t, nil
}

// RevokeTokensNamed revokes every token with the given name, e.g. the dev stack's demo
// tokens before it makes new ones.
func (s *Store) RevokeTokensNamed(ctx context.Context, name string) error {
	if _, err := s.pool.Exec(ctx, revokeTokensNamedSQL, pgx.NamedArgs{"name": name}); err != nil {
		return fmt.Errorf("revoke tokens named %q: %w", name, err)
	}
	return nil
}

// TokensOf lists the tokens of org, newest first, without their secrets.
func (s *Store) TokensOf(ctx context.Context, org casework.Org) ([]Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT id::text, name, role, expires_at, revoked_at FROM api_token
		WHERE organisation = $1 ORDER BY created_at DESC`, org.String())
	if err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", org, err)
	}
	tokens, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Token, error) {
		t := Token{Organisation: org}
		return t, row.Scan(&t.ID, &t.Name, &t.Role, &t.ExpiresAt, &t.RevokedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", org, err)
	}
	return tokens, nil
}

// RevokeTokenOf revokes a token of org, with the tokens it minted; a token of another
// organisation is ErrNotFound.
func (s *Store) RevokeTokenOf(ctx context.Context, org casework.Org, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("revoke token %s: %w", id, ErrNotFound)
	}
	return s.revokeWithMinted(ctx, id, `UPDATE api_token SET revoked_at = coalesce(revoked_at, now())
		WHERE id = @id AND organisation = @org`, pgx.NamedArgs{"id": id, "org": org.String()})
}
