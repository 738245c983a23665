package pecinbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Sink receives what the poller reads from the mailbox.
type Sink interface {
	// Receipt stores a recognised receipt and tells whoever waits for it. It must be
	// idempotent: the same receipt may be handed over twice (a crash between Sink and
	// the cursor save).
	Receipt(ctx context.Context, r Receipt, raw []byte) error
	// Rejected keeps a message that is not a usable receipt, with the reason, for
	// inspection. messageID is the message's own Message-ID, if it has one. For a
	// message larger than MaxMessageSize raw is only its header.
	Rejected(ctx context.Context, messageID string, raw []byte, reason string) error
}

// Cursor remembers where polling got to, so a restart does not reread everything.
type Cursor interface {
	// Load returns zeros for a mailbox never polled.
	Load(ctx context.Context, mailbox string) (uidValidity uint32, lastUID uint32, err error)
	Save(ctx context.Context, mailbox string, uidValidity uint32, lastUID uint32) error
}

// Stats counts what one poll did: messages fetched, handed over as receipts and set
// aside as rejected.
type Stats struct {
	Fetched, Receipts, Rejected int
}

// Poller reads new messages from a PEC mailbox and hands them to a Sink.
type Poller struct {
	Account Account
	Sink    Sink
	Cursor  Cursor
	// Interval is the pause between polls in Run; default one minute.
	Interval time.Duration
	// Log receives what the poller did, never message contents or addresses; nil
	// discards it.
	Log *slog.Logger
}

const (
	defaultInterval = time.Minute
	// A batch is fetched whole before it is handed over, so it is bounded in number
	// and in bytes.
	batchSize  = 50
	batchBytes = 64 << 20
	// maxHeaderKept bounds the header kept of a message too large to fetch.
	maxHeaderKept = 1 << 20
)

// PollOnce connects, hands every message newer than the cursor to the Sink in UID order
// and logs out. A message that is no usable receipt goes to Sink.Rejected and the poll
// goes on; an error from the Sink or the Cursor ends the poll before the cursor passes
// that message, so the next poll retries it. The Stats count what was done before any
// error.
func (p *Poller) PollOnce(ctx context.Context) (Stats, error) {
	if p.Sink == nil || p.Cursor == nil {
		return Stats{}, errors.New("pecinbox: poller needs a Sink and a Cursor")
	}
	acc, err := p.Account.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	uidValidity, lastUID, err := p.Cursor.Load(ctx, acc.Mailbox)
	if err != nil {
		return Stats{}, fmt.Errorf("pecinbox: loading the cursor: %w", err)
	}
	c, closeConn, err := connect(ctx, acc)
	if err != nil {
		return Stats{}, err
	}
	defer closeConn()
	s := &session{c: c, mailbox: acc.Mailbox, sink: p.Sink, cursor: p.Cursor, log: p.logger()}
	if err := s.poll(ctx, uidValidity, imap.UID(lastUID)); err != nil {
		return s.stats, withContext(ctx, err)
	}
	return s.stats, nil
}

// Run polls every Interval until ctx is done, and then returns nil. A failed poll (server
// down, database down) is logged and the next one tries again.
func (p *Poller) Run(ctx context.Context) error {
	interval := p.Interval
	if interval <= 0 {
		interval = defaultInterval
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		p.pollAndLog(ctx)
		timer.Reset(interval)
	}
}

func (p *Poller) pollAndLog(ctx context.Context) {
	stats, err := p.PollOnce(ctx)
	if ctx.Err() != nil {
		return // shutting down: the error is only the cancellation
	}
	attrs := []any{"fetched", stats.Fetched, "receipts", stats.Receipts, "rejected", stats.Rejected}
	switch {
	case err != nil:
		p.logger().Error("PEC mailbox poll failed", append(attrs, "err", err)...)
	case stats.Fetched > 0:
		p.logger().Info("PEC mailbox polled", attrs...)
	default:
		p.logger().Debug("PEC mailbox polled", attrs...)
	}
}

func (p *Poller) logger() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

// session is one poll over one logged-in connection.
type session struct {
	c       *imapclient.Client
	mailbox string
	sink    Sink
	cursor  Cursor
	log     *slog.Logger

	uidValidity uint32
	lastUID     imap.UID
	stats       Stats
}

// msgInfo is what is known of a message before its body is fetched.
type msgInfo struct {
	uid  imap.UID
	size int64
}

func (s *session) poll(ctx context.Context, cursorValidity uint32, lastUID imap.UID) error {
	sel, err := s.c.Select(s.mailbox, nil).Wait()
	if err != nil {
		return fmt.Errorf("pecinbox: selecting %s: %w", s.mailbox, err)
	}
	if sel.UIDValidity == 0 {
		// Without it a recreated mailbox could not be told from the old one.
		return fmt.Errorf("pecinbox: %s has no UIDVALIDITY", s.mailbox)
	}
	s.uidValidity, s.lastUID = sel.UIDValidity, lastUID
	if sel.UIDValidity != cursorValidity {
		// Old UIDs mean nothing in a mailbox with another UIDVALIDITY: read it all
		// again, the Sink takes receipts it already has.
		if cursorValidity != 0 {
			s.log.Warn("PEC mailbox UIDVALIDITY changed, reading it from the start", "mailbox", s.mailbox)
		}
		s.lastUID = 0
	}
	if sel.NumMessages == 0 {
		return nil
	}
	pending, err := s.newMessages()
	if err != nil {
		return err
	}
	for len(pending) > 0 {
		n := batchLen(pending)
		if err := s.batch(ctx, pending[:n]); err != nil {
			return err
		}
		pending = pending[n:]
	}
	return nil
}

// newMessages lists the messages after the cursor, in UID order.
func (s *session) newMessages() ([]msgInfo, error) {
	if s.lastUID == math.MaxUint32 {
		return nil, nil
	}
	var set imap.UIDSet
	set.AddRange(s.lastUID+1, 0) // lastUID+1:*
	bufs, err := s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("pecinbox: listing new messages: %w", err)
	}
	var msgs []msgInfo
	for _, b := range bufs {
		// "n:*" includes the last message even when its UID is below n.
		if b.UID > s.lastUID {
			msgs = append(msgs, msgInfo{uid: b.UID, size: b.RFC822Size})
		}
	}
	slices.SortFunc(msgs, func(a, b msgInfo) int { return cmp.Compare(a.uid, b.uid) })
	return msgs, nil
}

// batchLen is how many of the pending messages make the next batch: at least one.
func batchLen(pending []msgInfo) int {
	var bytes int64
	for i, m := range pending {
		if m.size <= MaxMessageSize {
			bytes += m.size
		}
		if i > 0 && (i == batchSize || bytes > batchBytes) {
			return i
		}
	}
	return len(pending)
}

// batch fetches the messages and hands them over one by one, saving the cursor after
// each; the ones handed over are then marked seen.
func (s *session) batch(ctx context.Context, msgs []msgInfo) error {
	var full []imap.UID
	for _, m := range msgs {
		if m.size <= MaxMessageSize {
			full = append(full, m.uid)
		}
	}
	bodies, err := s.fetch(full, &imap.FetchItemBodySection{Peek: true}, MaxMessageSize+1)
	if err != nil {
		return err
	}
	var done []imap.UID
	defer func() { s.markSeen(ctx, done) }()
	for _, m := range msgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw, ok := bodies[m.uid]
		switch {
		case m.size > MaxMessageSize:
			err = s.oversized(ctx, m)
		case !ok:
			s.log.Warn("PEC message gone before it could be fetched", "uid", m.uid)
			continue
		default:
			err = s.handle(ctx, m.uid, raw)
		}
		if err != nil {
			return err
		}
		if err := s.save(ctx, m.uid); err != nil {
			return err
		}
		done = append(done, m.uid)
	}
	return nil
}

// handle parses one message and hands it to the Sink.
func (s *session) handle(ctx context.Context, uid imap.UID, raw []byte) error {
	s.stats.Fetched++
	r, err := ParseReceipt(raw)
	if err != nil {
		return s.reject(ctx, uid, raw, err)
	}
	if err := s.sink.Receipt(ctx, r, raw); err != nil {
		return fmt.Errorf("pecinbox: handing over the receipt in UID %d: %w", uid, err)
	}
	s.stats.Receipts++
	s.log.Info("PEC receipt recognised", "uid", uid, "type", r.Type)
	return nil
}

// oversized sets aside a message too large to fetch, keeping its header.
func (s *session) oversized(ctx context.Context, m msgInfo) error {
	s.stats.Fetched++
	headers, err := s.fetch([]imap.UID{m.uid}, &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}, maxHeaderKept)
	if err != nil {
		return err
	}
	cause := fmt.Errorf("%w: %d bytes, the limit is %d; only the header is kept", ErrTooLarge, m.size, MaxMessageSize)
	return s.reject(ctx, m.uid, headers[m.uid], cause)
}

// reject hands a message to Sink.Rejected. The log says only what kind of rejection it
// was: the reason may quote the message.
func (s *session) reject(ctx context.Context, uid imap.UID, raw []byte, cause error) error {
	if err := s.sink.Rejected(ctx, headerMessageID(raw), raw, cause.Error()); err != nil {
		return fmt.Errorf("pecinbox: setting aside UID %d: %w", uid, err)
	}
	s.stats.Rejected++
	if errors.Is(cause, ErrNotReceipt) {
		// Certified mail from others arrives here too: that is no anomaly.
		s.log.Info("PEC message is not a receipt, set aside", "uid", uid)
	} else {
		s.log.Warn("PEC message is an unusable receipt, set aside", "uid", uid, "kind", rejectionKind(cause))
	}
	return nil
}

func rejectionKind(err error) string {
	if errors.Is(err, ErrTooLarge) {
		return "too large"
	}
	return "malformed"
}

func (s *session) save(ctx context.Context, uid imap.UID) error {
	if err := s.cursor.Save(ctx, s.mailbox, s.uidValidity, uint32(uid)); err != nil {
		return fmt.Errorf("pecinbox: saving the cursor at UID %d: %w", uid, err)
	}
	s.lastUID = uid
	return nil
}

// fetch returns one body section of each message, read up to limit bytes, by UID.
// Messages expunged meanwhile are missing from the result.
func (s *session) fetch(uids []imap.UID, section *imap.FetchItemBodySection, limit int64) (map[imap.UID][]byte, error) {
	out := make(map[imap.UID][]byte, len(uids))
	if len(uids) == 0 {
		return out, nil
	}
	cmd := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		uid, body, err := readSection(msg, limit)
		if err != nil {
			_ = cmd.Close()
			return nil, fmt.Errorf("pecinbox: fetching messages: %w", err)
		}
		if uid != 0 && body != nil {
			out[uid] = body
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("pecinbox: fetching messages: %w", err)
	}
	return out, nil
}

// readSection reads a fetched message's UID and body section, the body up to limit
// bytes: the rest is discarded by the client as the next item is read.
func readSection(msg *imapclient.FetchMessageData, limit int64) (imap.UID, []byte, error) {
	var uid imap.UID
	var body []byte
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			uid = it.UID
		case imapclient.FetchItemDataBodySection:
			if it.Literal == nil {
				continue
			}
			b, err := io.ReadAll(io.LimitReader(it.Literal, limit))
			if err != nil {
				return 0, nil, err
			}
			body = b
		}
	}
	return uid, body, nil
}

// markSeen flags handed-over messages \Seen, for people who look at the mailbox. The
// cursor, not the flag, is what polling relies on, so a failure is only logged.
func (s *session) markSeen(ctx context.Context, uids []imap.UID) {
	if len(uids) == 0 || ctx.Err() != nil {
		return
	}
	flags := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
	if err := s.c.Store(imap.UIDSetNum(uids...), flags, nil).Close(); err != nil {
		s.log.Warn("marking PEC messages seen failed", "err", err)
	}
}
