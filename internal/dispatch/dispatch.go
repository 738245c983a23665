// Package dispatch sends the email notices of the outbox from inside the worker, with no
// workflow each: a notice by ordinary email awaits nothing once the server has taken it,
// so a workflow of some twenty history events per notice bought nothing a PostgreSQL row
// cannot hold. A PEC to a comune still has its DeliverNotification workflow, which waits
// for the delivery receipt.
//
// The guarantees are the delivery workflow's:
//   - every attempt goes through the same code (activities.EmailSender): the same
//     Message-ID from the key, the same compose, the same records of attempts;
//   - a temporary failure (the server busy or down) is retried with growing pauses, from
//     10 seconds up to an hour, for 72 hours; an undeliverable notice is not retried, is
//     recorded as refused and its case told (workflows.SignalNoticeUndelivered);
//   - a row is taken under a lease (store.ClaimDueNotifications), so two dispatchers never
//     send it at once, and one killed mid-send gives it up when the lease runs out: the
//     next sends it again only if the first never recorded it as sent, and, when the
//     first was cut short talking to the server, only if the mail archive does not have
//     it (activities.MailArchive; without an archive, at most once more per crash, as
//     README "No duplicates" explains);
//   - nothing is kept in memory: a worker or PostgreSQL restart loses nothing.
//
// An email notice costs two round trips to PostgreSQL (TestAnEmailNoticeCostsTwoRoundTrips):
// the claim, which takes the row, reads all that composing it needs and marks it as being
// sent; and the record of the send, which gives the row back. A failed attempt costs one
// more (the dispatcher then decides when to try again), and so do the rare paths (an
// attempt in doubt, a refusal, a slow send's lease renewals).
package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

// The defaults of a Dispatcher's settings.
const (
	DefaultSenders     = 4
	DefaultPoll        = 500 * time.Millisecond
	DefaultLease       = 20 * time.Second
	DefaultGiveUpAfter = 72 * time.Hour
)

// The pauses between attempts after a temporary failure: as deliveryActivity's retry
// policy in workflows/delivery.go, from DefaultFirstPause doubling up to lastPause.
const (
	DefaultFirstPause = 10 * time.Second
	lastPause         = time.Hour
)

// Dispatcher sends the dispatched notifications of the outbox. Run it once per worker
// process; several processes share the outbox safely.
type Dispatcher struct {
	Store  *store.Store
	Sender activities.EmailSender
	// Temporal tells a case that one of its notices was refused.
	Temporal client.Client
	// Log gets what the delivery workflow's activities log: case IDs, kinds, recipients as
	// organisation codes, SMTP codes; never an address or a name.
	Log *slog.Logger
	// Senders is how many notices are sent at once; 0 means DefaultSenders.
	Senders int
	// Poll is how often the outbox is looked at for notices queued and retries falling
	// due; Wake makes it look now. 0 means DefaultPoll.
	//
	// A poll, not a wake from Notify or LISTEN/NOTIFY: an empty poll costs about a
	// millisecond on an outbox of 20,000 sent notices (the partial index on dispatch_due),
	// and half a second is nothing to a notice. A wake from Notify was tried: it started a
	// step's sends the instant the step was answered, which is when the fault suite's R1
	// SIGKILLs the worker, and a kill between the server's acceptance and the record sends
	// an email again (2 and 1 duplicates in two runs of 3 kills; none in two with the poll).
	Poll time.Duration
	// Lease is how long a taken row stays with this dispatcher without being renewed;
	// 0 means DefaultLease. A send renews it every few seconds.
	Lease time.Duration
	// GiveUpAfter is how long after queueing a notice that keeps failing for a temporary
	// reason is given up; 0 means DefaultGiveUpAfter.
	GiveUpAfter time.Duration
	// FirstPause is the pause after a first temporary failure, doubled after each next
	// one up to an hour; 0 means DefaultFirstPause. Tests shorten it.
	FirstPause time.Duration

	once sync.Once
	wake chan struct{}
}

func (d *Dispatcher) init() {
	d.once.Do(func() {
		d.wake = make(chan struct{}, 1)
		if d.Senders <= 0 {
			d.Senders = DefaultSenders
		}
		if d.Poll <= 0 {
			d.Poll = DefaultPoll
		}
		if d.Lease <= 0 {
			d.Lease = DefaultLease
		}
		if d.GiveUpAfter <= 0 {
			d.GiveUpAfter = DefaultGiveUpAfter
		}
		if d.FirstPause <= 0 {
			d.FirstPause = DefaultFirstPause
		}
		if d.Log == nil {
			d.Log = slog.Default()
		}
	})
}

// Wake makes the dispatcher look at the outbox now rather than at its next poll. It never
// blocks.
func (d *Dispatcher) Wake() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run sends notices until ctx ends, then waits for the sends under way to finish (each
// is bounded by the mail server's timeouts) and returns.
func (d *Dispatcher) Run(ctx context.Context) {
	d.init()
	// The sends under way are not cut short when ctx ends: a message half-handed to the
	// server is the one case that may be sent twice.
	sendCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, d.Senders)
	poll := time.NewTimer(0)
	defer poll.Stop()
	// maybeMore says the last look at the outbox filled every free slot, so more may be
	// due. Only then does a finished send look again at once; otherwise the next poll
	// does. Looking after every send cost a claim per email, each scanning the outbox's
	// index past the rows settled since its last vacuum: the dispatcher's largest cost
	// in PostgreSQL under a surge.
	var maybeMore atomic.Bool
	for {
		free := d.Senders - len(slots)
		if free > 0 {
			lease := uuid.NewString()
			due, err := d.Store.ClaimDueNotifications(store.AsSystem(ctx), lease, free, d.Lease)
			if err != nil && ctx.Err() == nil {
				d.Log.Warn("Could not read the outbox; trying again", "Error", err)
			}
			maybeMore.Store(len(due) == free)
			for _, n := range due {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					d.handle(sendCtx, lease, n)
					<-slots
					// A slot is free: if more were due than there were slots, take them now.
					if maybeMore.Load() {
						d.Wake()
					}
				}()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-poll.C:
			poll.Reset(d.Poll)
		}
	}
}

// handle sends one taken notice and gives the row back: settled, or due again later.
func (d *Dispatcher) handle(ctx context.Context, lease string, n store.DueNotification) {
	sys := store.AsSystem(ctx)
	log := d.Log.With("Notification", n.Key)
	release := func(next *time.Time) {
		if err := d.Store.ReleaseDispatch(sys, n.Key, lease, next); err != nil {
			// The lease runs out and the row is due again: nothing is lost.
			log.Warn("Could not release a notice", "Error", err)
		}
	}
	retryIn := func(pause time.Duration) {
		next := time.Now().Add(pause)
		release(&next)
	}
	if n.Undelivered != "" {
		// Refused on an earlier round, whose case may not have been told.
		if err := d.tellCase(sys, n.Key); err != nil {
			log.Warn("Could not tell the case of a refused notice; trying again", "Error", err)
			retryIn(d.FirstPause)
			return
		}
		release(nil)
		return
	}

	sendCtx, cancel := context.WithCancel(sys)
	defer cancel()
	lastRenewal := time.Now()
	heartbeat := func() {
		if time.Since(lastRenewal) < d.Lease/4 {
			return
		}
		lastRenewal = time.Now()
		held, err := d.Store.RenewDispatchLease(sys, n.Key, lease, d.Lease)
		if err == nil && !held {
			// Another dispatcher has the row now: stop, rather than send it twice.
			log.Warn("Lost the lease on a notice being sent; stopping this send")
			cancel()
		}
	}
	_, err := d.Sender.SendClaimed(sendCtx, n, lease, log, heartbeat, 2*d.Lease)
	switch {
	case err == nil:
		// Sent (or found sent, or with nobody to send to), recorded, and given back in
		// the same round trip.
	case activities.IsUndeliverable(err):
		log.Warn("Notice refused for good: telling its case", "Error", err)
		if err := d.tellCase(sys, n.Key); err != nil {
			log.Warn("Could not tell the case of a refused notice; trying again", "Error", err)
			retryIn(d.FirstPause)
			return
		}
		release(nil)
	case time.Since(n.CreatedAt) >= d.GiveUpAfter:
		// As the delivery workflow's 72 hours: the row keeps the last error for UST.
		log.Warn("Notice not sent in time: given up", "Error", err)
		release(nil)
	default:
		pause := Backoff(d.FirstPause, n.Attempts+1)
		log.Info("Notice not sent yet; trying again later", "Error", err, "In", pause.String())
		retryIn(pause)
	}
}

// Backoff is the pause after the given number of failed attempts: first, doubling each
// time, at most an hour.
func Backoff(first time.Duration, failures int) time.Duration {
	pause := first
	for i := 1; i < failures && pause < lastPause; i++ {
		pause *= 2
	}
	return min(pause, lastPause)
}

// tellCase records the notice as refused and signals its case, as the delivery workflow
// does. A case that is closed cannot be told; the row still says it. The row is settled
// only after the signal, so a crash in between tells the case again (at most once more
// per crash): an extra escalation event rather than a refusal nobody hears of.
func (d *Dispatcher) tellCase(ctx context.Context, key string) error {
	u, err := d.Sender.NoteRefused(ctx, key)
	if err != nil {
		return err
	}
	if u.CaseWorkflowID == "" {
		return nil
	}
	err = d.Temporal.SignalWorkflow(ctx, u.CaseWorkflowID, "", workflows.SignalNoticeUndelivered, workflows.NoticeUndelivered{
		Kind: u.Kind, Recipient: u.Recipient, Reason: activities.ReasonRefused,
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		d.Log.Warn("The case of an undelivered notice could not be told: it is closed", "Notification", key)
		return nil
	}
	return err
}
