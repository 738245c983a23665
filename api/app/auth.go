package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/password"
	"github.com/approdo/approdo/internal/start"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// AuthSettings are the limits of password login.
type AuthSettings struct {
	SessionTTL time.Duration
	// MaxFailures wrong passwords in a row from one client address close the account to
	// that address for Lockout. Nobody else is shut out by them.
	MaxFailures int
	Lockout     time.Duration
	// AccountMaxFailures wrong passwords in a row from anywhere close the account for
	// Lockout to every address but the one of its last successful login: guessing from
	// many addresses is slowed, and the real user, at the usual address, still gets in.
	AccountMaxFailures int
	// AttemptsPerMinute bounds the login and reset attempts from one address.
	AttemptsPerMinute int
	// MaxConcurrentHashes bounds the argon2 hashes computed at once (19 MiB each), so
	// that a flood of logins queues instead of exhausting memory.
	MaxConcurrentHashes int
}

func (a AuthSettings) withDefaults() AuthSettings {
	if a.SessionTTL == 0 {
		a.SessionTTL = 12 * time.Hour
	}
	if a.MaxFailures == 0 {
		a.MaxFailures = 5
	}
	if a.Lockout == 0 {
		a.Lockout = 15 * time.Minute
	}
	if a.AccountMaxFailures == 0 {
		a.AccountMaxFailures = 20
	}
	if a.AttemptsPerMinute == 0 {
		a.AttemptsPerMinute = 20
	}
	if a.MaxConcurrentHashes == 0 {
		a.MaxConcurrentHashes = 4
	}
	return a
}

// Auth is password login and the life of sessions and passwords, shared by the JSON API
// and the pages.
type Auth struct {
	svc      *Service
	settings AuthSettings
	// attempts limits password guessing per client address.
	attempts *limiter
	// pairs counts wrong passwords per account and client address.
	pairs *failureLock
	// hashes holds a place for each argon2 hash being computed.
	hashes chan struct{}
}

// NewAuth returns the login service of svc.
func NewAuth(svc *Service, settings AuthSettings) *Auth {
	settings = settings.withDefaults()
	return &Auth{
		svc: svc, settings: settings,
		attempts: newLimiter(settings.AttemptsPerMinute, time.Minute, svc.now),
		pairs:    newFailureLock(settings.MaxFailures, settings.Lockout, svc.now),
		hashes:   make(chan struct{}, settings.MaxConcurrentHashes),
	}
}

// verify checks a password against its hash, waiting for a free place among the hashes
// computed at once.
func (a *Auth) verify(ctx context.Context, pass, hash string) error {
	select {
	case a.hashes <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-a.hashes }()
	return password.Verify(pass, hash)
}

// hash hashes a new password under the same bound as verify.
func (a *Auth) hash(ctx context.Context, pass string) (string, error) {
	select {
	case a.hashes <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-a.hashes }()
	return password.Hash(pass)
}

// addressHash is what is kept of the address of a successful login: a hash, salted with
// the user so that equal addresses of two users do not match.
func addressHash(userID, client string) []byte {
	sum := sha256.Sum256([]byte(userID + "|" + client))
	return sum[:]
}

// Settings are the limits in force.
func (a *Auth) Settings() AuthSettings { return a.settings }

// ErrBadCredentials is a wrong email or password; which of the two is not said.
var ErrBadCredentials = errors.New("bad credentials")

// TooManyAttemptsError is a client or an account that tried too often; RetryAfter says
// when it may try again.
type TooManyAttemptsError struct {
	RetryAfter time.Duration
}

func (e *TooManyAttemptsError) Error() string {
	return fmt.Sprintf("too many attempts; retry after %s", e.RetryAfter)
}

// ErrSessionRejected is a session cookie that is unknown, expired or revoked.
var ErrSessionRejected = errors.New("session rejected")

// dummyHash is checked when the email is unknown, so that the answer takes as long as
// for a known one and does not reveal which addresses exist. It is made on first use,
// not when every process that imports the package starts.
var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash("approdo-dummy-password")
	return h
})

// Login checks email and password, from the client address client, and opens a session;
// the secret is the cookie's value.
//
// An unknown address, a wrong password, a disabled person and an account closed by
// repeated failures get the same ErrBadCredentials after the same work (one argon2 hash),
// so that the answer tells nothing of which accounts exist: comuni log in with their
// public PEC address. Failures are counted per account and client address (MaxFailures
// close the account to that address for a while) and per account (AccountMaxFailures
// close it for a while to every address but the one of the last successful login); no
// lock is permanent, and nobody guessing from elsewhere can keep the real user out.
func (a *Auth) Login(ctx context.Context, email, pass, client string) (store.Session, string, error) {
	if ok, retry := a.attempts.allow(client); !ok {
		noteUnchecked(ctx, email)
		return store.Session{}, "", &TooManyAttemptsError{RetryAfter: retry}
	}
	if email == "" || pass == "" {
		var fields []FieldError
		if email == "" {
			fields = append(fields, FieldError{Field: "email", Reason: "è obbligatoria"})
		}
		if pass == "" {
			fields = append(fields, FieldError{Field: "password", Reason: "è obbligatoria"})
		}
		return store.Session{}, "", &InvalidError{Fields: fields}
	}
	st := a.svc.store
	now := a.svc.now()
	pair := strings.ToLower(strings.TrimSpace(email)) + "\x00" + client
	// refuse does the work a real check does, so that timing tells no more than the answer.
	refuse := func() (store.Session, string, error) {
		if err := a.verify(ctx, pass, dummyHash()); err != nil && !errors.Is(err, password.ErrMismatch) {
			return store.Session{}, "", err
		}
		a.pairs.fail(pair)
		return store.Session{}, "", ErrBadCredentials
	}
	// The account is looked up even when this address is closed to it, so that the
	// audit log names whom every attempt was for.
	user, err := st.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		noteUnknown(ctx, email)
		return refuse()
	}
	if err != nil {
		return store.Session{}, "", unavailableOr(fmt.Errorf("find user: %w", err))
	}
	NoteAttempt(ctx, UserSubject(user.ID, user.Organisation.String()))
	if a.pairs.locked(pair) {
		return refuse()
	}
	known := user.KnownAddressHash != nil && hmac.Equal(user.KnownAddressHash, addressHash(user.ID, client))
	accountClosed := user.LockedUntil != nil && now.Before(*user.LockedUntil) && !known
	if user.DisabledAt != nil || accountClosed || user.PasswordHash == "" {
		// A person invited who never set a password comes in by the invitation link.
		return refuse()
	}
	if err := a.verify(ctx, pass, user.PasswordHash); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			return store.Session{}, "", err
		}
		a.pairs.fail(pair)
		if err := st.RecordLoginFailure(ctx, user.ID, now, a.settings.AccountMaxFailures, a.settings.Lockout); err != nil {
			return store.Session{}, "", unavailableOr(fmt.Errorf("record login failure: %w", err))
		}
		return store.Session{}, "", ErrBadCredentials
	}
	a.pairs.forget(pair)
	first, err := st.RecordLoginSuccess(ctx, user.ID, addressHash(user.ID, client))
	if err != nil {
		return store.Session{}, "", unavailableOr(fmt.Errorf("record login: %w", err))
	}
	if first {
		a.tellOnboarding(ctx, user.Organisation)
	}
	sess, secret, err := st.CreateSession(ctx, user, a.settings.SessionTTL)
	if err != nil {
		return store.Session{}, "", unavailableOr(fmt.Errorf("create session: %w", err))
	}
	return sess, secret, nil
}

// Session returns the session whose cookie holds secret.
func (a *Auth) Session(ctx context.Context, secret string) (store.Session, error) {
	sess, err := a.svc.store.SessionBySecret(ctx, secret, a.svc.now())
	if errors.Is(err, store.ErrSessionRejected) {
		return store.Session{}, ErrSessionRejected
	}
	if err != nil {
		return store.Session{}, unavailableOr(fmt.Errorf("find session: %w", err))
	}
	return sess, nil
}

// Logout ends a session.
func (a *Auth) Logout(ctx context.Context, sessionID string) error {
	if err := a.svc.store.RevokeSession(ctx, sessionID); err != nil {
		return unavailableOr(fmt.Errorf("end session: %w", err))
	}
	return nil
}

// ChangePassword sets a new password for the user of a session, which stays open while
// the user's other sessions end.
func (a *Auth) ChangePassword(ctx context.Context, sess store.Session, current, next string) error {
	// The hash is read now, not kept with the session: the application role reads it
	// only through the session (migration 00023).
	hash, err := a.svc.store.SessionPasswordHash(ctx, sess.ID, a.svc.now())
	if errors.Is(err, store.ErrSessionRejected) {
		return ErrSessionRejected
	}
	if err != nil {
		return unavailableOr(fmt.Errorf("read password hash: %w", err))
	}
	if err := a.verify(ctx, current, hash); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return Invalid("currentPassword", "non è la password attuale")
	}
	if err := password.Check(next); err != nil {
		return Invalid("newPassword", err.Error())
	}
	if next == current {
		return Invalid("newPassword", "deve essere diversa da quella attuale")
	}
	newHash, err := a.hash(ctx, next)
	if err != nil {
		return err
	}
	err = a.svc.store.ChangePassword(ctx, sess.ID, a.svc.now(), newHash)
	if errors.Is(err, store.ErrSessionRejected) {
		return ErrSessionRejected
	}
	if err != nil {
		return unavailableOr(fmt.Errorf("set password: %w", err))
	}
	return nil
}

// RequestReset queues a single-use reset link (one hour) for the address, if it is a
// user's, and starts its delivery. Unknown addresses get the same silence.
func (a *Auth) RequestReset(ctx context.Context, email, client string) error {
	if ok, retry := a.attempts.allow(client); !ok {
		noteUnchecked(ctx, email)
		return &TooManyAttemptsError{RetryAfter: retry}
	}
	if email == "" {
		return Invalid("email", "è obbligatoria")
	}
	user, err := a.svc.store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		noteUnknown(ctx, email)
		return nil
	case err != nil:
		return unavailableOr(fmt.Errorf("find user: %w", err))
	}
	NoteAttempt(ctx, UserSubject(user.ID, user.Organisation.String()))
	switch {
	case user.DisabledAt != nil:
		// A disabled person gets no link (it would not work), and the same answer.
		return nil
	}
	token, err := a.svc.store.CreatePasswordToken(ctx, user.ID, store.PurposeReset, time.Hour)
	if err != nil {
		return unavailableOr(fmt.Errorf("create reset token: %w", err))
	}
	a.svc.SendAccountMessage(ctx, token.MessageKey)
	return nil
}

// SetPassword sets a password with the token of an invitation or a reset. The token works
// once; every session of the user ends.
func (a *Auth) SetPassword(ctx context.Context, token, next, client string) error {
	if ok, retry := a.attempts.allow(client); !ok {
		return &TooManyAttemptsError{RetryAfter: retry}
	}
	if err := password.Check(next); err != nil {
		return Invalid("newPassword", err.Error())
	}
	// The link is spent and the password set in one step (the application cannot set a
	// password without a link or a session), so the hash is made first.
	hash, err := a.hash(ctx, next)
	if err != nil {
		return err
	}
	r, err := a.svc.store.RedeemPasswordToken(ctx, token, a.svc.now(), hash)
	if r.UserID != "" {
		NoteAttempt(ctx, UserSubject(r.UserID, r.Organisation))
	} else if errors.Is(err, store.ErrPasswordTokenRejected) {
		NoteAttempt(ctx, SubjectUnknownLink)
	}
	if errors.Is(err, store.ErrPasswordTokenRejected) {
		return Invalid("token", "non è valido, è scaduto o è già stato usato")
	}
	if err != nil {
		return unavailableOr(fmt.Errorf("use password token: %w", err))
	}
	return nil
}

// attemptKey carries an Attempt in a request's context.
type attemptKey struct{}

// Attempt is whom a request that is not yet anybody's tried to be: the account a login,
// a reset or a password link named, a token refused. The audit trail puts one in every
// request's context (WithAttempt) and writes its Subject in the request's entry; the
// answer to the client never depends on it.
type Attempt struct {
	subject string
}

// Subject is the audit log's subject of the attempt; "" if nothing was noted.
func (a *Attempt) Subject() string { return a.subject }

// WithAttempt returns ctx with an empty Attempt, which the login functions fill in.
func WithAttempt(ctx context.Context) (context.Context, *Attempt) {
	a := &Attempt{}
	return context.WithValue(ctx, attemptKey{}, a), a
}

// NoteAttempt records the subject of the request's attempt, if its context has one.
func NoteAttempt(ctx context.Context, subject string) {
	if a, ok := ctx.Value(attemptKey{}).(*Attempt); ok {
		a.subject = subject
	}
}

// The audit subjects of attempts (see the README's chapter on the audit log).
const (
	// SubjectUnknownLink is a password link that was never issued.
	SubjectUnknownLink = "unknown-password-link"
	// subjectUnknownUser prefixes the fingerprint of an address that is nobody's login.
	subjectUnknownUser = "unknown-user:"
	// subjectUncheckedUser prefixes the fingerprint of an address that was not looked up,
	// the attempt being refused before (too many from the client address).
	subjectUncheckedUser = "unchecked-user:"
)

// UserSubject is the audit subject of an attempt on an existing account, as
// "user:<id>@<organisation>".
func UserSubject(id, org string) string { return "user:" + id + "@" + org }

// AddressFingerprint is what the audit log keeps of an address that named no account:
// the first 16 hex digits of the SHA-256 of the address as logins are compared (trimmed,
// lower case), enough to group the attempts at one address without keeping it.
func AddressFingerprint(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:8])
}

func noteUnknown(ctx context.Context, email string) {
	NoteAttempt(ctx, subjectUnknownUser+AddressFingerprint(email))
}

func noteUnchecked(ctx context.Context, email string) {
	if strings.TrimSpace(email) != "" {
		NoteAttempt(ctx, subjectUncheckedUser+AddressFingerprint(email))
	}
}

// tellOnboarding tells the organisation's onboarding workflow that its account was used.
// It is a courtesy: the workflow also looks for the first login at each reminder, so a
// failure here (Temporal down, an organisation never onboarded) only delays the news.
func (a *Auth) tellOnboarding(ctx context.Context, org casework.Org) {
	err := a.svc.temporal.SignalWorkflow(ctx, workflows.OrgOnboardingWorkflowID(org), "", workflows.SignalFirstLogin, nil)
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		a.svc.log.WarnContext(ctx, "could not tell the onboarding workflow of a first login", "organisation", org.String(), "error", err)
	}
}

// SendAccountMessage starts the delivery of a queued account message (an invitation, a
// reset link). The message is stored before this; if Temporal cannot be reached it stays
// queued, and the user can ask again.
func (s *Service) SendAccountMessage(ctx context.Context, key string) {
	_, err := start.DeliverAccountMessage(ctx, s.temporal, s.taskQueue, key)
	if err != nil {
		s.log.WarnContext(ctx, "could not start the delivery of an account message; it stays queued", "error", err)
	}
}
