package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

func TestDispatchedNoticesAreTakenUnderALease(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	sys := store.AsSystem(context.Background())
	c, err := app.RecordCase(sys, sampleCase())
	require.NoError(t, err)
	queue := func(key string, dispatched bool) {
		_, err := app.QueueNotification(sys, store.Notification{Key: key, CaseID: c.ID, Kind: "placed", Recipient: casework.UST, Dispatched: dispatched})
		require.NoError(t, err)
	}
	queue(c.ID+"/email", true)
	queue(c.ID+"/workflow", false)
	for key, want := range map[string]bool{c.ID + "/email": true, c.ID + "/workflow": false} {
		got, err := app.NotificationDispatched(sys, key)
		require.NoError(t, err)
		require.Equal(t, want, got, key)
	}
	_, err = app.NotificationDispatched(sys, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	first, second := uuid.NewString(), uuid.NewString()
	taken, err := app.ClaimDueNotifications(sys, first, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, taken, 1, "only the dispatched row")
	require.Equal(t, c.ID+"/email", taken[0].Key)
	again, err := app.ClaimDueNotifications(sys, second, 10, time.Minute)
	require.NoError(t, err)
	require.Empty(t, again, "not while the lease holds")

	held, err := app.RenewDispatchLease(sys, taken[0].Key, second, time.Minute)
	require.NoError(t, err)
	require.False(t, held, "another's lease is not renewed")
	held, err = app.RenewDispatchLease(sys, taken[0].Key, first, time.Minute)
	require.NoError(t, err)
	require.True(t, held)

	require.NoError(t, app.ReleaseDispatch(sys, taken[0].Key, second, nil), "a release under another's lease")
	again, err = app.ClaimDueNotifications(sys, second, 10, time.Minute)
	require.NoError(t, err)
	require.Empty(t, again, "changed nothing")
	now := time.Now()
	require.NoError(t, app.ReleaseDispatch(sys, taken[0].Key, first, &now))
	again, err = app.ClaimDueNotifications(sys, second, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, again, 1, "due again once released with a time")
	require.NoError(t, app.ReleaseDispatch(sys, taken[0].Key, second, nil))
	time.Sleep(10 * time.Millisecond)
	again, err = app.ClaimDueNotifications(sys, first, 10, time.Minute)
	require.NoError(t, err)
	require.Empty(t, again, "settled for good")

	_, err = app.ClaimDueNotifications(store.WithOrg(context.Background(), "ust"), first, 10, time.Minute)
	require.NoError(t, err)
}

// The record of a send is one round trip; the caller it names stays local to it.
func TestTheRecordOfASendNamesItsCallerForItselfOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	cfg, err := pgxpool.ParseConfig(appURL)
	require.NoError(t, err)
	cfg.MaxConns = 1 // every call below uses the same connection
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SET ROLE "+store.AppRole)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	app := store.New(pool)
	sys := store.AsSystem(ctx)
	c, err := app.RecordCase(sys, sampleCase())
	require.NoError(t, err)
	key := c.ID + "/email"
	_, err = app.QueueNotification(sys, store.Notification{Key: key, CaseID: c.ID, Kind: "placed", Recipient: casework.UST, Dispatched: true})
	require.NoError(t, err)

	require.NoError(t, app.NoteDeliveryAttempt(sys, store.Notifications, key, store.Attempt{MessageID: "m@approdo.test", Address: "ust@approdo.test", Sent: true}))
	n, err := app.NotificationByKey(sys, key)
	require.NoError(t, err)
	require.NotNil(t, n.SentAt, "written, row-level security passed as the system")
	require.Equal(t, 1, n.Attempts)

	var org string
	require.NoError(t, pool.QueryRow(ctx, `SELECT coalesce(current_setting('approdo.org', true), '')`).Scan(&org))
	require.Empty(t, org, "the name did not outlive the record")
	// Nor does a refused record leave it behind.
	require.Error(t, app.NoteDeliveryAttempt(sys, store.Notifications, key, store.Attempt{MessageID: string([]byte{0}), Sent: true}))
	require.NoError(t, pool.QueryRow(ctx, `SELECT coalesce(current_setting('approdo.org', true), '')`).Scan(&org))
	require.Empty(t, org)
}

// A claim reads with each row all that sending it needs (the family's address and
// placement, the reference data's version), and marks as being sent the email notices it
// will send: not a PEC, not one already sent or refused; a mark already there (an attempt
// in doubt) keeps its time and is returned.
func TestAClaimReadsWhatASendNeedsAndMarksTheEmailsToSend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sys := store.AsSystem(ctx)
	url := pgtest.NewDatabase(t)
	ownerPool, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(ownerPool.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	appPool, err := store.OpenApp(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(appPool.Close)
	app := store.New(appPool)
	_, err = store.New(ownerPool).ReplaceReferenceData(ctx, sampleReferenceData(t), "sample")
	require.NoError(t, err)

	withFamily := sampleCase()
	withFamily.Details = store.CaseDetails{GuardianEmail: "famiglia@example.org", GuardianLanguage: "uk"}
	c, err := app.RecordCase(sys, withFamily)
	require.NoError(t, err)
	_, err = ownerPool.Exec(ctx, `UPDATE enrolment_case SET placement = '{"School": "MIIC90001A", "Section": "B", "StartDate": "2026-12-07"}' WHERE id = $1`, c.ID)
	require.NoError(t, err)
	queue := func(name string, to casework.Org, channel string) string {
		key := c.ID + "/" + name
		_, err := app.QueueNotification(sys, store.Notification{Key: key, CaseID: c.ID, Kind: "placement_confirmed", Recipient: to, Dispatched: true, Channel: channel})
		require.NoError(t, err)
		return key
	}
	family := queue("family", casework.Family, store.ChannelEmail)
	ust := queue("ust", casework.UST, store.ChannelEmail)
	pec := queue("pec", casework.Org{Kind: casework.OrgSchool, Code: "MIIC90002A"}, store.ChannelPEC)
	oldComune := queue("old-comune", casework.Org{Kind: casework.OrgComune, Code: "015146"}, "")
	sent := queue("sent", casework.UST, store.ChannelEmail)
	require.NoError(t, app.NoteDeliveryAttempt(sys, store.Notifications, sent, store.Attempt{MessageID: "m@approdo.test", Sent: true}))
	refused := queue("refused", casework.UST, store.ChannelEmail)
	require.NoError(t, app.NoteDeliveryOutcome(sys, store.Notifications, refused, false, "refused"))
	inDoubt := queue("in-doubt", casework.UST, store.ChannelEmail)
	require.NoError(t, app.MarkSending(sys, store.Notifications, inDoubt))
	var markedAt time.Time
	require.NoError(t, ownerPool.QueryRow(ctx, `SELECT sending_since FROM notification WHERE key = $1`, inDoubt).Scan(&markedAt))

	lease := uuid.NewString()
	taken, err := app.ClaimDueNotifications(sys, lease, 10, time.Minute)
	require.NoError(t, err)
	byKey := map[string]store.DueNotification{}
	for _, n := range taken {
		byKey[n.Key] = n
	}
	require.Len(t, byKey, 7)

	f := byKey[family]
	require.Equal(t, c.ID, f.CaseID)
	require.Equal(t, "placement_confirmed", f.Kind)
	require.Equal(t, casework.Family, f.Recipient)
	require.Equal(t, store.ChannelEmail, f.Channel)
	require.True(t, f.Dispatched)
	require.NotNil(t, f.Family)
	require.Equal(t, "famiglia@example.org", f.Family.GuardianEmail)
	require.Equal(t, "uk", f.Family.GuardianLanguage)
	require.Equal(t, &casework.Placement{School: "MIIC90001A", Section: "B", StartDate: "2026-12-07"}, f.Family.Placement)
	require.Nil(t, byKey[ust].Family, "the case is read for a family's notice only")
	require.NotEqual(t, store.RefdataVersion{}, f.Refdata)
	ref, err := app.ReferenceDataAt(sys, f.Refdata)
	require.NoError(t, err)
	require.Equal(t, "sample-2026-11-30", ref.Version)

	marks := map[string]*time.Time{}
	for key := range byKey {
		var since *time.Time
		require.NoError(t, ownerPool.QueryRow(ctx, `SELECT sending_since FROM notification WHERE key = $1`, key).Scan(&since))
		marks[key] = since
	}
	for _, key := range []string{family, ust} {
		require.True(t, byKey[key].Marked, key)
		require.Nil(t, byKey[key].InDoubtSince, key)
		require.NotNil(t, marks[key], "%s marked as being sent", key)
	}
	for _, key := range []string{pec, oldComune, sent, refused} {
		require.False(t, byKey[key].Marked, key)
		require.Nil(t, marks[key], "%s: the dispatcher sends no PEC, and nothing already settled", key)
	}
	require.NotNil(t, byKey[sent].SentAt)
	require.Equal(t, "refused", byKey[refused].Undelivered)
	require.True(t, byKey[inDoubt].Marked)
	require.NotNil(t, byKey[inDoubt].InDoubtSince)
	require.True(t, markedAt.Equal(*byKey[inDoubt].InDoubtSince), "the attempt in doubt is returned")
	require.True(t, markedAt.Equal(*marks[inDoubt]), "and its mark keeps its time")

	// Settled under another lease: the record is written, the row stays with its holder.
	require.NoError(t, app.SettleDispatched(sys, ust, uuid.NewString(), store.Attempt{MessageID: "u@approdo.test", Address: "ust@approdo.test", Sent: true}))
	var sentAt, since, due *time.Time
	var holder *string
	row := `SELECT sent_at, sending_since, dispatch_due, dispatch_lease::text FROM notification WHERE key = $1`
	require.NoError(t, ownerPool.QueryRow(ctx, row, ust).Scan(&sentAt, &since, &due, &holder))
	require.NotNil(t, sentAt)
	require.Nil(t, since)
	require.NotNil(t, due)
	require.Equal(t, lease, *holder)
	// Under its lease: recorded and settled for good.
	require.NoError(t, app.SettleDispatched(sys, family, lease, store.Attempt{MessageID: "f@approdo.test", Address: "famiglia@example.org", Sent: true}))
	require.NoError(t, ownerPool.QueryRow(ctx, row, family).Scan(&sentAt, &since, &due, &holder))
	require.NotNil(t, sentAt)
	require.Nil(t, since)
	require.Nil(t, due)
	require.Nil(t, holder)
	// Only the system settles a notice: row-level security hides it from anybody else.
	require.NoError(t, app.SettleDispatched(store.WithOrg(ctx, "ust"), inDoubt, lease, store.Attempt{MessageID: "d@approdo.test", Sent: true}))
	require.NoError(t, ownerPool.QueryRow(ctx, row, inDoubt).Scan(&sentAt, &since, &due, &holder))
	require.Nil(t, sentAt)
	require.NotNil(t, since)
	require.Equal(t, lease, *holder)
}
