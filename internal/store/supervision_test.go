package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

func TestUndeliveredNoticesAreUSTs(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	sys := store.AsSystem(context.Background())
	c, err := app.RecordCase(sys, sampleCase())
	require.NoError(t, err)
	for _, key := range []string{c.ID + "/placed/comune", c.ID + "/placed/school"} {
		_, err := app.QueueNotification(sys, store.Notification{Key: key, CaseID: c.ID, Kind: "placed", Recipient: casework.Org{Kind: casework.OrgComune, Code: "015146"}})
		require.NoError(t, err)
		require.NoError(t, app.NoteDeliveryAttempt(sys, store.Notifications, key, store.Attempt{MessageID: key + "@approdo.test", Address: "x@pec.example.it", Sent: true}))
	}
	require.NoError(t, app.NoteDeliveryOutcome(sys, store.Notifications, c.ID+"/placed/comune", false, "errore-consegna"))
	require.NoError(t, app.NoteDeliveryOutcome(sys, store.Notifications, c.ID+"/placed/school", true, ""))

	got, err := app.UndeliveredNotices(store.WithOrg(context.Background(), "ust"), 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, c.ID, got[0].CaseID)
	require.Equal(t, "errore-consegna", got[0].Reason)
	require.Equal(t, "x@pec.example.it", got[0].Address)
	require.NotNil(t, got[0].SentAt)

	got, err = app.UndeliveredNotices(store.WithOrg(context.Background(), "comune:015146"), 10)
	require.NoError(t, err)
	require.Empty(t, got, "row-level security shows notices to UST only")
}

func TestStuckOnboardingsAreThoseWithoutALogin(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	sys := store.AsSystem(context.Background())
	issue := func(code, name string) store.ComuneAccount {
		a, err := app.EnsureComuneAccount(sys, casework.Org{Kind: casework.OrgComune, Code: code}, name, "protocollo@pec.comune."+code+".example.it")
		require.NoError(t, err)
		key := "onboarding/" + code + "/credentials/1"
		_, err = app.IssueCredentials(sys, key, a.User.ID, "temp", "hash")
		require.NoError(t, err)
		require.NoError(t, app.NoteDeliveryAttempt(sys, store.AccountMessages, key, store.Attempt{MessageID: code + "@approdo.test", Address: a.User.Email, Sent: true}))
		return a
	}
	issue("015189", "Comune di Rozzano")
	require.NoError(t, app.NoteDeliveryOutcome(sys, store.AccountMessages, "onboarding/015189/credentials/1", false, "no_receipt"))
	issue("015182", "Comune di Rho")
	require.NoError(t, app.NoteDeliveryOutcome(sys, store.AccountMessages, "onboarding/015182/credentials/1", true, ""))
	logged := issue("015146", "Comune di Milano")
	_, err := app.RecordLoginSuccess(sys, logged.User.ID, nil)
	require.NoError(t, err)

	ust := store.WithOrg(context.Background(), "ust")
	got, err := app.StuckOnboardings(ust, time.Now().Add(-time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, got, 1, "credentials sent just now are not stuck yet, unless not delivered")
	require.Equal(t, "015189", got[0].Comune)
	require.Equal(t, "no_receipt", got[0].Undelivered)

	got, err = app.StuckOnboardings(ust, time.Now().Add(time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, got, 2, "Milano logged in")
	require.Equal(t, "015189", got[0].Comune, "not delivered first")
	require.Equal(t, "015182", got[1].Comune)
	require.Equal(t, "Comune di Rho", got[1].Name)
	require.NotNil(t, got[1].DeliveredAt)
}
