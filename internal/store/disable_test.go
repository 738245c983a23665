package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/store"
)

// Issue 15, item 4: removing people, and what a token or a person made goes with them.

func TestDisablingAUserEndsSessionsLinksAndTokensAtOnce(t *testing.T) {
	t.Parallel()
	owner, app := appStore(t)
	ctx := t.Context()
	require.NoError(t, owner.CreateOrganisation(ctx, polo1, "Polo START 1"))
	require.NoError(t, owner.CreateOrganisation(ctx, cti22, "CTI 22"))
	u, err := app.CreateUser(ctx, polo1, "Anna@polo1.example.org", "Anna", store.RoleAdmin)
	require.NoError(t, err)
	other, err := app.CreateUser(ctx, polo1, "bruno@polo1.example.org", "Bruno", store.RoleOperator)
	require.NoError(t, err)
	link, err := app.CreatePasswordToken(ctx, u.ID, store.PurposeReset, time.Hour)
	require.NoError(t, err)
	_, secret, err := app.CreateSession(ctx, u, time.Hour)
	require.NoError(t, err)
	_, otherSecret, err := app.CreateSession(ctx, other, time.Hour)
	require.NoError(t, err)
	minted, mintedSecret, err := app.CreateTokenBy(ctx, polo1, "gestionale", store.RoleAdmin, time.Hour, store.Creator{UserID: u.ID})
	require.NoError(t, err)
	_, grandchildSecret, err := app.CreateTokenBy(ctx, polo1, "script", store.RoleOperator, time.Hour, store.Creator{TokenID: minted.ID})
	require.NoError(t, err)

	_, err = app.DisableUserOf(ctx, cti22, u.ID)
	require.True(t, errors.Is(err, store.ErrNotFound), "another organisation's admin cannot reach the user")
	_, err = app.DisableUserOf(ctx, polo1, "not-a-uuid")
	require.True(t, errors.Is(err, store.ErrNotFound))
	_, err = app.SessionBySecret(ctx, secret, time.Now())
	require.NoError(t, err, "a refused disable changes nothing")

	got, err := app.DisableUserOf(ctx, polo1, u.ID)
	require.NoError(t, err)
	require.NotNil(t, got.DisabledAt)
	_, err = app.SessionBySecret(ctx, secret, time.Now())
	require.True(t, errors.Is(err, store.ErrSessionRejected), "the session stops at once")
	dead, err := app.RedeemPasswordToken(ctx, link.Secret, time.Now(), "$argon2id$fake")
	require.True(t, errors.Is(err, store.ErrPasswordTokenRejected), "the reset link dies")
	require.Equal(t, store.Redemption{UserID: u.ID, Organisation: polo1.String()}, dead, "the refused link still says whose it was")
	for _, s := range []string{mintedSecret, grandchildSecret} {
		_, err = app.Authenticate(ctx, s, time.Now())
		require.True(t, errors.Is(err, store.ErrTokenRejected), "the tokens the user made, and theirs, are revoked")
	}
	_, err = app.SessionBySecret(ctx, otherSecret, time.Now())
	require.NoError(t, err, "colleagues keep their sessions")

	again, err := app.DisableUserOf(ctx, polo1, u.ID)
	require.NoError(t, err, "disabling twice is harmless")
	require.Equal(t, got.DisabledAt.Unix(), again.DisabledAt.Unix())
	byEmail, err := owner.DisableUserByEmail(ctx, " BRUNO@polo1.example.org")
	require.NoError(t, err)
	require.Equal(t, other.ID, byEmail.ID)
	_, err = app.SessionBySecret(ctx, otherSecret, time.Now())
	require.True(t, errors.Is(err, store.ErrSessionRejected))
	_, err = owner.DisableUserByEmail(ctx, "nobody@example.org")
	require.True(t, errors.Is(err, store.ErrNotFound))
}

func TestRevokingATokenRevokesTheTokensItMinted(t *testing.T) {
	t.Parallel()
	owner, app := appStore(t)
	ctx := t.Context()
	require.NoError(t, owner.CreateOrganisation(ctx, polo1, "Polo START 1"))
	parent, parentSecret, err := owner.CreateToken(ctx, polo1, "admin", store.RoleAdmin, time.Hour)
	require.NoError(t, err)
	child, childSecret, err := app.CreateTokenBy(ctx, polo1, "child", store.RoleAdmin, time.Hour, store.Creator{TokenID: parent.ID})
	require.NoError(t, err)
	_, grandchildSecret, err := app.CreateTokenBy(ctx, polo1, "grandchild", store.RoleOperator, time.Hour, store.Creator{TokenID: child.ID})
	require.NoError(t, err)
	_, siblingSecret, err := owner.CreateToken(ctx, polo1, "unrelated", store.RoleOperator, time.Hour)
	require.NoError(t, err)

	require.NoError(t, app.RevokeTokenOf(ctx, polo1, child.ID))
	for _, s := range []string{childSecret, grandchildSecret} {
		_, err = app.Authenticate(ctx, s, time.Now())
		require.True(t, errors.Is(err, store.ErrTokenRejected))
	}
	for _, s := range []string{parentSecret, siblingSecret} {
		_, err = app.Authenticate(ctx, s, time.Now())
		require.NoError(t, err, "the token's maker and unrelated tokens stay")
	}
	require.NoError(t, owner.RevokeToken(ctx, parent.ID))
	_, err = app.Authenticate(ctx, parentSecret, time.Now())
	require.True(t, errors.Is(err, store.ErrTokenRejected))
	require.True(t, errors.Is(owner.RevokeToken(ctx, "nope"), store.ErrNotFound))
}

func TestSettingAPasswordKillsOutstandingLinks(t *testing.T) {
	t.Parallel()
	owner, app := appStore(t)
	ctx := t.Context()
	require.NoError(t, owner.CreateOrganisation(ctx, polo1, "Polo START 1"))
	u, err := app.CreateUser(ctx, polo1, "carla@polo1.example.org", "Carla", store.RoleOperator)
	require.NoError(t, err)
	invitation, err := app.CreatePasswordToken(ctx, u.ID, store.PurposeInvitation, time.Hour)
	require.NoError(t, err)
	reset, err := app.CreatePasswordToken(ctx, u.ID, store.PurposeReset, time.Hour)
	require.NoError(t, err)

	r, err := app.RedeemPasswordToken(ctx, reset.Secret, time.Now(), "$argon2id$fake")
	require.NoError(t, err)
	require.Equal(t, store.Redemption{UserID: u.ID, Organisation: polo1.String(), Redeemed: true}, r)
	_, err = app.RedeemPasswordToken(ctx, invitation.Secret, time.Now(), "$argon2id$other")
	require.True(t, errors.Is(err, store.ErrPasswordTokenRejected), "the invitation died when the password was set")
	set, err := owner.UserByEmail(ctx, u.Email)
	require.NoError(t, err)
	require.Equal(t, "$argon2id$fake", set.PasswordHash, "the link set its password, the dead one none")
	require.False(t, set.MustChangePassword)
	_, err = app.RedeemPasswordToken(ctx, "apw_never-issued", time.Now(), "$argon2id$x")
	require.True(t, errors.Is(err, store.ErrPasswordTokenRejected))
}

func TestInvalidRoleIsErrInvalidRole(t *testing.T) {
	t.Parallel()
	owner, _ := appStore(t)
	ctx := t.Context()
	require.NoError(t, owner.CreateOrganisation(ctx, polo1, "Polo START 1"))
	_, _, err := owner.CreateToken(ctx, polo1, "x", "god", time.Hour)
	require.True(t, errors.Is(err, store.ErrInvalidRole))
	_, err = owner.CreateUser(ctx, polo1, "d@example.org", "D", "god")
	require.True(t, errors.Is(err, store.ErrInvalidRole))
}
