// Package devmail is the dev stack's and the tests' mailbox: a real SMTP server on
// loopback that accepts every message and keeps it, so that Approdo's mail can be sent
// for real and looked at, without reaching anybody.
//
// It can also play a PEC provider (Options.PEC), answering certified senders with
// acceptance and delivery receipts, and serve the messages it keeps over IMAP
// (ServeIMAP), so that a poller of a PEC inbox can be exercised end to end.
package devmail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/approdo/approdo/internal/pec"
)

// Message is a message the mailbox received.
type Message struct {
	From       string
	To         []string
	MessageID  string
	Subject    string
	Raw        []byte
	ReceivedAt time.Time
	// Receipt is the X-Ricevuta of a PEC receipt, empty for any other message.
	Receipt pec.Type
}

// Options shape the mailbox's behaviour for tests.
type Options struct {
	// Username and Password are the credentials it requires (PLAIN auth); empty accepts
	// any.
	Username, Password string
	// TempFailures is how many messages it answers with 451 before accepting, as a
	// provider under load does.
	TempFailures int
	// Unknown addresses are refused with 550, as a provider refuses a mailbox that does
	// not exist.
	Unknown []string
	// MaxMessageBytes bounds a message; 0 means 10 MiB.
	MaxMessageBytes int64
	// OnMessage, when set, is told of every message kept, receipts included (the dev
	// stack prints a line). It is called without the mailbox's lock held.
	OnMessage func(Message)
	// Hold, when set, is called with every message that will be accepted, after it has
	// been read and before it is kept and the 250 reply sent: tests block in it to stall
	// the reply, e.g. to kill a client in the middle of sending. A message whose client
	// went away while Hold blocked is still kept, with its receipts: the server had taken
	// it, as a real one would have, and only the client does not know.
	Hold func(Message)
	// PEC, when set, makes the mailbox the PEC provider of PEC.Senders.
	PEC *PECProvider
	// IMAPUsers are the IMAP accounts, username to password. A message whose envelope
	// recipient equals a username (in any case) goes to that account's INBOX as well; make
	// a PEC sender's username its address to read its receipts. See ServeIMAP.
	IMAPUsers map[string]string
}

// Server is a running mailbox.
type Server struct {
	smtp     *smtp.Server
	listener net.Listener
	opts     Options

	mu           sync.Mutex
	messages     []Message
	tempFailures int
	done         chan struct{}

	pec  *pecProvider // nil unless Options.PEC
	imap *imapService
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves until Close.
func Start(addr string, opts Options) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for SMTP on %s: %w", addr, err)
	}
	s := &Server{listener: l, opts: opts, tempFailures: opts.TempFailures, done: make(chan struct{})}
	s.imap = newIMAPService(opts.IMAPUsers)
	if opts.PEC != nil {
		s.pec = newPECProvider(s, *opts.PEC)
	}
	srv := s.newSMTPServer()
	s.smtp = srv
	done := s.done
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	return s, nil
}

// newSMTPServer is the SMTP side of the mailbox, its backend s.
func (s *Server) newSMTPServer() *smtp.Server {
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = s.opts.MaxMessageBytes
	if srv.MaxMessageBytes == 0 {
		srv.MaxMessageBytes = 10 << 20
	}
	srv.MaxRecipients = 50
	// Loopback only, and nothing real behind it: plain-text auth is fine here.
	srv.AllowInsecureAuth = true
	return srv
}

// Addr is where the mailbox listens, host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listener.Addr().String()
}

// Close stops the mailbox, its IMAP server and the PEC provider's pending notices, and
// waits until they have. Nothing is added to the mailbox after Close returns, except a
// message a Hold was still blocking, with its immediate receipts (its later notices are
// not scheduled).
func (s *Server) Close() error {
	s.mu.Lock()
	srv, l, done := s.smtp, s.listener, s.done
	s.mu.Unlock()
	err := srv.Close()
	// go-smtp closes only the listeners Serve has registered: if Close comes before the
	// serving goroutine got that far, the listener must be closed here or Serve never
	// returns.
	_ = l.Close()
	<-done
	if errors.Is(err, smtp.ErrServerClosed) {
		err = nil
	}
	if s.pec != nil {
		s.pec.close()
	}
	return errors.Join(err, s.imap.close())
}

// Messages returns what the mailbox holds, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{server: s}, nil
}

type session struct {
	server *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		o := ss.server.opts
		if o.Username != "" && (username != o.Username || password != o.Password) {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.server.opts.Username != "" && !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	for _, unknown := range ss.server.opts.Unknown {
		if strings.EqualFold(to, unknown) {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.server
	if s.takeTempFailure() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m := newMessage(ss.from, ss.to, raw)
	if s.opts.Hold != nil {
		s.opts.Hold(m)
	}
	if s.pec != nil && s.pec.certifies(m.From) {
		return s.pec.accept(m)
	}
	s.keep(m, m.To)
	return nil
}

// takeTempFailure reports whether this message is to be answered 451.
func (s *Server) takeTempFailure() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tempFailures > 0 {
		s.tempFailures--
		return true
	}
	return false
}

// newMessage reads what the page shows of a message; one that does not parse is kept
// all the same, without them.
func newMessage(from string, to []string, raw []byte) Message {
	m := Message{From: from, To: append([]string(nil), to...), Raw: raw, ReceivedAt: time.Now()}
	if parsed, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.MessageID = strings.Trim(parsed.Header.Get("Message-Id"), "<>")
		m.Subject = parsed.Header.Get("Subject")
		if decoded, err := new(mime.WordDecoder).DecodeHeader(m.Subject); err == nil {
			m.Subject = decoded // "=?UTF-8?q?…?=" becomes readable
		}
		if t, _, ok := pec.ReceiptHeaders(parsed.Header.Get); ok {
			m.Receipt = t
		}
	}
	return m
}

// keep adds m to the mailbox, which the page lists, and to the INBOX of every IMAP
// account among deliverTo.
func (s *Server) keep(m Message, deliverTo []string) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	for _, to := range deliverTo {
		s.imap.deliver(to, m)
	}
	if s.opts.OnMessage != nil {
		s.opts.OnMessage(m)
	}
}

// Inject drops raw into the mailbox as if it had arrived for to, and into to's IMAP
// INBOX, without SMTP and without PEC receipts: tests use it to hand a poller what no
// provider of ours would send, e.g. a malformed receipt. to must be an IMAP user.
func (s *Server) Inject(raw []byte, to string) error {
	if !s.imap.has(to) {
		return fmt.Errorf("inject: %q is not an IMAP user of the mailbox", to)
	}
	from := ""
	if parsed, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		if a, err := mail.ParseAddress(parsed.Header.Get("From")); err == nil {
			from = a.Address
		}
	}
	s.keep(newMessage(from, []string{to}, raw), []string{to})
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
