package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

// Issue 15, gap 3: the tables of people's accounts are behind row-level security and
// column grants (migration 00023). These tests read them as the application role, with
// plain SQL, as a forgotten WHERE clause or an injected query would.

// accountPools returns the owner's pool and the application role's.
func accountPools(t *testing.T) (owner, app *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	owner, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	app, err = store.OpenApp(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return owner, app
}

// asOrg runs fn in a transaction of the application role acting for org ("" for a
// request nobody has authenticated), and rolls it back.
func asOrg(t *testing.T, app *pgxpool.Pool, org string, fn func(tx pgx.Tx) error) error {
	t.Helper()
	ctx := t.Context()
	tx, err := app.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, "SELECT set_config('approdo.org', $1, true)", org)
	require.NoError(t, err)
	return fn(tx)
}

// count is the number of rows query returns for org.
func count(t *testing.T, app *pgxpool.Pool, org, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, asOrg(t, app, org, func(tx pgx.Tx) error {
		return tx.QueryRow(t.Context(), "SELECT count(*) FROM ("+query+") q", args...).Scan(&n)
	}), "%s as %q", query, org)
	return n
}

// denied says whether query fails for lack of privilege (SQLSTATE 42501) for org.
func denied(t *testing.T, app *pgxpool.Pool, org, query string, args ...any) bool {
	t.Helper()
	err := asOrg(t, app, org, func(tx pgx.Tx) error {
		rows, err := tx.Query(t.Context(), query, args...)
		if err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" {
		return true
	}
	require.NoError(t, err, "%s as %q failed, but not for lack of privilege", query, org)
	return false
}

// accounts makes two organisations' people, a session and a link each, an onboarding
// PEC for a comune and an invitation, all through the store as the application does.
type accounts struct {
	rho, poloUser store.User
}

func seedAccounts(t *testing.T, owner, app *pgxpool.Pool) accounts {
	t.Helper()
	ctx := t.Context()
	ownerStore, appStore := store.New(owner), store.New(app)
	rho := casework.Org{Kind: casework.OrgComune, Code: "015182"}
	sys := store.AsSystem(ctx)
	account, err := appStore.EnsureComuneAccount(sys, rho, "Comune di Rho", "protocollo@pec.comune.rho.example.it")
	require.NoError(t, err)
	_, err = appStore.IssueCredentials(sys, "onboarding/015182/credentials/1", account.User.ID, "temp-password-1", "$argon2id$rho")
	require.NoError(t, err)
	require.NoError(t, ownerStore.CreateOrganisation(ctx, polo1, "Polo START 1"))
	u, err := appStore.CreateUser(ctx, polo1, "anna@polo1.example.org", "Anna", store.RoleOperator)
	require.NoError(t, err)
	_, err = appStore.CreatePasswordToken(ctx, u.ID, store.PurposeInvitation, time.Hour)
	require.NoError(t, err)
	require.NoError(t, ownerStore.SetPassword(ctx, u.ID, "$argon2id$anna", ""))
	for _, user := range []store.User{account.User, u} {
		_, _, err := appStore.CreateSession(ctx, user, time.Hour)
		require.NoError(t, err)
	}
	_, err = appStore.CreatePasswordToken(ctx, u.ID, store.PurposeReset, time.Hour)
	require.NoError(t, err)
	return accounts{rho: account.User, poloUser: u}
}

func TestUnauthenticatedApplicationReadsNoAccounts(t *testing.T) {
	t.Parallel()
	owner, app := accountPools(t)
	seedAccounts(t, owner, app)
	require.Equal(t, 2, count(t, app, "system", "SELECT id FROM app_user"), "the data is there")

	require.Zero(t, count(t, app, "", "SELECT id, email, name FROM app_user"), "no organisation, no people")
	require.Zero(t, count(t, app, "", "SELECT id, kind FROM account_message"), "no organisation, no messages")
	require.True(t, denied(t, app, "", "SELECT id FROM user_session"), "sessions are nobody's to select")
	require.True(t, denied(t, app, "", "SELECT id FROM password_token"), "nor password links")
}

func TestSecretsCannotBeSelectedByAnyone(t *testing.T) {
	t.Parallel()
	owner, app := accountPools(t)
	seedAccounts(t, owner, app)
	for _, org := range []string{"", "system", "ust", polo1.String(), "comune:015182"} {
		for _, query := range []string{
			"SELECT password_hash FROM app_user",
			"SELECT known_address_hash FROM app_user",
			"SELECT failed_logins FROM app_user",
			"SELECT * FROM app_user",
			"SELECT secret FROM account_message",
			"SELECT secret_hash, csrf_token FROM user_session",
			"SELECT secret_hash FROM password_token",
			"SELECT u.email FROM app_user u JOIN user_session s ON s.user_id = u.id",
		} {
			require.True(t, denied(t, app, org, query), "%s as %q", query, org)
		}
	}
	// Not even through a function the owner did not make for it.
	require.True(t, denied(t, app, "system", "SELECT approdo_set_password_of(gen_random_uuid(), 'x', NULL)"))
	// The secret of a message not yet sent is the worker's only.
	var secret *string
	require.NoError(t, asOrg(t, app, "ust", func(tx pgx.Tx) error {
		return tx.QueryRow(t.Context(), "SELECT approdo_account_message_secret('onboarding/015182/credentials/1')").Scan(&secret)
	}))
	require.Nil(t, secret, "UST cannot read a comune's temporary password")
}

func TestAnOrganisationSeesItsOwnPeopleOnly(t *testing.T) {
	t.Parallel()
	owner, app := accountPools(t)
	a := seedAccounts(t, owner, app)

	require.Equal(t, 1, count(t, app, "comune:015182", "SELECT id FROM app_user"))
	require.Equal(t, 1, count(t, app, "comune:015182", "SELECT id FROM app_user WHERE id = $1", a.rho.ID))
	require.Zero(t, count(t, app, "comune:015182", "SELECT id FROM app_user WHERE id = $1", a.poloUser.ID), "another organisation's person")
	require.Zero(t, count(t, app, "comune:015146", "SELECT id FROM app_user"), "another comune sees nobody")
	require.Equal(t, 1, count(t, app, polo1.String(), "SELECT id FROM app_user"))
	require.Equal(t, 2, count(t, app, "ust", "SELECT id FROM app_user"), "UST lists everybody")

	require.Zero(t, count(t, app, "comune:015182", "SELECT id FROM account_message"), "not even its own credentials' message")
	require.Equal(t, 1, count(t, app, "ust", "SELECT id FROM account_message"), "UST: the onboarding PEC, not invitations or resets")
	require.Equal(t, 3, count(t, app, "system", "SELECT id FROM account_message"), "the worker sends them all")

	// Writes: an organisation adds its own people only, and changes none directly.
	err := asOrg(t, app, "comune:015182", func(tx pgx.Tx) error {
		_, err := tx.Exec(t.Context(), "INSERT INTO app_user (id, organisation, email, name, role) VALUES (gen_random_uuid(), $1, 'x@example.org', 'X', 'admin')", polo1.String())
		return err
	})
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr) && pgErr.Code == "42501", "a comune cannot add a person to a Polo START: %v", err)
	var changed int64
	require.NoError(t, asOrg(t, app, "comune:015182", func(tx pgx.Tx) error {
		tag, err := tx.Exec(t.Context(), "UPDATE app_user SET must_change_password = false WHERE id = $1", a.rho.ID)
		changed = tag.RowsAffected()
		return err
	}))
	require.Zero(t, changed, "not even its own person: that is the worker's, or the functions'")
	var disabled bool
	require.NoError(t, asOrg(t, app, "comune:015182", func(tx pgx.Tx) error {
		return tx.QueryRow(t.Context(), "SELECT approdo_disable_user($1)", a.poloUser.ID).Scan(&disabled)
	}))
	require.False(t, disabled, "nor disable another organisation's")
}

// What the product needs still works as the application role: login, sessions, links,
// password changes, disabling.
func TestAccountLifeAsTheApplicationRole(t *testing.T) {
	t.Parallel()
	owner, appPool := accountPools(t)
	seedAccounts(t, owner, appPool)
	app := store.New(appPool)
	ctx := t.Context()
	now := time.Now()

	u, err := app.UserByEmail(ctx, " Anna@Polo1.example.org ")
	require.NoError(t, err, "login finds the account without an organisation")
	require.Equal(t, "$argon2id$anna", u.PasswordHash, "with the hash to check the password against")
	_, err = app.UserByEmail(ctx, "nobody@example.org")
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, app.RecordLoginFailure(ctx, u.ID, now, 2, time.Minute))
	require.NoError(t, app.RecordLoginFailure(ctx, u.ID, now, 2, time.Minute))
	locked, err := app.UserByEmail(ctx, u.Email)
	require.NoError(t, err)
	require.NotNil(t, locked.LockedUntil, "two failures of two close the account")
	first, err := app.RecordLoginSuccess(ctx, u.ID, []byte("address"))
	require.NoError(t, err)
	require.True(t, first)
	opened, err := app.UserByEmail(ctx, u.Email)
	require.NoError(t, err)
	require.Nil(t, opened.LockedUntil)
	require.Equal(t, []byte("address"), opened.KnownAddressHash)

	sess, secret, err := app.CreateSession(ctx, opened, time.Hour)
	require.NoError(t, err)
	_, other, err := app.CreateSession(ctx, opened, time.Hour)
	require.NoError(t, err)
	found, err := app.SessionBySecret(ctx, secret, now)
	require.NoError(t, err)
	require.Equal(t, sess.ID, found.ID)
	require.Equal(t, sess.CSRF, found.CSRF)
	require.Equal(t, polo1, found.User.Organisation)
	require.Empty(t, found.User.PasswordHash, "a session does not carry the hash")
	_, err = app.SessionBySecret(ctx, secret, now.Add(2*time.Hour))
	require.ErrorIs(t, err, store.ErrSessionRejected, "expired")

	hash, err := app.SessionPasswordHash(ctx, sess.ID, now)
	require.NoError(t, err)
	require.Equal(t, "$argon2id$anna", hash)
	require.NoError(t, app.ChangePassword(ctx, sess.ID, now, "$argon2id$new"))
	_, err = app.SessionBySecret(ctx, secret, now)
	require.NoError(t, err, "the session that changed the password stays")
	_, err = app.SessionBySecret(ctx, other, now)
	require.ErrorIs(t, err, store.ErrSessionRejected, "the others end")
	_, err = app.RedeemPasswordToken(ctx, "apw_unknown", now, "$argon2id$x")
	require.ErrorIs(t, err, store.ErrPasswordTokenRejected)

	require.NoError(t, app.RevokeSession(ctx, sess.ID))
	_, err = app.SessionBySecret(ctx, secret, now)
	require.ErrorIs(t, err, store.ErrSessionRejected, "logged out")
	require.ErrorIs(t, app.ChangePassword(ctx, sess.ID, now, "$argon2id$late"), store.ErrSessionRejected)

	// An admin lists and disables its people; a disabled person gets no session or link.
	users, err := app.UsersOf(ctx, polo1)
	require.NoError(t, err)
	require.Len(t, users, 1)
	require.Empty(t, users[0].PasswordHash)
	_, err = app.DisableUserOf(ctx, polo1, u.ID)
	require.NoError(t, err)
	_, _, err = app.CreateSession(ctx, opened, time.Hour)
	require.ErrorIs(t, err, store.ErrNotFound, "no session for a disabled person")
	_, err = app.CreatePasswordToken(ctx, u.ID, store.PurposeReset, time.Hour)
	require.ErrorIs(t, err, store.ErrNotFound, "nor a link")
}
