package dispatch_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/dispatch"
	"github.com/approdo/approdo/internal/mailer"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, store.Migrate)
}

// outbox is a database with one case, the app's store on it, and a mailbox.
type outbox struct {
	ctx     context.Context
	owner   *pgxpool.Pool
	app     *store.Store
	caseID  string
	mailbox *devmail.Server
	sender  activities.EmailSender
}

func newOutbox(t *testing.T, mail devmail.Options) *outbox {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	owner, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	appPool, err := store.OpenApp(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(appPool.Close)
	app := store.New(appPool)

	id := uuid.NewString()
	_, err = app.RecordCase(store.AsSystem(ctx), store.Case{
		ID: id, RequestID: uuid.NewString(), FiledBy: "015146", RequestHash: "h", WorkflowID: "enrolment-" + id,
		Comune: "015146", Level: "primaria", MinorGivenName: "Olena", MinorFamilyName: "Kovalenko",
		MinorBirthDate: "2017-04-12", Stage: "registered", MinorSex: "F", MinorCitizenship: "UA", Municipio: 2,
		Origin: "ukrainian_refugee", SuggestedLevel: "primaria", SuggestedYear: 4,
	})
	require.NoError(t, err)

	mb, err := devmail.Start("127.0.0.1:0", mail)
	require.NoError(t, err)
	t.Cleanup(func() { _ = mb.Close() })
	host, port, err := net.SplitHostPort(mb.Addr())
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return &outbox{ctx: ctx, owner: owner, app: app, caseID: id, mailbox: mb, sender: activities.EmailSender{Delivery: &activities.Delivery{
		Store: app, Domain: "approdo.test", BaseURL: "https://approdo.test",
		Mail: mailer.Account{Host: host, Port: p, TLS: mailer.TLSNone, From: "approdo@approdo.test", Timeout: 5 * time.Second},
		UST:  "ust@approdo.test", Orientation: "orientamento@approdo.test",
	}}}
}

// queue queues n email notices to UST, for the dispatcher (or not), and returns their keys.
func (o *outbox) queue(t *testing.T, prefix string, n int, dispatched bool) []string {
	t.Helper()
	var keys []string
	for i := range n {
		key := fmt.Sprintf("%s/%s/%d", o.caseID, prefix, i)
		written, err := o.app.QueueNotification(store.AsSystem(o.ctx), store.Notification{
			Key: key, CaseID: o.caseID, Kind: "case_assigned", Recipient: casework.UST, Dispatched: dispatched,
		})
		require.NoError(t, err)
		require.True(t, written)
		keys = append(keys, key)
	}
	return keys
}

// run starts a dispatcher until the test ends.
func (o *outbox) run(t *testing.T, d *dispatch.Dispatcher) {
	t.Helper()
	d.Store, d.Sender = o.app, o.sender
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the dispatcher did not stop")
		}
	})
}

// settled waits until every row of keys is sent and no longer due.
func (o *outbox) settled(t *testing.T, keys []string, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		var left int
		err := o.owner.QueryRow(o.ctx, `SELECT count(*) FROM notification
			WHERE key = ANY($1) AND (sent_at IS NULL OR dispatch_due IS NOT NULL)`, keys).Scan(&left)
		return err == nil && left == 0
	}, within, 50*time.Millisecond)
}

// received counts the messages the mailbox holds per Message-ID.
func (o *outbox) received() map[string]int {
	seen := map[string]int{}
	for _, m := range o.mailbox.Messages() {
		seen[m.MessageID]++
	}
	return seen
}

func TestTwoDispatchersSendEachNoticeOnce(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, devmail.Options{})
	keys := o.queue(t, "surge", 60, true)
	o.run(t, &dispatch.Dispatcher{Senders: 3, Poll: 20 * time.Millisecond})
	o.run(t, &dispatch.Dispatcher{Senders: 3, Poll: 20 * time.Millisecond})
	o.settled(t, keys, 60*time.Second)

	seen := o.received()
	require.Len(t, seen, len(keys), "every notice arrived")
	for _, key := range keys {
		id := activities.MessageID(key, "approdo.test")
		require.Equal(t, 1, seen[id], "notice %s arrived once, under the Message-ID of its key", key)
	}
	var attempts, maxAttempts int
	require.NoError(t, o.owner.QueryRow(o.ctx, `SELECT sum(attempts), max(attempts) FROM notification WHERE key = ANY($1)`, keys).Scan(&attempts, &maxAttempts))
	require.Equal(t, len(keys), attempts, "one attempt each")
	require.Equal(t, 1, maxAttempts)
}

func TestADispatcherLeavesTheRowsOfDeliveryWorkflowsAlone(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, devmail.Options{})
	// Queued before the dispatcher existed, or a PEC: a DeliverNotification workflow owns it.
	theirs := o.queue(t, "workflow", 3, false)
	mine := o.queue(t, "dispatched", 2, true)
	d := &dispatch.Dispatcher{Poll: 20 * time.Millisecond}
	o.run(t, d)
	o.settled(t, mine, 30*time.Second)
	// Several more polls.
	time.Sleep(200 * time.Millisecond)
	var sent int
	require.NoError(t, o.owner.QueryRow(o.ctx, `SELECT count(*) FROM notification WHERE key = ANY($1) AND (sent_at IS NOT NULL OR attempts > 0)`, theirs).Scan(&sent))
	require.Zero(t, sent)
	require.Len(t, o.mailbox.Messages(), len(mine))
}

func TestAnSMTPOutageDelaysNoticesAndDropsNone(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, devmail.Options{})
	require.NoError(t, o.mailbox.StopSMTP())
	keys := o.queue(t, "outage", 5, true)
	d := &dispatch.Dispatcher{Poll: 20 * time.Millisecond, FirstPause: 100 * time.Millisecond}
	o.run(t, d)

	// Every notice fails at least twice while the server is down, each time recorded.
	require.Eventually(t, func() bool {
		var failing int
		err := o.owner.QueryRow(o.ctx, `SELECT count(*) FROM notification
			WHERE key = ANY($1) AND attempts >= 2 AND last_error IS NOT NULL AND sent_at IS NULL AND dispatch_due IS NOT NULL`, keys).Scan(&failing)
		return err == nil && failing == len(keys)
	}, 30*time.Second, 50*time.Millisecond)
	require.Empty(t, o.mailbox.Messages())

	require.NoError(t, o.mailbox.StartSMTP())
	o.settled(t, keys, 60*time.Second)
	seen := o.received()
	require.Len(t, seen, len(keys))
	for _, n := range seen {
		require.Equal(t, 1, n)
	}
}

func TestARowOfAKilledDispatcherIsSentOnceItsLeaseRunsOut(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, devmail.Options{})
	keys := o.queue(t, "killed", 1, true)
	// A dispatcher takes the row and dies before sending.
	taken, err := o.app.ClaimDueNotifications(store.AsSystem(o.ctx), uuid.NewString(), 5, 700*time.Millisecond)
	require.NoError(t, err)
	require.Len(t, taken, 1)
	start := time.Now()
	o.run(t, &dispatch.Dispatcher{Poll: 20 * time.Millisecond})
	o.settled(t, keys, 30*time.Second)
	require.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "not before the lease ran out")
	require.Len(t, o.mailbox.Messages(), 1)
}

func TestAWakeSendsANoticeWithoutWaitingForThePoll(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, devmail.Options{})
	d := &dispatch.Dispatcher{Poll: time.Hour}
	o.run(t, d)
	time.Sleep(100 * time.Millisecond) // the first look at the outbox, empty
	keys := o.queue(t, "woken", 1, true)
	d.Wake()
	o.settled(t, keys, 10*time.Second)
}

func TestTheDispatchersPollReadsOnlyTheRowsStillDue(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, devmail.Options{})
	// A big outbox of settled notices, as after a surge.
	_, err := o.owner.Exec(o.ctx, `INSERT INTO notification (key, case_id, kind, recipient, dispatched, sent_at)
		SELECT $1 || '/old/' || i, $1::uuid, 'case_assigned', 'ust', true, now() FROM generate_series(1, 20000) i`, o.caseID)
	require.NoError(t, err)
	_, err = o.owner.Exec(o.ctx, `ANALYZE notification`)
	require.NoError(t, err)
	rows, err := o.owner.Query(o.ctx, `EXPLAIN SELECT key FROM notification WHERE dispatch_due <= now() ORDER BY dispatch_due LIMIT 4 FOR UPDATE SKIP LOCKED`)
	require.NoError(t, err)
	var lines string
	for rows.Next() {
		var l string
		require.NoError(t, rows.Scan(&l))
		lines += l + "\n"
	}
	require.NoError(t, rows.Err())
	require.Contains(t, lines, "notification_dispatch_due_idx", "the poll uses the partial index:\n%s", lines)

	// And an empty poll costs little: timed, for the README.
	const polls = 200
	start := time.Now()
	for range polls {
		due, err := o.app.ClaimDueNotifications(store.AsSystem(o.ctx), uuid.NewString(), 4, time.Minute)
		require.NoError(t, err)
		require.Empty(t, due)
	}
	t.Logf("an empty poll of an outbox of 20,000 settled notices: %s", (time.Since(start) / polls).Round(time.Microsecond))
}

func TestBackoffGrowsToAnHour(t *testing.T) {
	first := 10 * time.Second
	require.Equal(t, 10*time.Second, dispatch.Backoff(first, 1))
	require.Equal(t, 20*time.Second, dispatch.Backoff(first, 2))
	require.Equal(t, 80*time.Second, dispatch.Backoff(first, 4))
	require.Equal(t, time.Hour, dispatch.Backoff(first, 30))
}

// A notice that cannot be written yet (no reference data to find the school's address
// in) is tried again later; the mark its claim put is taken back, since nothing left, so
// that it goes at once when it can, with no doubt to settle.
func TestANoticeNotWrittenYetIsTriedAgainUnmarked(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, devmail.Options{})
	key := o.caseID + "/no-refdata"
	_, err := o.app.QueueNotification(store.AsSystem(o.ctx), store.Notification{
		Key: key, CaseID: o.caseID, Kind: "proposal", Recipient: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"},
		Dispatched: true, Channel: store.ChannelEmail,
	})
	require.NoError(t, err)
	o.run(t, &dispatch.Dispatcher{Poll: 20 * time.Millisecond, FirstPause: 200 * time.Millisecond})

	// Taken and given back, due again, in no doubt and with no attempt recorded.
	require.Eventually(t, func() bool {
		var unmarked, dueLater bool
		err := o.owner.QueryRow(o.ctx, `SELECT sending_since IS NULL, dispatch_lease IS NULL AND dispatch_due > now()
			FROM notification WHERE key = $1 AND attempts = 0`, key).Scan(&unmarked, &dueLater)
		return err == nil && unmarked && dueLater
	}, 10*time.Second, 10*time.Millisecond)
	require.Empty(t, o.mailbox.Messages())

	ref, err := refdata.ParseFile(filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)
	_, err = store.New(o.owner).ReplaceReferenceData(o.ctx, ref, "sample")
	require.NoError(t, err)
	o.settled(t, []string{key}, 30*time.Second)
	require.Equal(t, 1, o.received()[activities.MessageID(key, "approdo.test")])
}
