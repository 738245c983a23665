package pecinbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// The ways to protect the IMAP connection.
const (
	TLSImplicit = "implicit" // TLS from the first byte, usually port 993
	TLSStartTLS = "starttls" // plain connection upgraded by STARTTLS, usually port 143
	TLSNone     = "none"     // no encryption: only for a local development mailbox
)

const (
	defaultMailbox = "INBOX"
	defaultTimeout = 30 * time.Second
)

// Account is the PEC mailbox to poll.
type Account struct {
	Host string
	// Port defaults to 993 for implicit TLS and 143 otherwise.
	Port int
	// TLS is TLSImplicit (the default when empty), TLSStartTLS or TLSNone.
	TLS                string
	Username, Password string
	// Mailbox defaults to INBOX.
	Mailbox string
	// Timeout bounds connecting: dial, TLS handshake, greeting and login. Default 30 s.
	Timeout time.Duration
	// TLSConfig overrides the system's TLS settings, for a private CA or a test; nil is
	// the default configuration with the server name taken from Host.
	TLSConfig *tls.Config
}

// withDefaults fills in what an Account may leave out and checks the rest.
func (a Account) withDefaults() (Account, error) {
	if a.Host == "" {
		return a, errors.New("pecinbox: account has no host")
	}
	if a.TLS == "" {
		a.TLS = TLSImplicit
	}
	switch a.TLS {
	case TLSImplicit, TLSStartTLS, TLSNone:
	default:
		return a, fmt.Errorf("pecinbox: TLS mode %q is none of implicit, starttls, none", a.TLS)
	}
	if a.Port == 0 {
		a.Port = 143
		if a.TLS == TLSImplicit {
			a.Port = 993
		}
	}
	if a.Mailbox == "" {
		a.Mailbox = defaultMailbox
	}
	if a.Timeout <= 0 {
		a.Timeout = defaultTimeout
	}
	return a, nil
}

// LogValue leaves the credentials out of logs.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", a.Host), slog.Int("port", a.Port),
		slog.String("tls", a.TLS), slog.String("mailbox", a.Mailbox))
}

func (a Account) address() string {
	return net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
}

func (a Account) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if a.TLSConfig != nil {
		cfg = a.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = a.Host
	}
	return cfg
}

// connect dials the account and logs in. The imapclient.Dial* helpers take no context,
// so the socket is dialled here and closed from outside when ctx ends (for the whole
// session) or when the connect timeout expires (until login succeeds): nothing blocks a
// cancelled poll, whatever stage the conversation is at.
func connect(ctx context.Context, a Account) (*imapclient.Client, func(), error) {
	setupCtx, cancelSetup := context.WithTimeout(ctx, a.Timeout)
	defer cancelSetup()
	conn, err := (&net.Dialer{}).DialContext(setupCtx, "tcp", a.address())
	if err != nil {
		return nil, nil, fmt.Errorf("pecinbox: dialling %s: %w", a.address(), err)
	}
	stopSession := context.AfterFunc(ctx, func() { conn.Close() })
	stopSetup := context.AfterFunc(setupCtx, func() { conn.Close() })
	c, err := handshake(setupCtx, conn, a)
	if err == nil {
		err = c.Login(a.Username, a.Password).Wait()
		if err != nil {
			err = fmt.Errorf("pecinbox: login to %s: %w", a.address(), err)
		}
	}
	if !stopSetup() && err == nil {
		// The timeout fired after login succeeded but the socket is already closed.
		err = fmt.Errorf("pecinbox: connecting to %s: %w", a.address(), context.DeadlineExceeded)
	}
	if err != nil {
		stopSession()
		if c != nil {
			c.Close()
		}
		conn.Close()
		return nil, nil, withContext(setupCtx, err)
	}
	return c, func() { stopSession(); logout(c) }, nil
}

// handshake sets up TLS as the account asks and waits for the server's greeting.
func handshake(ctx context.Context, conn net.Conn, a Account) (*imapclient.Client, error) {
	opts := &imapclient.Options{}
	switch a.TLS {
	case TLSImplicit:
		cfg := a.tlsConfig()
		cfg.NextProtos = []string{"imap"}
		tlsConn := tls.Client(conn, cfg)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("pecinbox: TLS with %s: %w", a.address(), err)
		}
		conn = tlsConn
	case TLSStartTLS:
		opts.TLSConfig = a.tlsConfig()
		c, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return nil, fmt.Errorf("pecinbox: STARTTLS with %s: %w", a.address(), err)
		}
		return c, nil
	}
	c := imapclient.New(conn, opts)
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("pecinbox: greeting from %s: %w", a.address(), err)
	}
	return c, nil
}

// withContext reports why the context ended rather than the "use of closed network
// connection" that closing the socket caused.
func withContext(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
}

// logout says goodbye and closes the connection; a server that does not answer cannot
// make the poll fail any more, so errors are dropped.
func logout(c *imapclient.Client) {
	_ = c.Logout().Wait()
	_ = c.Close()
}
