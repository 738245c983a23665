package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

// appStore returns a store that acts as the worker does: through the application role,
// so that a missing privilege fails here rather than in production.
func appStore(t *testing.T) (owner, app *store.Store) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	ownerPool, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(ownerPool.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	appPool, err := store.OpenApp(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(appPool.Close)
	return store.New(ownerPool), store.New(appPool)
}

func TestPECReceiptsAreStoredOnceAndMatchedToTheirMessage(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	ctx := store.AsSystem(context.Background())

	first, err := app.NotePECAttempt(ctx, "notice-1@approdo.test", "notice-abc", "protocollo@pec.comune.example.it")
	require.NoError(t, err)
	again, err := app.NotePECAttempt(ctx, "notice-1@approdo.test", "another", "other@example.it")
	require.NoError(t, err)
	require.Equal(t, first, again, "the first record stands")
	require.Nil(t, first.AcceptedAt)

	issued := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	acceptance := store.PECReceipt{MessageID: "notice-1@approdo.test", Kind: "accettazione", ReceiptMessageID: "r1@pec", IssuedAt: issued, Raw: []byte("raw"), Accepted: true}
	wf, stored, err := app.RecordPECReceipt(ctx, acceptance)
	require.NoError(t, err)
	require.True(t, stored)
	require.Equal(t, "notice-abc", wf, "the receipt leads to the workflow that waits for it")
	_, stored, err = app.RecordPECReceipt(ctx, acceptance)
	require.NoError(t, err)
	require.False(t, stored, "read twice, stored once")

	delivery := store.PECReceipt{MessageID: "notice-1@approdo.test", Kind: "avvenuta-consegna", Recipient: "protocollo@pec.comune.example.it",
		ReceiptMessageID: "r2@pec", IssuedAt: issued.Add(time.Minute), Raw: []byte("raw2"), Delivered: true}
	_, _, err = app.RecordPECReceipt(ctx, delivery)
	require.NoError(t, err)
	m, err := app.PECMessageByID(ctx, "notice-1@approdo.test")
	require.NoError(t, err)
	require.True(t, m.AcceptedAt.Equal(issued))
	require.True(t, m.DeliveredAt.Equal(issued.Add(time.Minute)))
	require.Nil(t, m.FailedAt)

	// A receipt for a message Approdo never sent is kept, and leads nowhere.
	wf, stored, err = app.RecordPECReceipt(ctx, store.PECReceipt{MessageID: "unknown@elsewhere", Kind: "avvenuta-consegna", IssuedAt: issued, Raw: []byte("x"), Delivered: true})
	require.NoError(t, err)
	require.True(t, stored)
	require.Empty(t, wf)

	require.NoError(t, app.RejectInboxMessage(ctx, "spam@x", "not a receipt", []byte("hello")))
}

func TestInboxCursorStartsAtZeroAndMoves(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	ctx := store.AsSystem(context.Background())
	v, last, err := app.InboxCursor(ctx, "INBOX")
	require.NoError(t, err)
	require.Zero(t, v)
	require.Zero(t, last)
	require.NoError(t, app.SaveInboxCursor(ctx, "INBOX", 7, 41))
	require.NoError(t, app.SaveInboxCursor(ctx, "INBOX", 7, 42))
	v, last, err = app.InboxCursor(ctx, "INBOX")
	require.NoError(t, err)
	require.Equal(t, uint32(7), v)
	require.Equal(t, uint32(42), last)
}

func TestCredentialsAreIssuedOnceAndTheirSecretWipedWhenSent(t *testing.T) {
	t.Parallel()
	owner, app := appStore(t)
	ctx := store.AsSystem(context.Background())
	rho := casework.Org{Kind: casework.OrgComune, Code: "015182"}

	account, err := app.EnsureComuneAccount(ctx, rho, "Comune di Rho", "protocollo@pec.comune.rho.example.it")
	require.NoError(t, err)
	again, err := app.EnsureComuneAccount(ctx, rho, "Comune di Rho", "protocollo@pec.comune.rho.example.it")
	require.NoError(t, err)
	require.Equal(t, account.User.ID, again.User.ID, "one account per comune")
	require.Equal(t, store.RoleAdmin, account.User.Role)
	require.Nil(t, account.FirstLoginAt)

	issued, err := app.IssueCredentials(ctx, "onboarding/015182/credentials/1", account.User.ID, "temp-password-1", "hash-1")
	require.NoError(t, err)
	require.True(t, issued)
	issued, err = app.IssueCredentials(ctx, "onboarding/015182/credentials/1", account.User.ID, "temp-password-2", "hash-2")
	require.NoError(t, err)
	require.False(t, issued, "a retry changes nothing")
	u, err := owner.UserByEmail(ctx, "protocollo@pec.comune.rho.example.it")
	require.NoError(t, err)
	require.Equal(t, "hash-1", u.PasswordHash, "the password sent is the password set")
	require.True(t, u.MustChangePassword)

	m, err := app.AccountMessageByKey(ctx, "onboarding/015182/credentials/1")
	require.NoError(t, err)
	require.Equal(t, "temp-password-1", m.Secret)
	require.Equal(t, "pec", m.Channel)
	require.Equal(t, "Comune di Rho", m.OrganisationName)

	inDoubt, err := app.DeliveryAttemptInDoubt(ctx, store.AccountMessages, m.Key)
	require.NoError(t, err)
	require.Nil(t, inDoubt)
	require.NoError(t, app.MarkSending(ctx, store.AccountMessages, m.Key))
	inDoubt, err = app.DeliveryAttemptInDoubt(ctx, store.AccountMessages, m.Key)
	require.NoError(t, err)
	require.NotNil(t, inDoubt, "an attempt without an outcome is in doubt")
	require.NoError(t, app.NoteDeliveryAttempt(ctx, store.AccountMessages, m.Key, store.Attempt{MessageID: "id@approdo.test", Address: u.Email, Failure: "connection reset", Unsure: true}))
	inDoubt, err = app.DeliveryAttemptInDoubt(ctx, store.AccountMessages, m.Key)
	require.NoError(t, err)
	require.NotNil(t, inDoubt, "a connection dropped mid-send leaves the attempt in doubt")
	require.NoError(t, app.NoteDeliveryAttempt(ctx, store.AccountMessages, m.Key, store.Attempt{MessageID: "id@approdo.test", Address: u.Email, Sent: true}))
	inDoubt, err = app.DeliveryAttemptInDoubt(ctx, store.AccountMessages, m.Key)
	require.NoError(t, err)
	require.Nil(t, inDoubt)
	m, err = app.AccountMessageByKey(ctx, m.Key)
	require.NoError(t, err)
	require.Empty(t, m.Secret, "the password is not kept once sent")
	require.NotNil(t, m.SentAt)
	require.NoError(t, app.NoteDeliveryOutcome(ctx, store.AccountMessages, m.Key, true, ""))

	first, err := app.RecordLoginSuccess(ctx, u.ID, nil)
	require.NoError(t, err)
	require.True(t, first)
	first, err = app.RecordLoginSuccess(ctx, u.ID, nil)
	require.NoError(t, err)
	require.False(t, first)
	at, err := app.FirstLogin(ctx, u.ID)
	require.NoError(t, err)
	require.NotNil(t, at)
}

func TestComuneAccountRefusesAnAddressOfAnotherOrganisation(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	ctx := store.AsSystem(context.Background())
	_, err := app.EnsureComuneAccount(ctx, casework.Org{Kind: casework.OrgComune, Code: "015182"}, "Comune di Rho", "shared@pec.example.it")
	require.NoError(t, err)
	_, err = app.EnsureComuneAccount(ctx, casework.Org{Kind: casework.OrgComune, Code: "015146"}, "Comune di Milano", "shared@pec.example.it")
	require.ErrorContains(t, err, "another organisation")
}

// TestSchoolsSharingAPECEachHaveTheirAccountAndMessages: the registry gives several
// paritarie one PEC (their managing body's). Each school gets its own account, logging
// in with its codice meccanografico, whose messages go to the shared PEC; a school with a
// PEC of its own logs in with it, as before; a retry finds the account it created.
func TestSchoolsSharingAPECEachHaveTheirAccountAndMessages(t *testing.T) {
	t.Parallel()
	owner, app := appStore(t)
	ctx := store.AsSystem(context.Background())
	ref := sampleReferenceData(t)
	ref.Schools = append(ref.Schools,
		refdata.School{Code: "MI1A00100X", Name: "Infanzia comunale Uno", Levels: []string{"infanzia"}, Comune: "015146", Email: "", PEC: "Scuole@PEC.comune.example.it"},
		refdata.School{Code: "MI1A00200X", Name: "Infanzia comunale Due", Levels: []string{"infanzia"}, Comune: "015146", Email: "", PEC: "scuole@pec.comune.example.it"},
	)
	_, err := owner.ReplaceReferenceData(context.Background(), ref, "sha-shared")
	require.NoError(t, err)

	uno := casework.Org{Kind: casework.OrgSchool, Code: "MI1A00100X"}
	due := casework.Org{Kind: casework.OrgSchool, Code: "MI1A00200X"}
	a, err := app.EnsureOrgAccount(ctx, uno, "Infanzia comunale Uno", "Scuole@PEC.comune.example.it")
	require.NoError(t, err)
	require.Equal(t, "mi1a00100x", a.User.Email, "the login is the school's code, since its PEC is not its own")
	b, err := app.EnsureOrgAccount(ctx, due, "Infanzia comunale Due", "scuole@pec.comune.example.it")
	require.NoError(t, err)
	require.Equal(t, "mi1a00200x", b.User.Email)
	require.NotEqual(t, a.User.ID, b.User.ID, "one account each")
	again, err := app.EnsureOrgAccount(ctx, uno, "Infanzia comunale Uno", "scuole@pec.comune.example.it")
	require.NoError(t, err)
	require.Equal(t, a.User.ID, again.User.ID, "a retry finds the account")

	// Each school's credentials go to the shared PEC, under its own key, naming it.
	for i, acc := range []store.ComuneAccount{a, b} {
		key := "onboarding/shared/" + acc.User.ID
		_, err := app.IssueCredentials(ctx, key, acc.User.ID, "temporanea", "hash")
		require.NoError(t, err)
		m, err := app.AccountMessageByKey(ctx, key)
		require.NoError(t, err)
		require.Equal(t, "scuole@pec.comune.example.it", m.To)
		require.Equal(t, []string{"mi1a00100x", "mi1a00200x"}[i], m.UserEmail, "the message gives the school's own login")
		require.Equal(t, []string{"Infanzia comunale Uno", "Infanzia comunale Due"}[i], m.OrganisationName)
	}
	// The login finds the school's account, in any case.
	u, err := app.UserByEmail(context.Background(), "MI1A00200X")
	require.NoError(t, err)
	require.Equal(t, b.User.ID, u.ID)

	// A school with a PEC of its own logs in with it.
	own := ref.Schools[0]
	c, err := app.EnsureOrgAccount(ctx, casework.Org{Kind: casework.OrgSchool, Code: own.Code}, own.Name, "own@pec.example.it")
	require.NoError(t, err)
	require.Equal(t, "own@pec.example.it", c.User.Email)
	key := "onboarding/own/" + c.User.ID
	require.NoError(t, app.QueueAccountMessage(ctx, key, c.User.ID, store.AccountLoginReminder, "pec"))
	m, err := app.AccountMessageByKey(ctx, key)
	require.NoError(t, err)
	require.Equal(t, "own@pec.example.it", m.To)
	// A second school given the same address by a contact: not its own either.
	d, err := app.EnsureOrgAccount(ctx, casework.Org{Kind: casework.OrgSchool, Code: ref.Schools[1].Code}, ref.Schools[1].Name, "own@pec.example.it")
	require.NoError(t, err)
	require.Equal(t, strings.ToLower(ref.Schools[1].Code), d.User.Email)
}
