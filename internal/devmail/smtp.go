// Package devmail is the dev stack's and the tests' mailbox: a real SMTP server on
// loopback that accepts every message and keeps it, so that Approdo's mail can be sent
// for real and looked at, without reaching anybody.
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
)

// Message is a message the mailbox received.
type Message struct {
	From       string
	To         []string
	MessageID  string
	Subject    string
	Raw        []byte
	ReceivedAt time.Time
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
	// OnMessage, when set, is told of every message accepted (the dev stack prints a line).
	OnMessage func(Message)
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
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves until Close.
func Start(addr string, opts Options) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for SMTP on %s: %w", addr, err)
	}
	s := &Server{listener: l, opts: opts, tempFailures: opts.TempFailures, done: make(chan struct{})}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = opts.MaxMessageBytes
	if srv.MaxMessageBytes == 0 {
		srv.MaxMessageBytes = 10 << 20
	}
	srv.MaxRecipients = 50
	// Loopback only, and nothing real behind it: plain-text auth is fine here.
	srv.AllowInsecureAuth = true
	s.smtp = srv
	go func() {
		defer close(s.done)
		_ = srv.Serve(l)
	}()
	return s, nil
}

// Addr is where the mailbox listens, host:port.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Close stops the mailbox and waits until it has.
func (s *Server) Close() error {
	err := s.smtp.Close()
	<-s.done
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tempFailures > 0 {
		s.tempFailures--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m := Message{From: ss.from, To: append([]string(nil), ss.to...), Raw: raw, ReceivedAt: time.Now()}
	if parsed, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.MessageID = strings.Trim(parsed.Header.Get("Message-Id"), "<>")
		m.Subject = parsed.Header.Get("Subject")
		if decoded, err := new(mime.WordDecoder).DecodeHeader(m.Subject); err == nil {
			m.Subject = decoded // "=?UTF-8?q?…?=" becomes readable
		}
	}
	s.messages = append(s.messages, m)
	if s.opts.OnMessage != nil {
		s.opts.OnMessage(m)
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
