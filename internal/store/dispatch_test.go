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
