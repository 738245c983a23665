package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/casework"
)

// The kinds of account message.
const (
	AccountInvitation    = "invitation"
	AccountReset         = "reset"
	AccountCredentials   = "credentials"
	AccountLoginReminder = "login_reminder"
)

// AccountMessage is a message about an account, as its sender reads it.
type AccountMessage struct {
	Key     string
	Kind    string
	Channel string // email or pec
	// Secret is the link's secret or the temporary password; empty once sent.
	Secret    string
	UserID    string
	UserEmail string
	// To is where the message goes: the account's mailbox when its login is not an
	// address of its own (a school sharing its managing body's PEC), else the login.
	To           string
	UserName     string
	Organisation casework.Org
	// OrganisationName is the organisation's name, e.g. "Comune di Rho".
	OrganisationName string
	SentAt           *time.Time
}

// AccountMessageByKey returns the account message queued under key, or ErrNotFound.
func (s *Store) AccountMessageByKey(ctx context.Context, key string) (AccountMessage, error) {
	var m AccountMessage
	var org string
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT m.key, m.kind, m.channel, coalesce(approdo_account_message_secret(m.key), ''), u.id::text, u.email, coalesce(u.mailbox, u.email), u.name, u.organisation, o.name, m.sent_at
			FROM account_message m JOIN app_user u ON u.id = m.user_id JOIN organisation o ON o.id = u.organisation WHERE m.key = $1`, key).
			Scan(&m.Key, &m.Kind, &m.Channel, &m.Secret, &m.UserID, &m.UserEmail, &m.To, &m.UserName, &org, &m.OrganisationName, &m.SentAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return AccountMessage{}, fmt.Errorf("account message: %w", ErrNotFound)
	}
	if err != nil {
		return AccountMessage{}, fmt.Errorf("read account message: %w", err)
	}
	if m.Organisation, err = casework.ParseOrg(org); err != nil {
		return AccountMessage{}, fmt.Errorf("account message %s: %w", key, err)
	}
	return m, nil
}

// QueueAccountMessage queues a message without a secret (a reminder), once per key. Of
// the application, only the worker (AsSystem) may.
func (s *Store) QueueAccountMessage(ctx context.Context, key, userID, kind, channel string) error {
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO account_message (key, user_id, kind, channel, secret) VALUES ($1, $2, $3, $4, NULL)
			ON CONFLICT (key) DO NOTHING`, key, userID, kind, channel)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue account message: %w", err)
	}
	return nil
}

// IssueCredentials gives the user a temporary password, to be changed at the first login,
// and queues the PEC that carries it, together: both happen or neither. A second call
// with the same key changes nothing, so a retried activity sends the password it set.
// Of the application, only the worker (AsSystem) may.
func (s *Store) IssueCredentials(ctx context.Context, key, userID, password, hash string) (issued bool, err error) {
	err = s.inOrg(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO account_message (key, user_id, kind, channel, secret) VALUES ($1, $2, 'credentials', 'pec', $3)
			ON CONFLICT (key) DO NOTHING`, key, userID, password)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		issued = true
		_, err = tx.Exec(ctx, `UPDATE app_user SET password_hash = $2, must_change_password = true, failed_logins = 0, locked_until = NULL WHERE id = $1`, userID, hash)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("issue credentials: %w", err)
	}
	return issued, nil
}

// ComuneAccount is the account a comune is onboarded with.
type ComuneAccount struct {
	User User
	// FirstLoginAt is when somebody first logged in with it; nil until then.
	FirstLoginAt *time.Time
}

// EnsureComuneAccount creates, once, the comune's organisation and its administrator,
// who logs in with the comune's PEC address. It returns the account as it stands. Of the
// application, only the worker (AsSystem) may.
func (s *Store) EnsureComuneAccount(ctx context.Context, org casework.Org, name, email string) (ComuneAccount, error) {
	var a ComuneAccount
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organisation (id, kind, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
			org.String(), string(org.Kind), name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO app_user (id, organisation, email, name, role, must_change_password)
			VALUES ($1, $2, $3, $4, 'admin', true) ON CONFLICT (email) DO NOTHING`,
			uuid.NewString(), org.String(), email, "Amministratore "+name); err != nil {
			return err
		}
		var owner string
		err := tx.QueryRow(ctx, `SELECT id::text, organisation, email, name, role, must_change_password, first_login_at FROM app_user WHERE email = $1`, email).
			Scan(&a.User.ID, &owner, &a.User.Email, &a.User.Name, &a.User.Role, &a.User.MustChangePassword, &a.FirstLoginAt)
		if err != nil {
			return err
		}
		if owner != org.String() {
			return fmt.Errorf("the address is the login of an account of another organisation")
		}
		a.User.Organisation = org
		return nil
	})
	if err != nil {
		return ComuneAccount{}, fmt.Errorf("create the account of %s: %w", org, err)
	}
	return a, nil
}

// EnsureOrgAccount creates, once, the organisation and its administrator, whose messages
// go to address, and returns the account as it stands. The login is address itself,
// unless org is a school whose address is not its own: the PEC of several schools of the
// registry (a managing body's), or already another organisation's login. Such a school
// logs in with its codice meccanografico (in lower case), and address becomes its
// mailbox, so each school sharing an address has its own account and its own messages.
// The account the organisation already has at address is returned as it is, whatever
// the registry says now, so that a retried onboarding finds the account it created. Of
// the application, only the worker (AsSystem) may.
func (s *Store) EnsureOrgAccount(ctx context.Context, org casework.Org, name, address string) (ComuneAccount, error) {
	address = normalEmail(address)
	var a ComuneAccount
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organisation (id, kind, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
			org.String(), string(org.Kind), name); err != nil {
			return err
		}
		const columns = `id::text, organisation, email, name, role, must_change_password, first_login_at`
		var owner string
		scan := func(row pgx.Row) error {
			return row.Scan(&a.User.ID, &owner, &a.User.Email, &a.User.Name, &a.User.Role, &a.User.MustChangePassword, &a.FirstLoginAt)
		}
		err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM app_user WHERE organisation = $1 AND role = 'admin'
			AND (email = $2 OR mailbox = $2) ORDER BY created_at LIMIT 1`, org.String(), address))
		if err == nil {
			a.User.Organisation = org
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		login, mailbox := address, (*string)(nil)
		if org.Kind == casework.OrgSchool {
			var shared bool
			if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM school WHERE lower(pec) = $1) > 1
				OR EXISTS (SELECT FROM app_user WHERE email = $1 AND organisation <> $2)`, address, org.String()).Scan(&shared); err != nil {
				return err
			}
			if shared {
				login, mailbox = strings.ToLower(org.Code), &address
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO app_user (id, organisation, email, mailbox, name, role, must_change_password)
			VALUES ($1, $2, $3, $4, $5, 'admin', true) ON CONFLICT (email) DO NOTHING`,
			uuid.NewString(), org.String(), login, mailbox, "Amministratore "+name); err != nil {
			return err
		}
		if err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM app_user WHERE email = $1`, login)); err != nil {
			return err
		}
		if owner != org.String() {
			return fmt.Errorf("the address is the login of an account of another organisation")
		}
		a.User.Organisation = org
		return nil
	})
	if err != nil {
		return ComuneAccount{}, fmt.Errorf("create the account of %s: %w", org, err)
	}
	return a, nil
}

// FirstLogin returns when the user first logged in; nil if never.
func (s *Store) FirstLogin(ctx context.Context, userID string) (*time.Time, error) {
	var at *time.Time
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT first_login_at FROM app_user WHERE id = $1`, userID).Scan(&at)
	})
	if err != nil {
		return nil, fmt.Errorf("read first login: %w", err)
	}
	return at, nil
}
