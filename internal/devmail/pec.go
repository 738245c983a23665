package devmail

import (
	"crypto/rand"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/pec"
)

// PECProvider makes the mailbox behave as the PEC provider of some senders, and as the
// provider of all their recipients: each message a sender submits gets an acceptance
// receipt at once, then per recipient a delivery receipt at once, or, for an Unreachable
// recipient, the notice of missed delivery after WarnAfter (preavviso-errore-consegna)
// and the final one after FailAfter (errore-consegna). Receipts are kept by the mailbox
// like any message, addressed to the sender, so they show on the page and in the
// sender's IMAP INBOX.
//
// The receipts are not signed: real ones are S/MIME signed by the provider, and the dev
// provider has no certificate worth trusting. Every recipient is treated as a certified
// mailbox ("certificato").
type PECProvider struct {
	// Senders are the addresses whose messages are certified, in any case, e.g.
	// "approdo@pec.dev.approdo.invalid". Anybody else's message is ordinary email.
	Senders []string
	// Provider is the gestore-emittente written in the receipts; "" means
	// "Approdo dev PEC".
	Provider string
	// Domain is the provider's own domain, of the receipts' sender
	// (posta-certificata@Domain) and of the identificativi; "" means
	// "pec.dev.approdo.invalid".
	Domain string
	// Unreachable recipients never receive: their senders get the notices of missed
	// delivery instead of a delivery receipt.
	Unreachable []string
	// WarnAfter and FailAfter are when those notices come, after submission; 0 means
	// the law's 12 and 24 hours. The dev stack shortens them (e.g. 12 s and 24 s) and tests
	// to milliseconds.
	WarnAfter, FailAfter time.Duration
}

// The provider's defaults, those of the dev stack.
const (
	DefaultPECProvider = "Approdo dev PEC"
	DefaultPECDomain   = "pec.dev.approdo.invalid"
)

// pecProvider is a PECProvider at work in a Server.
type pecProvider struct {
	server  *Server
	opts    PECProvider // defaults filled in
	address string      // posta-certificata@Domain, the receipts' From

	mu      sync.Mutex
	closed  bool
	timers  map[*time.Timer]struct{}
	pending sync.WaitGroup // timers that will run or are running
}

func newPECProvider(s *Server, opts PECProvider) *pecProvider {
	if opts.Provider == "" {
		opts.Provider = DefaultPECProvider
	}
	if opts.Domain == "" {
		opts.Domain = DefaultPECDomain
	}
	if opts.WarnAfter == 0 {
		opts.WarnAfter = 12 * time.Hour
	}
	if opts.FailAfter == 0 {
		opts.FailAfter = 24 * time.Hour
	}
	return &pecProvider{
		server:  s,
		opts:    opts,
		address: "posta-certificata@" + opts.Domain,
		timers:  make(map[*time.Timer]struct{}),
	}
}

// certifies reports whether a message from this envelope sender is certified mail.
func (p *pecProvider) certifies(from string) bool {
	return containsFold(p.opts.Senders, from)
}

func (p *pecProvider) unreachable(to string) bool {
	return containsFold(p.opts.Unreachable, to)
}

func containsFold(addresses []string, address string) bool {
	return slices.ContainsFunc(addresses, func(a string) bool { return strings.EqualFold(a, address) })
}

// accept certifies m: it keeps it, with the receipts due at once, and schedules the
// notices of missed delivery. The immediate receipts are written before anything is kept,
// so that a receipt that cannot be written refuses the message rather than leaving it
// half certified.
func (p *pecProvider) accept(m Message) error {
	base := p.daticert(m, newIdentificativo(p.opts.Domain))
	if m.MessageID == "" {
		return p.refuse(m, base)
	}
	var receipts []Message
	var reachable []string
	accepted, err := p.receipt(m, base, pec.Accettazione, "", "", "")
	if err != nil {
		return refusal(err)
	}
	receipts = append(receipts, accepted)
	for _, to := range m.To {
		if p.unreachable(to) {
			continue
		}
		reachable = append(reachable, to)
		delivered, err := p.receipt(m, base, pec.AvvenutaConsegna, "", to, "")
		if err != nil {
			return refusal(err)
		}
		receipts = append(receipts, delivered)
	}

	p.server.keep(m, reachable)
	for _, r := range receipts {
		p.server.keep(r, r.To)
	}
	for _, to := range m.To {
		if p.unreachable(to) {
			p.notifyMissedDelivery(m, base, to)
		}
	}
	return nil
}

// refuse answers a message the provider cannot certify, one without a Message-ID: the
// sender could never match its receipts. It gets a non-accettazione referring to the
// provider's identificativo, and goes nowhere.
func (p *pecProvider) refuse(m Message, base pec.Daticert) error {
	base.MsgID = base.ID
	refused, err := p.receipt(m, base, pec.NonAccettazione, "altro", "", "Messaggio privo dell'intestazione Message-ID")
	if err != nil {
		return refusal(err)
	}
	p.server.keep(m, nil)
	p.server.keep(refused, refused.To)
	return nil
}

// refusal is the SMTP answer to a message whose receipt could not be written; it cannot
// happen for a message that went through SMTP, whose addresses the server has parsed.
func refusal(err error) error {
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "cannot certify the message: " + err.Error()}
}

// notifyMissedDelivery schedules the warning and the final notice for a recipient that
// never receives.
func (p *pecProvider) notifyMissedDelivery(m Message, base pec.Daticert, to string) {
	p.after(p.opts.WarnAfter, func() {
		p.late(m, base, pec.PreavvisoErroreConsegna, to,
			"4.4.7 - Casella di destinazione non raggiungibile: consegna non avvenuta entro il primo termine")
	})
	p.after(p.opts.FailAfter, func() {
		p.late(m, base, pec.ErroreConsegna, to,
			"5.4.7 - Casella di destinazione non raggiungibile: consegna non avvenuta entro il tempo massimo")
	})
}

// late keeps a notice of missed delivery, dated when it is issued.
func (p *pecProvider) late(m Message, base pec.Daticert, t pec.Type, to, detail string) {
	r, err := p.receipt(m, base, t, "no-dest", to, detail)
	if err != nil {
		return // the acceptance receipt, from the same data, was written: this cannot fail
	}
	p.server.keep(r, r.To)
}

// after runs f after d, unless the provider is closed first.
func (p *pecProvider) after(d time.Duration, f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.pending.Add(1)
	var t *time.Timer
	// The lock is held until t is recorded, and the timer's function takes it first: it
	// always sees its own t.
	t = time.AfterFunc(d, func() {
		defer p.pending.Done()
		p.mu.Lock()
		closed := p.closed
		delete(p.timers, t)
		p.mu.Unlock()
		if !closed {
			f()
		}
	})
	p.timers[t] = struct{}{}
}

// close stops the pending notices and waits for any being issued.
func (p *pecProvider) close() {
	p.mu.Lock()
	p.closed = true
	for t := range p.timers {
		if t.Stop() {
			p.pending.Done() // its function will never run
		}
	}
	clear(p.timers)
	p.mu.Unlock()
	p.pending.Wait()
}

// daticert is what every receipt about m certifies.
func (p *pecProvider) daticert(m Message, id string) pec.Daticert {
	d := pec.Daticert{
		Sender:   m.From,
		Subject:  m.Subject,
		Provider: p.opts.Provider,
		ID:       id,
		MsgID:    m.MessageID,
	}
	for _, to := range m.To {
		d.Recipients = append(d.Recipients, pec.Recipient{Address: to, Kind: "certificato"})
	}
	return d
}

// receipt writes a receipt about m, issued now, as a message the mailbox keeps for the
// sender.
func (p *pecProvider) receipt(m Message, base pec.Daticert, t pec.Type, errore, delivery, detail string) (Message, error) {
	d := base
	d.Type, d.Error, d.Delivery, d.ErrorDetail = t, errore, delivery, detail
	d.Time = time.Now().In(calendar.Rome).Truncate(time.Second)
	raw, err := pec.ComposeReceipt(d, p.address, m.From)
	if err != nil {
		return Message{}, err
	}
	return newMessage(p.address, []string{m.From}, raw), nil
}

// newIdentificativo is the provider's unique id of a message, shared by its receipts.
func newIdentificativo(domain string) string {
	return "opec-dev." + strings.ToLower(rand.Text()) + "@" + domain
}
