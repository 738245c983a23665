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

// loginColumns are the columns of approdo_login_account: the whole account, password
// hash included, which only the login and reset functions return (migration 00023).
const loginColumns = `id::text, organisation, email, name, role, coalesce(password_hash, ''),
	must_change_password, failed_logins, locked_until, disabled_at, known_address_hash`

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

// listedColumns are what the application role may read of app_user (migration 00023):
// no password hash, failure count or address hash.
const listedColumns = `u.id::text, u.organisation, u.email, u.name, u.role, u.must_change_password, u.locked_until, u.disabled_at`

func scanListedUser(row pgx.Row, extra ...any) (User, error) {
	var u User
	var org string
	dest := append([]any{&u.ID, &org, &u.Email, &u.Name, &u.Role, &u.MustChangePassword, &u.LockedUntil, &u.DisabledAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return User{}, err
	}
	var err error
	u.Organisation, err = casework.ParseOrg(org)
	return u, err
}

// CreateUser records a user of org, acting for org, without a password: the invitation
// sets it.
func (s *Store) CreateUser(ctx context.Context, org casework.Org, email, name, role string) (User, error) {
	if role != RoleOperator && role != RoleAdmin {
		return User{}, fmt.Errorf("%w, not %q", ErrInvalidRole, role)
	}
	u := User{ID: uuid.NewString(), Organisation: org, Email: normalEmail(email), Name: name, Role: role, MustChangePassword: true}
	err := s.inOrgAs(ctx, org.String(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO app_user (id, organisation, email, name, role) VALUES ($1, $2, $3, $4, $5)`,
			u.ID, org.String(), u.Email, name, role)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("create user of %s: %w", org, err)
	}
	return u, nil
}

func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// isUUID says whether id is a UUID in the form PostgreSQL prints, so that anything else
// is "not found" rather than a cast error.
func isUUID(id string) bool { return len(id) == 36 && uuid.Validate(id) == nil }

// UserByEmail returns the account a login or a reset names, password hash included, or
// ErrNotFound. It needs no organisation: it is how one logs in.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	// PostgreSQL's text cannot hold a NUL, so no account has such an address; asking
	// would fail the query (a 500 for a login typed with one, found by fuzzing).
	if strings.ContainsRune(email, 0) {
		return User{}, ErrNotFound
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+loginColumns+` FROM approdo_login_account($1)`, normalEmail(email)))
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
	if _, err := s.pool.Exec(ctx, `SELECT approdo_note_login_failure($1, $2, $3)`, userID, maxFailures, now.Add(lockout)); err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	return nil
}

// RecordLoginSuccess clears the failures of a user, remembers the hash of the address
// the login came from (addressHash, nil to keep the one known), and reports whether this
// was the user's first login ever, which ends the onboarding of a comune.
func (s *Store) RecordLoginSuccess(ctx context.Context, userID string, addressHash []byte) (first bool, err error) {
	var got *bool
	if err := s.pool.QueryRow(ctx, `SELECT approdo_note_login_success($1, $2)`, userID, addressHash).Scan(&got); err != nil {
		return false, fmt.Errorf("record login: %w", err)
	}
	if got == nil {
		return false, fmt.Errorf("record login: user %s: %w", userID, ErrNotFound)
	}
	return *got, nil
}

// CreateSession opens a session for user, valid for ttl, and returns it with the cookie
// secret (stored only as a hash). A disabled user gets none.
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
	var opened bool
	err = s.pool.QueryRow(ctx, `SELECT approdo_open_session($1, $2, $3, $4, $5)`, sess.ID, user.ID, hash, csrf, sess.ExpiresAt).Scan(&opened)
	if err != nil {
		return Session{}, "", fmt.Errorf("open session: %w", err)
	}
	if !opened {
		return Session{}, "", fmt.Errorf("open session: user %s: %w", user.ID, ErrNotFound)
	}
	return sess, secret, nil
}

// SessionBySecret returns the session of a cookie secret, if it is valid at now and its
// user is not disabled. Its user carries no password hash.
func (s *Store) SessionBySecret(ctx context.Context, secret string, now time.Time) (Session, error) {
	var sess Session
	var u User
	var org string
	err := s.pool.QueryRow(ctx, `SELECT session_id::text, csrf_token, expires_at, id::text, organisation, email, name, role,
		must_change_password, locked_until, disabled_at FROM approdo_session($1, $2)`, hashOf(secret), now).
		Scan(&sess.ID, &sess.CSRF, &sess.ExpiresAt, &u.ID, &org, &u.Email, &u.Name, &u.Role, &u.MustChangePassword, &u.LockedUntil, &u.DisabledAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrSessionRejected
	}
	if err != nil {
		return Session{}, fmt.Errorf("find session: %w", err)
	}
	if u.Organisation, err = casework.ParseOrg(org); err != nil {
		return Session{}, fmt.Errorf("find session: %w", err)
	}
	sess.User = u
	return sess, nil
}

// RevokeSession ends a session (logout).
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	if !isUUID(id) {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `SELECT approdo_end_session($1)`, id); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// SessionPasswordHash returns the password hash of the user of a session valid at now,
// for checking the current password before a change; ErrSessionRejected otherwise.
func (s *Store) SessionPasswordHash(ctx context.Context, sessionID string, now time.Time) (string, error) {
	var hash *string
	if !isUUID(sessionID) {
		return "", ErrSessionRejected
	}
	if err := s.pool.QueryRow(ctx, `SELECT approdo_session_password_hash($1, $2)`, sessionID, now).Scan(&hash); err != nil {
		return "", fmt.Errorf("read password hash: %w", err)
	}
	if hash == nil {
		return "", ErrSessionRejected
	}
	return *hash, nil
}

// ChangePassword sets the password of the user of a session valid at now: the session
// stays, the user's other sessions end and unused links die; ErrSessionRejected if the
// session is no longer valid.
func (s *Store) ChangePassword(ctx context.Context, sessionID string, now time.Time, hash string) error {
	var changed bool
	if !isUUID(sessionID) {
		return ErrSessionRejected
	}
	if err := s.pool.QueryRow(ctx, `SELECT approdo_change_password($1, $2, $3)`, sessionID, now, hash).Scan(&changed); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if !changed {
		return ErrSessionRejected
	}
	return nil
}

// SetPassword stores a new password hash and ends the user's other sessions: whoever
// knew the old password is out. Invitation and reset links not yet used die too: a link
// read from an old mailbox must not set the password again. It needs the owner's pool
// (the CLI, the dev stack's demo users): the application sets a password only with a
// session (ChangePassword) or a link (RedeemPasswordToken).
func (s *Store) SetPassword(ctx context.Context, userID, hash string, keepSession string) error {
	var keep any
	if keepSession != "" {
		keep = keepSession
	}
	if _, err := s.pool.Exec(ctx, `SELECT approdo_set_password_of($1, $2, $3)`, userID, hash, keep); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// PasswordToken is a single-use token that lets a user set a password, and the key of
// the email that carries it.
type PasswordToken struct {
	Secret     string
	MessageKey string
}

// CreatePasswordToken makes a single-use token that lets the user set a password, and
// queues the email that carries it. A disabled or unknown user is ErrNotFound.
func (s *Store) CreatePasswordToken(ctx context.Context, userID, purpose string, ttl time.Duration) (PasswordToken, error) {
	secret, hash, err := newSecret("apw_")
	if err != nil {
		return PasswordToken{}, err
	}
	id := uuid.NewString()
	key := "password-token/" + id
	var queued bool
	err = s.pool.QueryRow(ctx, `SELECT approdo_queue_password_link($1, $2, $3, $4, $5, $6, $7)`,
		id, userID, purpose, hash, time.Now().Add(ttl), key, secret).Scan(&queued)
	if err != nil {
		return PasswordToken{}, fmt.Errorf("create %s token: %w", purpose, err)
	}
	if !queued {
		return PasswordToken{}, fmt.Errorf("create %s token: user %s: %w", purpose, userID, ErrNotFound)
	}
	return PasswordToken{Secret: secret, MessageKey: key}, nil
}

// Redemption is what became of a password link: whose it was (empty for a link nobody
// knows) and whether it set the password.
type Redemption struct {
	UserID       string
	Organisation string
	Redeemed     bool
}

// RedeemPasswordToken spends a password link and sets the password hash it is for, at
// once, ending every session of the user and the other links. A link works once, before
// it expires, and not for a disabled user; otherwise ErrPasswordTokenRejected, with the
// user the link was for when it is known (for the audit log).
func (s *Store) RedeemPasswordToken(ctx context.Context, secret string, now time.Time, hash string) (Redemption, error) {
	var r Redemption
	err := s.pool.QueryRow(ctx, `SELECT user_id::text, organisation, redeemed FROM approdo_redeem_password_token($1, $2, $3)`,
		hashOf(secret), now, hash).Scan(&r.UserID, &r.Organisation, &r.Redeemed)
	if errors.Is(err, pgx.ErrNoRows) {
		return Redemption{}, ErrPasswordTokenRejected
	}
	if err != nil {
		return Redemption{}, fmt.Errorf("use password token: %w", err)
	}
	if !r.Redeemed {
		return r, ErrPasswordTokenRejected
	}
	return r, nil
}

// SetTemporaryPassword gives the user a password that must be changed at the first login,
// as when credentials are sent to a comune by PEC. The CLI calls it with the owner's pool;
// of the application, only the worker may.
func (s *Store) SetTemporaryPassword(ctx context.Context, userID, hash string) error {
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE app_user SET password_hash = $2, must_change_password = true WHERE id = $1`, userID, hash)
		if err == nil && tag.RowsAffected() == 0 {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("set temporary password: %w", err)
	}
	return nil
}

// UsersOf lists the people of org, acting for org (without their password hashes).
func (s *Store) UsersOf(ctx context.Context, org casework.Org) ([]User, error) {
	var users []User
	err := s.inOrgAs(ctx, org.String(), func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+listedColumns+` FROM app_user u WHERE u.organisation = $1 ORDER BY u.email`, org.String())
		if err != nil {
			return err
		}
		users, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) { return scanListedUser(row) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list users of %s: %w", org, err)
	}
	return users, nil
}

// DisableUserOf disables a user of org, acting for org; a user of another organisation
// is ErrNotFound. Disabling again changes nothing.
func (s *Store) DisableUserOf(ctx context.Context, org casework.Org, id string) (User, error) {
	if !isUUID(id) {
		return User{}, ErrNotFound
	}
	return s.disableUser(WithOrg(ctx, org.String()), id)
}

// DisableUserByEmail disables the user with email, for the `approdo user disable`
// command, which acts for the system.
func (s *Store) DisableUserByEmail(ctx context.Context, email string) (User, error) {
	var id string
	err := s.inOrgAs(ctx, System, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id::text FROM app_user WHERE email = $1`, normalEmail(email)).Scan(&id)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("disable user: %w", err)
	}
	return s.disableUser(AsSystem(ctx), id)
}

// disableUser disables the user id, for the organisation the context names, in one
// transaction: every session ends at once, unused invitation and reset links die
// (approdo_disable_user), and the tokens the user made (and those these made in turn)
// are revoked.
func (s *Store) disableUser(ctx context.Context, id string) (User, error) {
	var u User
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		var disabled bool
		if err := tx.QueryRow(ctx, `SELECT approdo_disable_user($1)`, id).Scan(&disabled); err != nil {
			return err
		}
		if !disabled {
			return ErrNotFound
		}
		var err error
		if u, err = scanListedUser(tx.QueryRow(ctx, `SELECT `+listedColumns+` FROM app_user u WHERE u.id = $1`, id)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, revokeMintedSQL, pgx.NamedArgs{"token": nil, "user": u.ID}); err != nil {
			return fmt.Errorf("revoke the user's tokens: %w", err)
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("disable user: %w", err)
	}
	return u, nil
}
