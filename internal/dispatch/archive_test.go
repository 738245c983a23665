package dispatch_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/dispatch"
	"github.com/approdo/approdo/internal/pecinbox"
	"github.com/approdo/approdo/internal/store"
)

// The mail archive of these tests: an IMAP account of the test mailbox.
const (
	archive         = "archivio@approdo.test"
	archivePassword = "archive-password"
)

// withArchive starts an outbox whose mailbox keeps an archive account, served over IMAP,
// and whose notices go there too (activities.MailArchive).
func withArchive(t *testing.T, mail devmail.Options, grace time.Duration) (*outbox, pecinbox.Account) {
	t.Helper()
	mail.IMAPUsers = map[string]string{archive: archivePassword}
	o := newOutbox(t, mail)
	addr, err := o.mailbox.ServeIMAP("127.0.0.1:0")
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	account := pecinbox.Account{Host: host, Port: p, TLS: pecinbox.TLSNone, Username: archive, Password: archivePassword}
	o.sender.Delivery.Archive = activities.MailArchive{Address: archive, IMAP: account, Grace: grace}
	return o, account
}

// cutShortAfterAcceptance sends the notice queued under key as a dispatcher would, and
// cuts the connection while the server is taking the message: the server keeps it (it
// had read it whole), the sender never hears "250", and the attempt stays in doubt, as
// when the worker is killed between the server's acceptance and the record.
func cutShortAfterAcceptance(t *testing.T, o *outbox, key string, holding <-chan struct{}, release chan<- struct{}) {
	t.Helper()
	// Taken for a moment only: the dispatcher the test runs next takes it up at once.
	lease := uuid.NewString()
	due, err := o.app.ClaimDueNotifications(store.AsSystem(o.ctx), lease, 10, 200*time.Millisecond)
	require.NoError(t, err)
	require.Len(t, due, 1)
	require.Equal(t, key, due[0].Key)
	ctx, cancel := context.WithCancel(store.AsSystem(o.ctx))
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := o.sender.SendClaimed(ctx, due[0], lease, slog.New(slog.DiscardHandler), func() {}, time.Second)
		done <- err
	}()
	<-holding
	cancel() // the connection closes under the server
	require.Error(t, <-done, "the sender did not hear the server accept")
	close(release)
	id := activities.MessageID(key, "approdo.test")
	require.Eventually(t, func() bool { return o.received()[id] == 1 }, 10*time.Second, 10*time.Millisecond, "the server kept it")
	var since *time.Time
	var sent bool
	require.NoError(t, o.owner.QueryRow(o.ctx, `SELECT sending_since, sent_at IS NOT NULL FROM notification WHERE key = $1`, key).Scan(&since, &sent))
	require.NotNil(t, since, "the attempt is in doubt")
	require.False(t, sent)
}

// holdFirst stalls the first message in the server until release is closed.
func holdFirst() (opts devmail.Options, holding <-chan struct{}, release chan struct{}) {
	h, r := make(chan struct{}), make(chan struct{})
	var once sync.Once
	opts.Hold = func(devmail.Message) {
		first := false
		once.Do(func() { first = true })
		if first {
			close(h)
			<-r
		}
	}
	return opts, h, r
}

func TestANoticeTheServerTookBeforeItsSenderDiedIsNotSentAgain(t *testing.T) {
	t.Parallel()
	// An hour's grace: only finding it in the archive can settle the notice in time.
	mail, holding, release := holdFirst()
	o, account := withArchive(t, mail, time.Hour)
	keys := o.queue(t, "cut-after", 1, true)
	cutShortAfterAcceptance(t, o, keys[0], holding, release)

	id := activities.MessageID(keys[0], "approdo.test")
	found, err := pecinbox.HasMessage(o.ctx, account, id)
	require.NoError(t, err)
	require.True(t, found, "the archive's copy came in the same transaction")

	var logs syncBuffer
	o.run(t, &dispatch.Dispatcher{Poll: 20 * time.Millisecond, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	o.settled(t, keys, 30*time.Second)
	require.Equal(t, 1, o.received()[id], "not sent again")
	require.Len(t, o.mailbox.Messages(), 1)
	require.Contains(t, logs.String(), "in the mail archive: not sending again")
	require.NotContains(t, logs.String(), "ust@approdo.test", "no address in the logs")
	var address string
	require.NoError(t, o.owner.QueryRow(o.ctx, `SELECT address FROM notification WHERE key = $1 AND sending_since IS NULL`, keys[0]).Scan(&address))
	require.Equal(t, "ust@approdo.test", address, "recorded as sent, to its recipient")

	// The recipient's copy does not name the archive.
	m := o.mailbox.Messages()[0]
	require.Equal(t, []string{"ust@approdo.test", archive}, m.To)
	require.NotContains(t, string(m.Raw), archive)
}

// Without an archive the same cut sends the notice twice: what the fault suite's R1 saw.
func TestWithoutAnArchiveANoticeCutShortAfterAcceptanceIsSentTwice(t *testing.T) {
	t.Parallel()
	mail, holding, release := holdFirst()
	o := newOutbox(t, mail)
	keys := o.queue(t, "cut-no-archive", 1, true)
	cutShortAfterAcceptance(t, o, keys[0], holding, release)
	o.run(t, &dispatch.Dispatcher{Poll: 20 * time.Millisecond})
	o.settled(t, keys, 30*time.Second)
	require.Equal(t, 2, o.received()[activities.MessageID(keys[0], "approdo.test")])
}

func TestANoticeWhoseSenderDiedBeforeTheServerGotItIsSentAfterTheGrace(t *testing.T) {
	t.Parallel()
	const grace = 2 * time.Second
	o, _ := withArchive(t, devmail.Options{}, grace)
	keys := o.queue(t, "cut-before", 1, true)
	// A worker marked the attempt and was killed before the server had the message.
	require.NoError(t, o.app.MarkSending(store.AsSystem(o.ctx), store.Notifications, keys[0]))
	marked := time.Now()

	var logs syncBuffer
	o.run(t, &dispatch.Dispatcher{Poll: 20 * time.Millisecond, FirstPause: 100 * time.Millisecond, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	o.settled(t, keys, 30*time.Second)
	require.GreaterOrEqual(t, time.Since(marked), grace, "not before the grace")
	require.Equal(t, 1, o.received()[activities.MessageID(keys[0], "approdo.test")], "sent, once")
	require.Contains(t, logs.String(), "is not in the mail archive; waiting up to", "it waited for a slow relay first")
	require.NotContains(t, logs.String(), "ust@approdo.test", "no address in the logs")
	var attempts int
	require.NoError(t, o.owner.QueryRow(o.ctx, `SELECT attempts FROM notification WHERE key = $1 AND sending_since IS NULL`, keys[0]).Scan(&attempts))
	require.Equal(t, 1, attempts, "the waits are no attempts")
}

// The claim marks the notice as being sent: a dispatcher killed after taking it, before
// the message left, leaves it in doubt like one killed mid-send. The next does not find it
// in the archive, and sends it once the grace from the claim has passed: once.
func TestANoticeWhoseDispatcherDiedAfterTakingItIsSentOnceAfterTheGrace(t *testing.T) {
	t.Parallel()
	const grace = 2 * time.Second
	o, _ := withArchive(t, devmail.Options{}, grace)
	keys := o.queue(t, "claimed", 1, true)
	taken, err := o.app.ClaimDueNotifications(store.AsSystem(o.ctx), uuid.NewString(), 5, 300*time.Millisecond)
	require.NoError(t, err)
	require.Len(t, taken, 1)
	require.True(t, taken[0].Marked)
	claimed := time.Now()

	o.run(t, &dispatch.Dispatcher{Poll: 20 * time.Millisecond, FirstPause: 100 * time.Millisecond})
	o.settled(t, keys, 30*time.Second)
	require.GreaterOrEqual(t, time.Since(claimed), grace, "not before the grace")
	require.Equal(t, 1, o.received()[activities.MessageID(keys[0], "approdo.test")], "sent, once")
	var attempts int
	require.NoError(t, o.owner.QueryRow(o.ctx, `SELECT attempts FROM notification WHERE key = $1 AND sending_since IS NULL`, keys[0]).Scan(&attempts))
	require.Equal(t, 1, attempts)
}

// While the archive cannot be searched, a notice in doubt is not sent on a guess; it is
// once the archive answers.
func TestANoticeInDoubtWaitsForTheArchiveToAnswer(t *testing.T) {
	t.Parallel()
	o, _ := withArchive(t, devmail.Options{}, 100*time.Millisecond)
	keys := o.queue(t, "archive-down", 1, true)
	require.NoError(t, o.app.MarkSending(store.AsSystem(o.ctx), store.Notifications, keys[0]))
	require.NoError(t, o.mailbox.StopIMAP())
	o.run(t, &dispatch.Dispatcher{Poll: 20 * time.Millisecond, FirstPause: 100 * time.Millisecond})
	require.Eventually(t, func() bool {
		var attempts int
		var lastPause bool
		err := o.owner.QueryRow(o.ctx, `SELECT attempts, dispatch_due > now() FROM notification WHERE key = $1`, keys[0]).Scan(&attempts, &lastPause)
		return err == nil && attempts == 0 && lastPause
	}, 10*time.Second, 20*time.Millisecond)
	time.Sleep(time.Second) // several rounds, past the grace
	require.Empty(t, o.mailbox.Messages(), "not sent while the archive is away")

	require.NoError(t, o.mailbox.StartIMAP())
	o.settled(t, keys, 30*time.Second)
	require.Equal(t, 1, o.received()[activities.MessageID(keys[0], "approdo.test")])
}

// syncBuffer is a bytes.Buffer the dispatcher's senders may log to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
