package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/dispatch"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

// maxTripsPerEmail is what one email notice sent by the dispatcher may cost in round
// trips to PostgreSQL, in the normal case: the claim that takes it (and reads all that
// composing it needs, and marks it being sent), and the record that it was sent, which
// gives the row back in the same statement.
const maxTripsPerEmail = 2

// An email notice costs the dispatcher at most maxTripsPerEmail round trips to
// PostgreSQL, whoever it goes to: UST (an address from the configuration), a school (its
// address from the reference data) or a family (its address from the case). Counted on
// the wire: every time the dispatcher's one connection writes after it has read.
func TestAnEmailNoticeCostsTwoRoundTrips(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, devmail.Options{})
	ref, err := refdata.ParseFile(filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)
	_, err = store.New(o.owner).ReplaceReferenceData(o.ctx, ref, "sample")
	require.NoError(t, err)
	family := o.familyCase(t, "MIIC90001A")

	counted, trips := countedStore(t, o)
	o.app, o.sender.Delivery.Store = counted, counted

	// Every kind of notice queued in one go, as a step of a case queues them.
	queueAll := func(round string) []string {
		var keys []string
		for i, n := range []store.Notification{
			{CaseID: o.caseID, Kind: "case_assigned", Recipient: casework.UST},
			{CaseID: o.caseID, Kind: "proposal", Recipient: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}},
			{CaseID: family, Kind: "placement_confirmed", Recipient: casework.Family},
			{CaseID: family, Kind: "placement_confirmed", Recipient: casework.Org{Kind: casework.OrgSchool, Code: "MIIC90002A"}},
			{CaseID: o.caseID, Kind: "escalation", Recipient: casework.Orientation},
		} {
			n.Key = fmt.Sprintf("%s/%s/%d", n.CaseID, round, i)
			n.Dispatched, n.Channel = true, store.ChannelEmail
			// Queued by another process: through the owner's pool, not the counted one.
			written, err := store.New(o.owner).QueueNotification(store.AsSystem(o.ctx), n)
			require.NoError(t, err)
			require.True(t, written)
			keys = append(keys, n.Key)
		}
		return keys
	}

	// One sender, so that the claims take one notice each, as under a steady load, and
	// a poll that never comes: the dispatcher looks only when a send ends (or is woken).
	d := &dispatch.Dispatcher{Senders: 1, Poll: time.Hour}
	o.run(t, d)
	// A first round prepares the statements on the connection: pgx caches them.
	o.settled(t, queueAll("warm"), 30*time.Second)
	time.Sleep(200 * time.Millisecond) // the look after the last send, which finds none

	keys := queueAll("counted")
	trips.Store(0)
	d.Wake()
	o.settled(t, keys, 30*time.Second)
	time.Sleep(200 * time.Millisecond)
	got := trips.Load()

	seen := o.received()
	for _, key := range keys {
		require.Equal(t, 1, seen[activities.MessageID(key, "approdo.test")], "notice %s sent once", key)
	}
	// What the claim read with the rows is what the notices say: the family's in its
	// language, to the guardian, naming the school from the reference data.
	addresses := map[string]string{}
	for _, key := range keys {
		var to string
		require.NoError(t, o.owner.QueryRow(o.ctx, `SELECT address FROM notification WHERE key = $1`, key).Scan(&to))
		addresses[key] = to
	}
	require.Equal(t, []string{"ust@approdo.test", "miic90001a@example.org", "famiglia@example.org", "miic90002a@example.org",
		"orientamento@approdo.test"}, []string{addresses[keys[0]], addresses[keys[1]], addresses[keys[2]], addresses[keys[3]], addresses[keys[4]]})
	checked := false
	for _, m := range o.mailbox.Messages() {
		if m.MessageID == activities.MessageID(keys[2], "approdo.test") {
			checked = true
			require.Equal(t, "Зарахування до школи підтверджено", m.Subject, "in the guardian's language")
			require.Contains(t, plainText(t, m.Raw), "IC Esempio Milano Centro, клас (секція) B", "the placement, with the school's name")
		}
	}
	require.True(t, checked)

	// The last look at the outbox, after the last send, finds nothing: one more trip.
	perEmail := float64(got-1) / float64(len(keys))
	t.Logf("%d notices: %d round trips to PostgreSQL, %.2f per email (plus the last, empty, look at the outbox)", len(keys), got, perEmail)
	require.LessOrEqual(t, got, int64(maxTripsPerEmail*len(keys)+1), "round trips per email notice: %.2f", perEmail)
}

// familyCase records a case whose guardian gave an email and whose minor is placed at
// school, and returns its ID.
func (o *outbox) familyCase(t *testing.T, school string) string {
	t.Helper()
	id := uuid.NewString()
	_, err := store.New(o.owner).RecordCase(store.AsSystem(o.ctx), store.Case{
		ID: id, RequestID: uuid.NewString(), FiledBy: "015146", RequestHash: "h", WorkflowID: "enrolment-" + id,
		Comune: "015146", Level: "primaria", MinorGivenName: "Mykola", MinorFamilyName: "Shevchenko",
		MinorBirthDate: "2016-02-03", Stage: "registered", MinorSex: "M", MinorCitizenship: "UA", Municipio: 2,
		Origin: "ukrainian_refugee", SuggestedLevel: "primaria", SuggestedYear: 4,
		Details: store.CaseDetails{GuardianEmail: "famiglia@example.org", GuardianLanguage: "uk"},
	})
	require.NoError(t, err)
	placement, err := json.Marshal(casework.Placement{School: school, Level: "primaria", Year: 4, Section: "B", StartDate: "2026-12-07"})
	require.NoError(t, err)
	_, err = o.owner.Exec(o.ctx, `UPDATE enrolment_case SET placement = $2 WHERE id = $1`, id, placement)
	require.NoError(t, err)
	return id
}

// countedStore is the app's store on a pool of one connection whose round trips to
// PostgreSQL are counted.
func countedStore(t *testing.T, o *outbox) (*store.Store, *atomic.Int64) {
	t.Helper()
	url := o.owner.Config().ConnString()
	appURL, err := store.AppLoginURL(o.ctx, url)
	require.NoError(t, err)
	cfg, err := pgxpool.ParseConfig(appURL)
	require.NoError(t, err)
	cfg.MaxConns = 1
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SET ROLE "+store.AppRole)
		return err
	}
	// The pool pings a connection idle for over a second before lending it: a worker
	// under load never waits that long, and a slow moment of this shared machine would
	// count a trip the dispatcher did not make.
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	trips := &atomic.Int64{}
	dial := cfg.ConnConfig.DialFunc
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tripCounter{Conn: c, trips: trips}, nil
	}
	pool, err := pgxpool.NewWithConfig(o.ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return store.New(pool), trips
}

// tripCounter counts the round trips over a connection: a write that follows a read
// (or is the first) starts one. The writes of a pipelined batch, with nothing read in
// between, are one trip.
type tripCounter struct {
	net.Conn
	trips *atomic.Int64

	mu       sync.Mutex
	answered bool // something was read since the last write
	started  bool
}

func (c *tripCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.started || c.answered {
		c.trips.Add(1)
		c.started, c.answered = true, false
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *tripCounter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.answered = true
		c.mu.Unlock()
	}
	return n, err
}

// plainText is the text/plain part of a message as the mailer writes it, decoded.
func plainText(t *testing.T, raw []byte) string {
	t.Helper()
	text, err := devmail.PlainText(raw)
	require.NoError(t, err)
	return text
}
