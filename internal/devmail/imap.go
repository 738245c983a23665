package devmail

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// ServeIMAP serves the mailbox's IMAP accounts (Options.IMAPUsers) on addr, which must
// be a loopback address (e.g. "127.0.0.1:0"), and returns where it listens. Each account
// has an INBOX holding every message kept for it since Start, whether or not IMAP was
// being served then; a client sees new ones on its next NOOP, SELECT, SEARCH or IDLE.
// It can be called once; Close stops it and waits for its connections to end.
func (s *Server) ServeIMAP(addr string) (string, error) {
	return s.imap.serve(addr)
}

// imapService holds the IMAP accounts, in memory, and serves them once asked to.
type imapService struct {
	// users are the accounts by lower-case username; the map is not changed after
	// Start, and imapmemserver locks each mailbox itself.
	users map[string]*imapmemserver.User

	mu     sync.Mutex
	closed bool
	// down is set while the server is stopped (StopIMAP) or stopping; addr is where it
	// listened, to listen there again (StartIMAP).
	down     bool
	addr     string
	server   *imapserver.Server
	listener net.Listener
	served   chan struct{}         // closed when Serve returns
	conns    map[net.Conn]struct{} // of the live sessions
	sessions sync.WaitGroup
}

func newIMAPService(accounts map[string]string) *imapService {
	i := &imapService{users: make(map[string]*imapmemserver.User), conns: make(map[net.Conn]struct{})}
	for username, password := range accounts {
		name := strings.ToLower(username)
		u := imapmemserver.NewUser(name, password)
		_ = u.Create("INBOX", nil) // a new user has no mailbox to clash with
		i.users[name] = u
	}
	return i
}

func (i *imapService) has(username string) bool {
	return i.users[strings.ToLower(username)] != nil
}

// deliver appends m to the INBOX of the account named to, if there is one. Appending
// through imapmemserver is what tells the connected clients that it arrived.
func (i *imapService) deliver(to string, m Message) {
	u := i.users[strings.ToLower(to)]
	if u == nil {
		return
	}
	options := &imap.AppendOptions{Time: m.ReceivedAt}
	if _, err := u.Append("INBOX", bytes.NewReader(m.Raw), options); err != nil {
		// A client deleted or renamed its INBOX: mail goes on arriving, in a new one.
		_ = u.Create("INBOX", nil)
		_, _ = u.Append("INBOX", bytes.NewReader(m.Raw), options)
	}
}

func (i *imapService) serve(addr string) (string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed {
		return "", errors.New("serve IMAP: the mailbox is closed")
	}
	if i.server != nil {
		return "", errors.New("serve IMAP: already serving")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen for IMAP on %s: %w", addr, err)
	}
	if tcp, ok := l.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = l.Close()
		return "", fmt.Errorf("serve IMAP: %s is not a loopback address", addr)
	}
	i.server = imapserver.New(&imapserver.Options{
		NewSession: i.newSession,
		Caps:       imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		// Passwords travel in clear, without STARTTLS: the listener is loopback only and
		// the accounts are the dev stack's and the tests', with nothing real behind them.
		InsecureAuth: true,
	})
	i.listener = l
	i.addr = l.Addr().String()
	i.down = false
	server, served := i.server, make(chan struct{})
	i.served = served
	go func() {
		defer close(served)
		_ = server.Serve(l)
	}()
	return l.Addr().String(), nil
}

// newSession starts a connection's session, unless the service is closing.
func (i *imapService) newSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed || i.down {
		return nil, nil, &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Shutting down"}
	}
	conn := c.NetConn()
	i.conns[conn] = struct{}{}
	i.sessions.Add(1)
	return &imapSession{service: i, conn: conn}, nil, nil
}

// close stops serving for good and waits for every session to end.
func (i *imapService) close() error {
	i.mu.Lock()
	i.closed = true
	i.mu.Unlock()
	return i.stop()
}

// stop stops serving and waits for every session to end; the accounts and their
// INBOXes are kept. imapserver closes the connections it knows of but does not wait for
// them, and may not yet know of one just accepted: the service closes the connections of
// its own sessions too.
func (i *imapService) stop() error {
	i.mu.Lock()
	if i.server == nil {
		i.mu.Unlock()
		return nil
	}
	i.down = true
	server, listener, served := i.server, i.listener, i.served
	i.server, i.listener = nil, nil
	conns := make([]net.Conn, 0, len(i.conns))
	for c := range i.conns {
		conns = append(conns, c)
	}
	i.mu.Unlock()

	err := server.Close()
	_ = listener.Close() // in case Serve had not started using it yet
	<-served
	for _, c := range conns {
		_ = c.Close()
	}
	i.sessions.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// imapSession is one connection's session: imapmemserver's, logged in to one of the
// service's accounts, with a username in any case.
type imapSession struct {
	*imapmemserver.UserSession // nil until Login

	service *imapService
	conn    net.Conn
	once    sync.Once
}

func (s *imapSession) Login(username, password string) error {
	name := strings.ToLower(username)
	u := s.service.users[name]
	if u == nil {
		return imapserver.ErrAuthFailed
	}
	if err := u.Login(name, password); err != nil {
		return err
	}
	s.UserSession = imapmemserver.NewUserSession(u)
	return nil
}

// Close ends the session; imapserver calls it once the connection is done with.
func (s *imapSession) Close() error {
	err := s.UserSession.Close() // nil-safe
	s.once.Do(func() {
		s.service.mu.Lock()
		delete(s.service.conns, s.conn)
		s.service.mu.Unlock()
		s.service.sessions.Done()
	})
	return err
}
