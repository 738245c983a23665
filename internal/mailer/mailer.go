// Package mailer sends Approdo's messages over authenticated SMTP with go-mail: ordinary
// email, and PEC through the certified mailbox's provider, which is SMTP too.
//
// Every message carries the Message-ID its caller chose, so that a retry is recognisable
// and a PEC receipt can be matched to it.
package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS is how a connection to the server is protected.
type TLS string

// The TLS modes: implicit TLS (port 465), STARTTLS (port 587), or none, which only the
// loopback dev mailbox accepts.
const (
	TLSImplicit TLS = "implicit"
	TLSStart    TLS = "starttls"
	TLSNone     TLS = "none"
)

// Account is an SMTP account to send from.
type Account struct {
	Host     string
	Port     int
	TLS      TLS
	Username string
	Password string
	// From is the sender address, e.g. approdo@pec.ust-milano.example.it.
	From    string
	Timeout time.Duration
	// TLSConfig, when set, is the TLS configuration (a private CA, say); the server name
	// defaults to Host.
	TLSConfig *tls.Config
}

// Message is one message to send.
type Message struct {
	// MessageID is without angle brackets, e.g. "notice-7f3a.3@approdo.example.it".
	MessageID string
	To        string
	// Bcc, when set, gets the message too, in the same SMTP transaction, and is named in
	// no header: the recipient does not see it. It is the archive mailbox, which keeps a
	// copy of every notice (README "No duplicates").
	Bcc     string
	Subject string
	Text    string
	HTML    string
	// ShortReceipt asks a PEC provider for the short delivery receipt (X-TipoRicevuta:
	// breve), which carries hashes of the message's parts instead of the message itself:
	// a credentials notice must not come back whole in a receipt Approdo keeps.
	ShortReceipt bool
}

// ErrTemporary marks a failure worth retrying: the server answered 4xx or could not be
// reached. Any other failure is permanent (5xx): retrying would get the same answer.
var ErrTemporary = errors.New("temporary failure")

// Error is a failure to send, with the server's reply code when it gave one.
type Error struct {
	Code      int
	Temporary bool
	// Unsure marks a failure after the whole message had gone, before the server's
	// answer (the connection dropped, the context ended): the server may have taken it.
	// Every other failure, a connection refused say, means it was not sent.
	Unsure bool
	Err    error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Code != 0 {
		return fmt.Sprintf("send mail: %s failure (SMTP %d): %v", kind, e.Code, e.Err)
	}
	return fmt.Sprintf("send mail: %s failure: %v", kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTemporary) true for a temporary failure.
func (e *Error) Is(target error) bool { return target == ErrTemporary && e.Temporary }

// Send delivers m from account.
func Send(ctx context.Context, account Account, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(account.From); err != nil {
		return &Error{Err: fmt.Errorf("sender address: %w", err)}
	}
	if err := msg.To(m.To); err != nil {
		return &Error{Err: fmt.Errorf("recipient address: %w", err)}
	}
	if m.Bcc != "" {
		if err := msg.Bcc(m.Bcc); err != nil {
			return &Error{Err: fmt.Errorf("archive address: %w", err)}
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDate()
	if m.ShortReceipt {
		msg.SetGenHeader("X-TipoRicevuta", "breve")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}

	opts := []gomail.Option{gomail.WithPort(account.Port), gomail.WithTimeout(orDefault(account.Timeout, 30*time.Second))}
	switch account.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSStart:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		if account.TLSConfig != nil {
			config := account.TLSConfig.Clone()
			if config.ServerName == "" {
				config.ServerName = account.Host
			}
			opts = append(opts, gomail.WithTLSConfig(config))
		}
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return &Error{Err: fmt.Errorf("unknown TLS mode %q", account.TLS)}
	}
	if account.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(account.Username), gomail.WithPassword(account.Password))
		if account.TLS == TLSNone {
			// PLAIN over an unencrypted connection is refused by go-mail unless asked for:
			// only the loopback dev mailbox runs without TLS.
			opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlainNoEnc))
		}
	}
	var abandon []func() bool
	defer func() {
		for _, stop := range abandon {
			stop()
		}
	}()
	opts = append(opts, gomail.WithDialContextFunc(func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		conn, stop, err := dial(dialCtx, ctx, account, network, addr)
		if stop != nil {
			abandon = append(abandon, stop)
		}
		return conn, err
	}))
	client, err := gomail.NewClient(account.Host, opts...)
	if err != nil {
		return &Error{Err: err}
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return classify(err)
	}
	err = client.SendWithSMTPClient(conn, msg)
	// The server has the message once it accepted the DATA: the RSET and QUIT that follow
	// change nothing, and QUIT is left to finish after Send returns, so that the caller
	// records the send one round trip sooner (a crash before that record sends the message
	// again). A failed RSET or QUIT is no failure of the send.
	go func() { _ = client.CloseWithSMTPClient(conn) }()
	if msg.IsDelivered() {
		return nil
	}
	if err != nil {
		err = classify(err)
		if m.Bcc != "" && refused(err, m.Bcc) {
			// The archive's own server refusing it is a configuration to fix, not a
			// recipient to give up on: the notice waits for it, as for a server down.
			var mErr *Error
			errors.As(err, &mErr)
			return &Error{Code: mErr.Code, Temporary: true, Err: fmt.Errorf("the archive address was refused: %w", err)}
		}
		return err
	}
	return nil
}

// refused reports whether a failed send names addr among the recipients the server
// refused (go-mail lists them in its error, and has no accessor for them).
func refused(err error, addr string) bool {
	var sendErr *gomail.SendError
	if !errors.As(err, &sendErr) || sendErr.Reason != gomail.ErrSMTPRcptTo {
		return false
	}
	_, list, ok := strings.Cut(sendErr.Error(), "affected recipient(s): ")
	if !ok {
		return false
	}
	list, _, _ = strings.Cut(list, ", affected message ID")
	for _, r := range strings.Split(list, ", ") {
		if strings.EqualFold(strings.Trim(strings.TrimSpace(r), "<>"), addr) {
			return true
		}
	}
	return false
}

// dial connects to the server, with TLS from the first byte for implicit TLS. The
// connection is closed as soon as ctx ends, whatever the dialogue is doing: a worker
// that stops abandons its send at once, and the send is left in doubt (no reply) rather
// than finished behind its back. stop releases that watch.
func dial(dialCtx, ctx context.Context, account Account, network, addr string) (net.Conn, func() bool, error) {
	var d net.Dialer
	raw, err := d.DialContext(dialCtx, network, addr)
	if err != nil {
		return nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	if account.TLS != TLSImplicit {
		return raw, stop, nil
	}
	config := account.TLSConfig.Clone()
	if config == nil {
		config = &tls.Config{}
	}
	if config.ServerName == "" {
		config.ServerName = account.Host
	}
	config.MinVersion = max(config.MinVersion, tls.VersionTLS12)
	conn := tls.Client(raw, config)
	if err := conn.HandshakeContext(dialCtx); err != nil {
		raw.Close()
		return nil, stop, err
	}
	return conn, stop, nil
}

// classify turns go-mail's error into an Error that says whether to retry.
func classify(err error) error {
	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) {
		code := sendErr.ErrorCode()
		// No reply code means the server never answered (the connection dropped, the
		// context ended): it may answer next time.
		temporary := code == 0 || sendErr.IsTemp() || (code >= 400 && code < 500)
		if code >= 500 {
			temporary = false
		}
		// Only after the whole message, its final dot included, can the server take it:
		// a line that fails then, before the answer, leaves that unknown. A failure at
		// any earlier step (MAIL, RCPT, DATA, writing the message) means it was not taken.
		unsure := code == 0 && (sendErr.Reason == gomail.ErrSMTPDataClose || sendErr.Reason == gomail.ErrAmbiguous)
		return &Error{Code: code, Temporary: temporary, Unsure: unsure, Err: err}
	}
	// A refusal during the dialogue (e.g. authentication) carries the server's reply.
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return &Error{Code: reply.Code, Temporary: reply.Code >= 400 && reply.Code < 500, Err: err}
	}
	// No reply at all (connection refused, timeout): the server may be back later.
	return &Error{Temporary: true, Err: err}
}

func orDefault(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}
