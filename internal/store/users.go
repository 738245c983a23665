package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/casework"
)

// User is a person of an organisation.
type User struct {
	ID                 string
	Organisation       casework.Org
	Email              string
	Name               string
	Role               string
	PasswordHash       string // empty until the invitation is accepted
	MustChangePassword bool
	FailedLogins       int
	LockedUntil        *time.Time
	// DisabledAt is when an admin disabled the user: no login, no session.
	DisabledAt *time.Time
	// KnownAddressHash is the SHA-256 of the address of the last successful login.
	KnownAddressHash []byte
}

// Session is a logged-in user's session.
type Session struct {
	ID   string
	User User
	// CSRF is the token the browser must echo in X-CSRF-Token on every change.
	CSRF      string
	ExpiresAt time.Time
}

// Purposes of a password token.
const (
	PurposeInvitation = "invitation"
	PurposeReset      = "reset"
)

// ErrSessionRejected is returned for an unknown, expired or revoked session, and
// ErrPasswordTokenRejected for an unknown, expired or used password token.
var (
	ErrSessionRejected       = errors.New("session rejected")
	ErrPasswordTokenRejected = errors.New("password token rejected")
)

// newSecret returns a random secret with prefix and the SHA-256 under which it is stored.
func newSecret(prefix string) (string, []byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("generate secret: %w", err)
	}
	secret := prefix + base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(secret))
	return secret, sum[:], nil
}

func hashOf(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

const userColumns = `u.id::text, u.organisation, u.email, u.name, u.role, coalesce(u.password_hash, ''),
	u.must_change_password, u.failed_logins, u.locked_until, u.disabled_at, u.known_address_hash`

func scanUser(row pgx.Row, extra ...any) (User, error) {
	var u User
	var org string
	dest := append([]any{&u.ID, &org, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.MustChangePassword, &u.FailedLogins, &u.LockedUntil, &u.DisabledAt, &u.KnownAddressHash}, extra...)
	if err := row.Scan(dest...); err != nil {
		return User{}, err
	}
	var err error
	u.Organisation, err = casework.ParseOrg(org)
	return u, err
}

// CreateUser records a user of org, without a password: the invitation sets it.
func (s *Store) CreateUser(ctx context.Context, org casework.Org, email, name, role string) (User, error) {
	if role != RoleOperator && role != RoleAdmin {
		return User{}, fmt.Errorf("%w, not %q", ErrInvalidRole, role)
	}
	u := User{ID: uuid.NewString(), Organisation: org, Email: strings.ToLower(strings.TrimSpace(email)), Name: name, Role: role, MustChangePassword: true}
	_, err := s.pool.Exec(ctx, `INSERT INTO app_user (id, organisation, email, name, role) VALUES ($1, $2, $3, $4, $5)`,
		u.ID, org.String(), u.Email, name, role)
	if err != nil {
		return User{}, fmt.Errorf("create user of %s: %w", org, err)
	}
	return u, nil
}

// UserByEmail returns the user with email, or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM app_user u WHERE u.email = $1`, strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// RecordLoginFailure counts a failed login; at maxFailures the account is locked until
// now+lockout and the count starts again.
func (s *Store) RecordLoginFailure(ctx context.Context, userID string, now time.Time, maxFailures int, lockout time.Duration) error {
	_, err := s.pool.Exec(ctx, `UPDATE app_user SET
		failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
		locked_until  = CASE WHEN failed_logins + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
		WHERE id = $1`, userID, maxFailures, now.Add(lockout))
	if err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	return nil
}

// RecordLoginSuccess clears the failures of a user, remembers the hash of the address
// the login came from (addressHash, nil to keep the one known), and reports whether this
// was the user's first login ever, which ends the onboarding of a comune.
func (s *Store) RecordLoginSuccess(ctx context.Context, userID string, addressHash []byte) (first bool, err error) {
	err = s.pool.QueryRow(ctx, `UPDATE app_user u SET failed_logins = 0, locked_until = NULL, first_login_at = coalesce(u.first_login_at, now()),
		known_address_hash = coalesce($2, u.known_address_hash)
		FROM (SELECT first_login_at IS NULL AS first FROM app_user WHERE id = $1 FOR UPDATE) before
		WHERE u.id = $1 RETURNING before.first`, userID, addressHash).Scan(&first)
	if err != nil {
		return false, fmt.Errorf("record login: %w", err)
	}
	return first, nil
}

// CreateSession opens a session for user, valid for ttl, and returns it with the cookie
// secret (stored only as a hash).
func (s *Store) CreateSession(ctx context.Context, user User, ttl time.Duration) (Session, string, error) {
	secret, hash, err := newSecret("aps_")
	if err != nil {
		return Session{}, "", err
	}
	csrf, _, err := newSecret("")
	if err != nil {
		return Session{}, "", err
	}
	sess := Session{ID: uuid.NewString(), User: user, CSRF: csrf, ExpiresAt: time.Now().Add(ttl).UTC()}
	_, err = s.pool.Exec(ctx, `INSERT INTO user_session (id, user_id, secret_hash, csrf_token, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		sess.ID, user.ID, hash, csrf, sess.ExpiresAt)
	if err != nil {
		return Session{}, "", fmt.Errorf("open session: %w", err)
	}
	return sess, secret, nil
}

// SessionBySecret returns the session of a cookie secret, if it is valid at now and its
// user is not disabled.
func (s *Store) SessionBySecret(ctx context.Context, secret string, now time.Time) (Session, error) {
	var sess Session
	var revoked *time.Time
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+`, s.id::text, s.csrf_token, s.expires_at, s.revoked_at
		FROM user_session s JOIN app_user u ON u.id = s.user_id WHERE s.secret_hash = $1`, hashOf(secret)),
		&sess.ID, &sess.CSRF, &sess.ExpiresAt, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrSessionRejected
	}
	if err != nil {
		return Session{}, fmt.Errorf("find session: %w", err)
	}
	if revoked != nil || !now.Before(sess.ExpiresAt) || u.DisabledAt != nil {
		return Session{}, ErrSessionRejected
	}
	sess.User = u
	return sess, nil
}

// RevokeSession ends a session (logout).
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE user_session SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// SetPassword stores a new password hash and ends the user's other sessions: whoever
// knew the old password is out. Invitation and reset links not yet used die too: a link
// read from an old mailbox must not set the password again.
func (s *Store) SetPassword(ctx context.Context, userID, hash string, keepSession string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE app_user SET password_hash = $2, must_change_password = false, failed_logins = 0, locked_until = NULL WHERE id = $1`, userID, hash); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE password_token SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
			return fmt.Errorf("end password links: %w", err)
		}
		_, err := tx.Exec(ctx, `UPDATE user_session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND id::text <> $2`, userID, keepSession)
		return err
	})
}

// PasswordToken is a single-use token that lets a user set a password, and the key of
// the email that carries it.
type PasswordToken struct {
	Secret     string
	MessageKey string
}

// CreatePasswordToken makes a single-use token that lets the user set a password, and
// queues the email that carries it.
func (s *Store) CreatePasswordToken(ctx context.Context, userID, purpose string, ttl time.Duration) (PasswordToken, error) {
	secret, hash, err := newSecret("apw_")
	if err != nil {
		return PasswordToken{}, err
	}
	id := uuid.NewString()
	key := "password-token/" + id
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO password_token (id, user_id, purpose, secret_hash, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			id, userID, purpose, hash, time.Now().Add(ttl)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO account_message (key, user_id, kind, channel, secret) VALUES ($1, $2, $3, 'email', $4)`, key, userID, purpose, secret)
		return err
	})
	if err != nil {
		return PasswordToken{}, fmt.Errorf("create %s token: %w", purpose, err)
	}
	return PasswordToken{Secret: secret, MessageKey: key}, nil
}

// UsePasswordToken spends a password token and returns its user. A token works once, and
// not for a disabled user.
func (s *Store) UsePasswordToken(ctx context.Context, secret string, now time.Time) (string, error) {
	var userID string
	err := s.pool.QueryRow(ctx, `UPDATE password_token t SET used_at = $2 FROM app_user u
		WHERE t.secret_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2
		  AND u.id = t.user_id AND u.disabled_at IS NULL RETURNING t.user_id::text`, hashOf(secret), now).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrPasswordTokenRejected
	}
	if err != nil {
		return "", fmt.Errorf("use password token: %w", err)
	}
	return userID, nil
}

// SetTemporaryPassword gives the user a password that must be changed at the first login,
// as when credentials are sent to a comune by PEC.
func (s *Store) SetTemporaryPassword(ctx context.Context, userID, hash string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE app_user SET password_hash = $2, must_change_password = true WHERE id = $1`, userID, hash); err != nil {
		return fmt.Errorf("set temporary password: %w", err)
	}
	return nil
}

// UsersOf lists the people of org.
func (s *Store) UsersOf(ctx context.Context, org casework.Org) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM app_user u WHERE u.organisation = $1 ORDER BY u.email`, org.String())
	if err != nil {
		return nil, fmt.Errorf("list users of %s: %w", org, err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) { return scanUser(row) })
	if err != nil {
		return nil, fmt.Errorf("list users of %s: %w", org, err)
	}
	return users, nil
}

// DisableUserOf disables a user of org; a user of another organisation is ErrNotFound.
// Disabling again changes nothing.
func (s *Store) DisableUserOf(ctx context.Context, org casework.Org, id string) (User, error) {
	return s.disableUser(ctx, `u.id::text = $1 AND u.organisation = $2`, id, org.String())
}

// DisableUserByEmail disables the user with email, for the `approdo user disable` command.
func (s *Store) DisableUserByEmail(ctx context.Context, email string) (User, error) {
	return s.disableUser(ctx, `u.email = $1`, strings.ToLower(strings.TrimSpace(email)))
}

// disableUser disables the user the condition selects, in one transaction: every session
// ends at once, unused invitation and reset links die, and the tokens the user made (and
// those these made in turn) are revoked.
func (s *Store) disableUser(ctx context.Context, where string, args ...any) (User, error) {
	var u User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE app_user u SET disabled_at = coalesce(u.disabled_at, now())
			WHERE `+where+` RETURNING `+userColumns, args...))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE user_session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, u.ID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE password_token SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, u.ID); err != nil {
			return fmt.Errorf("end password links: %w", err)
		}
		if _, err := tx.Exec(ctx, revokeMintedSQL, pgx.NamedArgs{"token": nil, "user": u.ID}); err != nil {
			return fmt.Errorf("revoke the user's tokens: %w", err)
		}
		return nil
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("disable user: %w", err)
	}
	return u, nil
}
