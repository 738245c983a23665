package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/mailer"
	"github.com/approdo/approdo/internal/notices"
	"github.com/approdo/approdo/internal/pecinbox"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/internal/weblink"
)

// DeliverNotificationWorkflowName is the workflow that delivers one queued notification;
// Notify starts it, one per notification key.
const DeliverNotificationWorkflowName = "DeliverNotification"

// Delivery sends queued notifications by email.
type Delivery struct {
	Store *store.Store
	Mail  mailer.Account
	// PEC is the certified mailbox notices to comuni go from; without a Host they are
	// not sent.
	PEC mailer.Account
	// Domain is the right-hand side of the Message-IDs, e.g. approdo.example.it.
	Domain string
	// UST and Orientation are the addresses of the two organisations there is one of.
	UST, Orientation string
	// BaseURL is where the portal is reached (PUBLIC_URL), for the links in the notices
	// (package weblink).
	BaseURL string
	// ReceiptTimeout is how long a sent PEC waits for its delivery receipt before it
	// counts as not delivered; zero means DefaultReceiptTimeout.
	ReceiptTimeout time.Duration
	// AcceptanceGrace is how long an attempt cut short (the worker killed mid-send) waits
	// for the provider's acceptance receipt before the PEC is sent again; zero means
	// DefaultAcceptanceGrace.
	AcceptanceGrace time.Duration
	// Archive is the system's own mailbox of the notices it sends by ordinary email;
	// without an Address, an email notice whose attempt was cut short is simply sent again.
	Archive MailArchive
}

// MailArchive is the mailbox where a public administration keeps a copy of what it sends:
// every email notice goes there too, as a Bcc in the same SMTP transaction, so that a
// message the server took is in the archive whether or not its sender lived to record
// it. That is ordinary email's evidence, as the acceptance receipt is a PEC's: an attempt
// cut short is looked for there, by Message-ID, before it is sent again.
type MailArchive struct {
	// Address gets every email notice as a Bcc (MAIL_ARCHIVE_ADDRESS); "" means no archive.
	Address string
	// IMAP is the archive's account, searched for an attempt cut short. Its Timeout, 5 s
	// when zero, bounds connecting and, once more, the search: well under the dispatcher's
	// lease.
	IMAP pecinbox.Account
	// Grace is how long an attempt cut short that is not in the archive waits for a slow
	// relay to deliver the archive's copy before the notice is sent again; zero means
	// DefaultArchiveGrace.
	Grace time.Duration
}

// DefaultArchiveGrace is MailArchive's default Grace.
const DefaultArchiveGrace = 5 * time.Minute

// The defaults of Delivery's PEC timings.
const (
	DefaultReceiptTimeout  = 24 * time.Hour
	DefaultAcceptanceGrace = 10 * time.Minute
)

// ErrTypeUndeliverable marks a notification that cannot be sent: no address, or a
// permanent refusal. Retrying cannot help; the row says why.
const ErrTypeUndeliverable = "Undeliverable"

// MessageID is the Message-ID of a notification: derived from its key, so every attempt
// sends the same message and a receipt can be matched to it.
func MessageID(key, domain string) string {
	sum := sha256.Sum256([]byte(key))
	return "notice-" + hex.EncodeToString(sum[:12]) + "@" + domain
}

// Sent says how a message left: its Message-ID and, for a PEC, how long to wait for the
// delivery receipt. The workflow that sent it waits on that.
type Sent struct {
	// Skipped is set when there was nobody to send to (a family without email).
	Skipped        bool `json:",omitempty"`
	MessageID      string
	PEC            bool          `json:",omitempty"`
	ReceiptTimeout time.Duration `json:",omitempty"`
}

// ByPEC says whether a notice to org queued before its channel was kept on the row went
// by PEC: a comune's. Since then the row says (store.NoticeChannel decides when it is
// queued): a comune's by PEC; anybody else's by email when it has one, else by PEC. A
// PEC has legal weight and awaits its delivery receipt in a workflow of its own; email
// goes from the outbox by the worker's dispatcher (internal/dispatch).
func ByPEC(org casework.Org) bool {
	return org.Kind == casework.OrgComune
}

// notifiedByPEC says whether the queued notice goes by PEC: as its row says, or as
// ByPEC said for a row queued before the row said.
func notifiedByPEC(n store.QueuedNotification) bool {
	if n.Channel == "" {
		return ByPEC(n.Recipient)
	}
	return n.Channel == store.ChannelPEC
}

// DeliverNotification sends the notification queued under key, once: a notification
// already sent is not sent again, and every attempt uses the same Message-ID.
func (d *Delivery) DeliverNotification(ctx context.Context, key string) (Sent, error) {
	return d.deliverNotification(ctx, activityHooks(ctx), key)
}

func (d *Delivery) deliverNotification(ctx context.Context, hooks sendHooks, key string) (Sent, error) {
	n, err := d.Store.NotificationByKey(store.AsSystem(ctx), key)
	if err != nil {
		return Sent{}, err
	}
	return d.deliverQueued(ctx, hooks, n, d.lookups())
}

// deliverQueued sends the notification n, read from the outbox, with what look finds.
func (d *Delivery) deliverQueued(ctx context.Context, hooks sendHooks, n store.QueuedNotification, look lookups) (Sent, error) {
	sys := store.AsSystem(ctx)
	key := n.Key
	var err error
	out := outgoing{outbox: store.Notifications, key: key, messageID: MessageID(key, d.Domain), pec: notifiedByPEC(n), label: "notification of case " + n.CaseID}
	// A notice is archived; an account message is not: its link or password is for its
	// recipient alone.
	out.archived = !out.pec && d.Archive.Address != ""
	if out.pec && hooks.workflowID == "" {
		// Its receipts are awaited by a workflow: the dispatcher never sends a PEC.
		return Sent{}, fmt.Errorf("%s goes by PEC, from its own workflow", out.label)
	}
	if n.SentAt != nil {
		return d.sent(out), d.settle(sys, hooks, out, nil)
	}
	out.to, out.msg, err = d.compose(sys, n, look)
	if errors.Is(err, errNothingToSend) {
		return Sent{Skipped: true}, d.settle(sys, hooks, out, &store.Attempt{MessageID: out.messageID, Failure: err.Error()})
	}
	if err != nil && !errors.Is(err, errNoAddress) {
		// The database, most likely: try again. Nothing left, so a mark the dispatcher's
		// claim put is taken back: the next attempt is in no doubt.
		if c := hooks.claim; c != nil && c.marked && c.inDoubtSince == nil {
			if unmarkErr := d.Store.UnmarkDispatched(sys, key, c.lease); unmarkErr != nil {
				hooks.log.Info("Could not take back the mark of a notice not sent", "Error", unmarkErr)
			}
		}
		return Sent{}, err
	}
	if err == nil {
		hooks.log.Info("Sending notification", "CaseID", n.CaseID, "Kind", n.Kind, "Recipient", n.Recipient.String())
	}
	return d.send(ctx, hooks, out, err)
}

// Logger is what a send logs with: Temporal's activity logger, or the dispatcher's
// *slog.Logger.
type Logger interface {
	Info(msg string, keyvals ...any)
}

// sendHooks are what a send needs from whoever runs it: a Temporal activity (a PEC, an
// account message) or the worker's email dispatcher.
type sendHooks struct {
	log Logger
	// heartbeat says every few seconds that the send is alive.
	heartbeat func()
	// workflowID is the workflow that waits for a PEC's receipts; "" outside a workflow.
	workflowID string
	// recordFor is how long the record of a message that left is retried (PostgreSQL
	// restarting, say) before the send counts as failed, and may be repeated.
	recordFor time.Duration
	// claim is what the dispatcher's claim of the row read and wrote; nil for a send
	// that reads the row itself (an activity).
	claim *claim
}

// claim is a dispatched notification the email dispatcher took
// (store.ClaimDueNotifications): the claim read the row, marked it as being sent, and
// holds it under lease until the send settles it.
type claim struct {
	lease        string
	inDoubtSince *time.Time
	marked       bool
}

// settle records a, the last attempt at out, if there is one, and, for the dispatcher,
// gives its row back for good in the same round trip. An activity takes no row: it only
// records a.
func (d *Delivery) settle(ctx context.Context, hooks sendHooks, out outgoing, a *store.Attempt) error {
	switch {
	case hooks.claim == nil && a == nil:
		return nil
	case hooks.claim == nil:
		return d.Store.NoteDeliveryAttempt(ctx, out.outbox, out.key, *a)
	case a == nil:
		return d.Store.ReleaseDispatch(ctx, out.key, hooks.claim.lease, nil)
	}
	return d.Store.SettleDispatched(ctx, out.key, hooks.claim.lease, *a)
}

// activityHooks are a send's hooks in a scheduled activity or, since the delivery
// workflow's localSendChange, a local one: there too the SDK gives the workflow's ID
// (activity.GetInfo), and RecordHeartbeat does nothing (the local activity is bounded to
// a minute by its own timeouts).
func activityHooks(ctx context.Context) sendHooks {
	return sendHooks{
		log:        activity.GetLogger(ctx),
		heartbeat:  func() { activity.RecordHeartbeat(ctx) },
		workflowID: activity.GetInfo(ctx).WorkflowExecution.ID,
		// Under the activity's heartbeat timeout, which the record loop does not beat.
		recordFor: 10 * time.Second,
	}
}

// EmailSender is the part of Delivery the email dispatcher calls, outside any activity:
// a type of its own, so that the worker does not register its methods as activities.
type EmailSender struct {
	Delivery *Delivery
}

// SendClaimed sends the email notice n, which the dispatcher took under lease
// (store.ClaimDueNotifications), exactly as DeliverNotification does (same Message-ID,
// compose, attempts and records, the same rule that an undeliverable notice is not
// retried: see IsUndeliverable), from what the claim read: the row, the family's address
// and the reference data's version (cached). The claim marked the row as being sent, so
// that in the normal case the send makes one more round trip to PostgreSQL: the record,
// which settles the row. When it returns no error, the row is settled and its lease
// given back; when it fails, the row is still held under the lease for the dispatcher to
// settle or to make due again. heartbeat is called every few seconds while the server is
// being talked to; recordFor is how long the record of a message that left is retried.
func (s EmailSender) SendClaimed(ctx context.Context, n store.DueNotification, lease string, log Logger, heartbeat func(), recordFor time.Duration) (Sent, error) {
	d := s.Delivery
	look := lookups{
		family: func(context.Context, string) (store.FamilyContact, error) {
			if n.Family == nil {
				return store.FamilyContact{}, fmt.Errorf("case of notification: %w", store.ErrNotFound)
			}
			return *n.Family, nil
		},
		refdata: func(ctx context.Context) (*refdata.Dataset, error) { return d.Store.ReferenceDataAt(ctx, n.Refdata) },
	}
	hooks := sendHooks{log: log, heartbeat: heartbeat, recordFor: recordFor,
		claim: &claim{lease: lease, inDoubtSince: n.InDoubtSince, marked: n.Marked}}
	return d.deliverQueued(ctx, hooks, n.QueuedNotification, look)
}

// NoteRefused records that the notice queued under key was refused for good, and
// returns its case's workflow to tell (SignalNoticeUndelivered), as the delivery
// workflow does.
func (s EmailSender) NoteRefused(ctx context.Context, key string) (UndeliveredNotice, error) {
	return s.Delivery.NoteNotificationOutcome(ctx, key, Outcome{Reason: ReasonRefused})
}

// IsUndeliverable says whether a send failed for good: no address, or a permanent
// refusal. Retrying cannot help.
func IsUndeliverable(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == ErrTypeUndeliverable
}

// outgoing is a message about to be sent from one of the outboxes.
type outgoing struct {
	outbox    store.Outbox
	key       string
	messageID string
	pec       bool
	to        string
	msg       notices.Message
	// archived sends it to the mail archive too (a Bcc), and settles an attempt cut short
	// by looking for it there.
	archived bool
	// label names the message in errors kept by Temporal: never an address or a name.
	label string
}

// send sends a message once. composeErr is why it could not be written, if it could not.
//
// The hard case is an earlier attempt cut short, its worker killed after the server may
// have taken the message: for a PEC the provider's acceptance receipt settles it, and the
// message is sent again only if none came within AcceptanceGrace. For an email notice the
// mail archive does (MailArchive): found there, it is recorded as sent and not sent
// again; not found, it is sent again once Archive.Grace has passed. Without an archive
// an attempt cut short between the server's acceptance and the record of it is sent
// again (at most once more per crash).
func (d *Delivery) send(ctx context.Context, hooks sendHooks, out outgoing, composeErr error) (Sent, error) {
	sys := store.AsSystem(ctx)
	account := d.Mail
	if out.pec {
		account = d.PEC
		if composeErr == nil && account.Host == "" {
			composeErr = fmt.Errorf("%w: no PEC account configured", errNoAddress)
		}
	}
	if composeErr != nil {
		return Sent{}, d.failed(ctx, out, composeErr)
	}
	var inDoubtSince *time.Time
	var err error
	if hooks.claim != nil {
		inDoubtSince = hooks.claim.inDoubtSince
	} else if inDoubtSince, err = d.Store.DeliveryAttemptInDoubt(sys, out.outbox, out.key); err != nil {
		return Sent{}, err
	}
	if out.pec {
		// Before the message leaves: which workflow waits for its receipts.
		pm, err := d.Store.NotePECAttempt(sys, out.messageID, hooks.workflowID, out.to)
		if err != nil {
			return Sent{}, err
		}
		if inDoubtSince != nil {
			if pm.AcceptedAt != nil {
				hooks.log.Info("An attempt cut short had reached the provider: not sending again", "Message", out.label)
				return d.sent(out), d.Store.NoteDeliveryAttempt(sys, out.outbox, out.key, store.Attempt{MessageID: out.messageID, Address: out.to, Sent: true})
			}
			if wait := d.acceptanceGrace() - time.Since(*inDoubtSince); wait > 0 {
				return Sent{}, fmt.Errorf("%s: an attempt was cut short; waiting up to %s for the provider's acceptance receipt before sending again", out.label, wait.Round(time.Second))
			}
		}
	}
	if out.archived && inDoubtSince != nil {
		archived, err := d.settleFromArchive(ctx, hooks, out, *inDoubtSince)
		if err != nil {
			return Sent{}, err
		}
		if archived {
			hooks.log.Info("An attempt cut short is in the mail archive: not sending again", "Message", out.label)
			return d.sent(out), d.recordSent(ctx, hooks, out)
		}
	}
	// The claim marked it, unless an attempt was in doubt: then its mark is renewed, so
	// that a cut-short attempt now is given its own archive's grace.
	if hooks.claim == nil || !hooks.claim.marked || inDoubtSince != nil {
		if err := d.Store.MarkSending(sys, out.outbox, out.key); err != nil {
			return Sent{}, err
		}
	}
	bcc := ""
	if out.archived {
		bcc = d.Archive.Address
	}
	stopHeartbeat := heartbeatWhileSending(ctx, hooks.heartbeat)
	err = mailer.Send(ctx, account, mailer.Message{MessageID: out.messageID, To: out.to, Bcc: bcc, Subject: out.msg.Subject, Text: out.msg.Text, HTML: out.msg.HTML, ShortReceipt: out.pec})
	stopHeartbeat()
	if err != nil {
		return Sent{}, d.failed(ctx, out, err)
	}
	// The message has left: that is recorded even if the worker is stopping meanwhile,
	// and retried a while if the database is away (a record lost means a send repeated).
	if err := d.recordSent(ctx, hooks, out); err != nil {
		return Sent{}, err
	}
	hooks.log.Info("Message sent", "Message", out.label, "PEC", out.pec)
	return d.sent(out), nil
}

// settleFromArchive looks for an email notice whose attempt was cut short (in doubt since
// then) in the mail archive, and says whether it is there: the server took it. Not there,
// it may send again (false, nil) once Archive.Grace has passed since the attempt; before
// that, or while the archive cannot be searched, it says to try later (an error): a
// notice is never sent again on a guess.
func (d *Delivery) settleFromArchive(ctx context.Context, hooks sendHooks, out outgoing, since time.Time) (bool, error) {
	account := d.Archive.IMAP
	if account.Timeout <= 0 {
		account.Timeout = 5 * time.Second
	}
	found, err := pecinbox.HasMessage(ctx, account, out.messageID)
	// The search may have outlasted the dispatcher's lease: renewing it now stops this
	// send if another dispatcher has the row meanwhile.
	if hooks.heartbeat != nil {
		hooks.heartbeat()
	}
	if err != nil {
		// The error names the archive's server and the IMAP failure, no person.
		return false, fmt.Errorf("%s: an attempt was cut short and the mail archive could not be searched for it, so it is not sent again yet: %w", out.label, err)
	}
	if found {
		return true, nil
	}
	if wait := d.archiveGrace() - time.Since(since); wait > 0 {
		return false, fmt.Errorf("%s: an attempt was cut short and is not in the mail archive; waiting up to %s for a slow relay before sending again", out.label, wait.Round(time.Second))
	}
	return false, nil
}

func (d *Delivery) archiveGrace() time.Duration {
	if d.Archive.Grace <= 0 {
		return DefaultArchiveGrace
	}
	return d.Archive.Grace
}

// recordSent records a message that left (and settles the dispatcher's row with it),
// trying again for up to hooks.recordFor.
func (d *Delivery) recordSent(ctx context.Context, hooks sendHooks, out outgoing) error {
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(store.AsSystem(ctx)), max(hooks.recordFor, 10*time.Second))
	defer cancel()
	pause := 250 * time.Millisecond
	for {
		err := d.settle(recordCtx, hooks, out, &store.Attempt{MessageID: out.messageID, Address: out.to, Sent: true})
		if err == nil {
			return nil
		}
		select {
		case <-recordCtx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// failed records a failed attempt and tells Temporal whether to try again. A failure
// after the whole message had gone and before the server's answer (the connection
// dropped, the worker stopping) leaves the attempt in doubt: the server may have taken
// the message before the line went. One before that (the server down, a refusal) does
// not: the next attempt sends at once, with no grace to wait.
func (d *Delivery) failed(ctx context.Context, out outgoing, err error) error {
	var mErr *mailer.Error
	unsure := errors.As(err, &mErr) && mErr.Unsure
	// The reason is for UST and names no person: an address or an SMTP reply code. The
	// worker's own context may be ending: the record must still be written.
	noteCtx, cancel := context.WithTimeout(context.WithoutCancel(store.AsSystem(ctx)), 10*time.Second)
	defer cancel()
	if noteErr := d.Store.NoteDeliveryAttempt(noteCtx, out.outbox, out.key, store.Attempt{
		MessageID: out.messageID, Address: out.to, Failure: err.Error(), Unsure: unsure,
	}); noteErr != nil {
		return noteErr
	}
	if errors.Is(err, mailer.ErrTemporary) {
		// What goes back to Temporal is kept in its history: the code only, not the
		// server's reply, which may quote the recipient's address.
		code := 0
		if mErr != nil {
			code = mErr.Code
		}
		return fmt.Errorf("%s not sent yet: temporary SMTP failure (code %d)", out.label, code)
	}
	return temporal.NewNonRetryableApplicationError(out.label+" not deliverable", ErrTypeUndeliverable, nil)
}

// heartbeatWhileSending calls beat every few seconds, to say the send is alive, until the
// returned function is called.
func heartbeatWhileSending(ctx context.Context, beat func()) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(3 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				beat()
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (d *Delivery) sent(out outgoing) Sent {
	s := Sent{MessageID: out.messageID, PEC: out.pec}
	if out.pec {
		s.ReceiptTimeout = d.ReceiptTimeout
		if s.ReceiptTimeout <= 0 {
			s.ReceiptTimeout = DefaultReceiptTimeout
		}
	}
	return s
}

func (d *Delivery) acceptanceGrace() time.Duration {
	if d.AcceptanceGrace <= 0 {
		return DefaultAcceptanceGrace
	}
	return d.AcceptanceGrace
}

// Outcome is what became of a sent message: delivered, or not and why.
type Outcome struct {
	Delivered bool
	// Reason is why not: the receipt's type (errore-consegna, non-accettazione…),
	// "no_receipt" when none came in time, or "refused" for a permanent SMTP refusal.
	Reason string `json:",omitempty"`
}

// The reasons a message was not delivered, besides a receipt's type.
const (
	ReasonNoReceipt = "no_receipt" // no delivery receipt within the timeout
	ReasonRefused   = "refused"    // a permanent refusal, or no address to send to
)

// UndeliveredNotice names a notification and the workflow of its case.
type UndeliveredNotice struct {
	CaseWorkflowID string
	Kind           string
	Recipient      string
}

// NoteNotificationOutcome records a notification's fate and returns its case's workflow,
// which is told when a notice was not delivered.
func (d *Delivery) NoteNotificationOutcome(ctx context.Context, key string, o Outcome) (UndeliveredNotice, error) {
	sys := store.AsSystem(ctx)
	if err := d.Store.NoteDeliveryOutcome(sys, store.Notifications, key, o.Delivered, o.Reason); err != nil {
		return UndeliveredNotice{}, err
	}
	n, err := d.Store.NotificationByKey(sys, key)
	if err != nil {
		return UndeliveredNotice{}, err
	}
	c, err := d.Store.GetCase(sys, n.CaseID)
	if err != nil {
		return UndeliveredNotice{}, err
	}
	return UndeliveredNotice{CaseWorkflowID: c.WorkflowID, Kind: n.Kind, Recipient: n.Recipient.String()}, nil
}

// errNothingToSend marks a notification with nobody to send it to, by design: a family
// that gave no email. It is recorded and is no failure.
var errNothingToSend = errors.New("nothing to send")

// errNoAddress marks a notification that cannot be written or addressed: retrying will
// not change that.
var errNoAddress = errors.New("no address for the recipient")

// lookups are where compose finds what a notice needs besides its row: in the database
// (Delivery.lookups), or in what the dispatcher's claim read with the row.
type lookups struct {
	// family returns the guardian's address and the minor's placement of a case.
	family func(ctx context.Context, caseID string) (store.FamilyContact, error)
	// refdata returns the reference data.
	refdata func(ctx context.Context) (*refdata.Dataset, error)
}

// lookups reads what compose needs from the database.
func (d *Delivery) lookups() lookups {
	return lookups{
		family: func(ctx context.Context, caseID string) (store.FamilyContact, error) {
			c, err := d.Store.GetCase(ctx, caseID)
			if err != nil {
				return store.FamilyContact{}, err
			}
			return store.FamilyContact{GuardianEmail: c.Details.GuardianEmail, GuardianLanguage: c.Details.GuardianLanguage, Placement: c.Placement}, nil
		},
		refdata: d.Store.ReferenceData,
	}
}

// compose finds the recipient's address and writes the notice.
func (d *Delivery) compose(ctx context.Context, n store.QueuedNotification, look lookups) (string, notices.Message, error) {
	data := notices.Data{CaseID: n.CaseID, Link: d.noticeLink(n)}
	if n.Recipient.Kind == casework.OrgFamily {
		c, err := look.family(ctx, n.CaseID)
		if err != nil {
			return "", notices.Message{}, err
		}
		if c.GuardianEmail == "" {
			return "", notices.Message{}, fmt.Errorf("%w: the guardian gave no email", errNothingToSend)
		}
		if c.Placement != nil {
			data.Section, data.StartDate = c.Placement.Section, c.Placement.StartDate
			if ref, err := look.refdata(ctx); err == nil {
				if i := slices.IndexFunc(ref.Schools, func(s refdata.School) bool { return s.Code == c.Placement.School }); i >= 0 {
					data.SchoolName = ref.Schools[i].Name
				}
			}
		}
		msg, ok, err := notices.ForFamily(n.Kind, c.GuardianLanguage, data)
		if err != nil {
			return "", notices.Message{}, err
		}
		if !ok {
			return "", notices.Message{}, fmt.Errorf("%w: families get no %s notice", errNothingToSend, n.Kind)
		}
		return c.GuardianEmail, msg, nil
	}
	to, err := d.address(ctx, look, n.Recipient, notifiedByPEC(n))
	if err != nil {
		return "", notices.Message{}, err
	}
	msg, err := notices.ForStaff(n.Kind, data)
	if err != nil {
		return "", notices.Message{}, fmt.Errorf("%w: %v", errNoAddress, err)
	}
	return to, msg, nil
}

// noticeLink is the portal page a notice sends its reader to: the intervention's for the
// notices of an intervention, the case's otherwise.
func (d *Delivery) noticeLink(n store.QueuedNotification) string {
	if id, ok := interventionOfNotice(n.Key); ok {
		return weblink.Intervention(d.BaseURL, id)
	}
	return weblink.Case(d.BaseURL, n.CaseID)
}

// address is where an organisation gets its notices: a comune at its PEC and a school at
// its address in the reference data, a hub at its host school's, UST and the orientation
// service at the configured ones. pec asks for the school's PEC rather than its email
// (store.NoticeChannel chose it: the registry gives the school no email).
func (d *Delivery) address(ctx context.Context, look lookups, org casework.Org, pec bool) (string, error) {
	switch org.Kind {
	case casework.OrgUST:
		return nonEmpty(d.UST)
	case casework.OrgOrientation:
		return nonEmpty(d.Orientation)
	}
	ref, err := look.refdata(ctx)
	if err != nil {
		return "", err
	}
	if org.Kind == casework.OrgComune {
		i := slices.IndexFunc(ref.Comuni, func(c refdata.Comune) bool { return c.ISTAT == org.Code })
		if i < 0 || ref.Comuni[i].PEC == "" {
			return "", fmt.Errorf("%w: comune %s has no PEC in the reference data", errNoAddress, org.Code)
		}
		return ref.Comuni[i].PEC, nil
	}
	school := org.Code
	switch org.Kind {
	case casework.OrgCTI:
		hub, err := ref.HubByCode(refdata.HubCTI, org.Code)
		if err != nil {
			return "", fmt.Errorf("%w: %v", errNoAddress, err)
		}
		school = hub.HostSchool
	case casework.OrgPoloStart:
		hub, err := ref.HubByCode(refdata.HubPoloStart, org.Code)
		if err != nil {
			return "", fmt.Errorf("%w: %v", errNoAddress, err)
		}
		school = hub.HostSchool
	case casework.OrgSchool:
	default:
		return "", fmt.Errorf("%w: %s", errNoAddress, org)
	}
	i := slices.IndexFunc(ref.Schools, func(s refdata.School) bool { return s.Code == school })
	switch {
	case i < 0:
		return "", fmt.Errorf("%w: school %s is not in the reference data", errNoAddress, school)
	case pec && ref.Schools[i].PEC == "":
		return "", fmt.Errorf("%w: school %s has no PEC", errNoAddress, school)
	case pec:
		return ref.Schools[i].PEC, nil
	case ref.Schools[i].Email == "":
		return "", fmt.Errorf("%w: school %s has no email", errNoAddress, school)
	}
	return ref.Schools[i].Email, nil
}

func nonEmpty(addr string) (string, error) {
	if addr == "" {
		return "", errNoAddress
	}
	return addr, nil
}

// DeliverAccountMessageWorkflowName is the workflow that delivers one account message.
const DeliverAccountMessageWorkflowName = "DeliverAccountMessage"

// DeliverAccountMessage sends the account message queued under key, once: credentials to
// an organisation go by PEC to the address it logs in with (or to its mailbox, for a
// school sharing its PEC: the message names the school and its login); invitations and
// reset links by email.
func (d *Delivery) DeliverAccountMessage(ctx context.Context, key string) (Sent, error) {
	sys := store.AsSystem(ctx)
	m, err := d.Store.AccountMessageByKey(sys, key)
	if err != nil {
		return Sent{}, err
	}
	out := outgoing{
		outbox: store.AccountMessages, key: key, messageID: MessageID("account/"+key, d.Domain),
		pec: m.Channel == "pec", to: m.To, label: "account message " + m.Kind,
	}
	if m.SentAt != nil {
		return d.sent(out), nil
	}
	data := notices.AccountData{Organisation: m.OrganisationName, Login: m.UserEmail, Secret: m.Secret, Link: weblink.Login(d.BaseURL)}
	switch m.Kind {
	case store.AccountInvitation:
		data.Link = weblink.Invitation(d.BaseURL, m.Secret)
	case store.AccountReset:
		data.Link = weblink.Reset(d.BaseURL, m.Secret)
	}
	out.msg, err = notices.ForAccount(m.Kind, data)
	if err != nil {
		err = fmt.Errorf("%w: %v", errNoAddress, err)
	}
	return d.send(ctx, activityHooks(ctx), out, err)
}

// NoteAccountMessageOutcome records what became of an account message.
func (d *Delivery) NoteAccountMessageOutcome(ctx context.Context, key string, o Outcome) error {
	return d.Store.NoteDeliveryOutcome(store.AsSystem(ctx), store.AccountMessages, key, o.Delivered, o.Reason)
}
