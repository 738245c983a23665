package pecinbox

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pec"
)

const (
	testUser     = "approdo@pec.ust-milano.example.it"
	testPassword = "s3greta-di-prova"
)

// testServer is a real IMAP server on a loopback port, with one user and an INBOX.
type testServer struct {
	user *imapmemserver.User
	port int
}

type serverOptions struct {
	tls string // as in Account.TLS
	// uidValidityBump makes INBOX's UIDVALIDITY differ from another server's.
	uidValidityBump int
	cert            *tls.Config
}

func newTestServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(testUser, testPassword)
	for i := range opts.uidValidityBump {
		// Each mailbox created takes the next UIDVALIDITY.
		require.NoError(t, user.Create("Archivio"+string(rune('A'+i)), nil))
	}
	require.NoError(t, user.Create("INBOX", nil))
	mem.AddUser(user)

	srvOpts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: opts.tls == TLSNone,
		Logger:       log.New(newTestWriter(t), "imapserver: ", 0),
	}
	if opts.tls == TLSStartTLS {
		srvOpts.TLSConfig = opts.cert
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if opts.tls == TLSImplicit {
		ln = tls.NewListener(ln, opts.cert)
	}
	srv := imapserver.New(srvOpts)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &testServer{user: user, port: ln.Addr().(*net.TCPAddr).Port}
}

// appendMsg stores a message as a provider would, with CRLF line endings, and returns
// the bytes stored.
func (s *testServer) appendMsg(t *testing.T, raw []byte) []byte {
	t.Helper()
	raw = crlf(raw)
	_, err := s.user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{})
	require.NoError(t, err)
	return raw
}

func (s *testServer) unseen(t *testing.T) uint32 {
	t.Helper()
	st, err := s.user.Status("INBOX", &imap.StatusOptions{NumUnseen: true})
	require.NoError(t, err)
	return *st.NumUnseen
}

func (s *testServer) account() Account {
	return Account{Host: "127.0.0.1", Port: s.port, TLS: TLSNone, Username: testUser, Password: testPassword, Timeout: 5 * time.Second}
}

// testWriter logs the IMAP server's lines to the test. Closing the server does not wait
// for its connections' goroutines, and a line logged after the test has ended panics;
// so the writer stops logging when the test's cleanup runs.
type testWriter struct {
	t      *testing.T
	mu     sync.Mutex
	closed bool
}

func newTestWriter(t *testing.T) *testWriter {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.closed = true
	})
	return w
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// memSink keeps in memory what the poller hands over.
type memSink struct {
	mu       sync.Mutex
	receipts []handed
	rejected []handed
	// failOn makes Receipt fail for receipts of this type, as a database down would.
	failOn pec.Type
}

type handed struct {
	r         Receipt
	messageID string
	raw       []byte
	reason    string
}

func (s *memSink) Receipt(_ context.Context, r Receipt, raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Type == s.failOn {
		return errors.New("database unavailable")
	}
	s.receipts = append(s.receipts, handed{r: r, raw: raw})
	return nil
}

func (s *memSink) Rejected(_ context.Context, messageID string, raw []byte, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, handed{messageID: messageID, raw: raw, reason: reason})
	return nil
}

func (s *memSink) setFailOn(t pec.Type) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failOn = t
}

func (s *memSink) types() []pec.Type {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ts []pec.Type
	for _, h := range s.receipts {
		ts = append(ts, h.r.Type)
	}
	return ts
}

func (s *memSink) counts() (receipts, rejected int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.receipts), len(s.rejected)
}

// memCursor keeps the cursor in memory.
type memCursor struct {
	mu    sync.Mutex
	pos   map[string][2]uint32
	saves int
}

func (c *memCursor) Load(_ context.Context, mailbox string) (uint32, uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pos[mailbox]
	return p[0], p[1], nil
}

func (c *memCursor) Save(_ context.Context, mailbox string, uidValidity, lastUID uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pos == nil {
		c.pos = map[string][2]uint32{}
	}
	c.pos[mailbox] = [2]uint32{uidValidity, lastUID}
	c.saves++
	return nil
}

func (c *memCursor) at(mailbox string) [2]uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pos[mailbox]
}

// syncBuffer collects log output from the poller's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newPoller(acc Account) (*Poller, *memSink, *memCursor, *syncBuffer) {
	sink, cursor, logs := &memSink{}, &memCursor{}, &syncBuffer{}
	p := &Poller{
		Account:  acc,
		Sink:     sink,
		Cursor:   cursor,
		Interval: 20 * time.Millisecond,
		Log:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return p, sink, cursor, logs
}

func TestPollOnceHandsOverReceiptsAndRejects(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	files := []struct {
		name string
		typ  pec.Type // empty for a message that is rejected
	}{
		{"accettazione.eml", pec.Accettazione},
		{"malformed-bad-xml.eml", ""},
		{"non-accettazione.eml", pec.NonAccettazione},
		{"posta-certificata.eml", ""},
		{"presa-in-carico.eml", pec.PresaInCarico},
		{"avvenuta-consegna.eml", pec.AvvenutaConsegna},
		{"malformed-type-mismatch.eml", ""},
		{"errore-consegna.eml", pec.ErroreConsegna},
		{"preavviso-errore-consegna.eml", pec.PreavvisoErroreConsegna},
		{"rilevazione-virus.eml", pec.RilevazioneVirus},
		{"avvenuta-consegna-signed.eml", pec.AvvenutaConsegna},
		{"avvenuta-consegna-latin1.eml", pec.AvvenutaConsegna},
		{"plain.eml", ""},
	}
	var wantTypes []pec.Type
	var wantRaw, wantRejected [][]byte
	for _, f := range files {
		raw := srv.appendMsg(t, fixture(t, f.name))
		if f.typ == "" {
			wantRejected = append(wantRejected, raw)
		} else {
			wantTypes = append(wantTypes, f.typ)
			wantRaw = append(wantRaw, raw)
		}
	}
	p, sink, cursor, logs := newPoller(srv.account())

	stats, err := p.PollOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, Stats{Fetched: len(files), Receipts: len(wantTypes), Rejected: len(wantRejected)}, stats)
	require.Equal(t, wantTypes, sink.types(), "in UID order")
	for i, h := range sink.receipts {
		require.Equal(t, wantRaw[i], h.raw, "the raw bytes as stored")
		require.Equal(t, noticeMsgID, h.r.MsgID)
	}
	require.Len(t, sink.rejected, len(wantRejected))
	for i, h := range sink.rejected {
		require.Equal(t, wantRejected[i], h.raw)
	}
	require.Contains(t, sink.rejected[0].reason, "daticert.xml")
	require.Equal(t, "ricevuta-bad-xml.20261123101530@pec.example.it", sink.rejected[0].messageID)
	require.Contains(t, sink.rejected[1].reason, ErrNotReceipt.Error())
	require.Equal(t, "opec21.20261123110200.555.1.1@pec.example.it", sink.rejected[1].messageID)
	require.Equal(t, [2]uint32{1, uint32(len(files))}, cursor.at("INBOX"))
	require.Zero(t, srv.unseen(t), "handled messages are marked seen")
	requireNoPersonalData(t, logs.String())

	// Nothing new: "UID 14:*" still answers with message 13, which must not come back.
	stats, err = p.PollOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, Stats{}, stats)
	require.Len(t, sink.receipts, len(wantTypes))

	// A receipt arriving later is picked up, and only it.
	later := srv.appendMsg(t, fixture(t, "avvenuta-consegna.eml"))
	stats, err = p.PollOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, Stats{Fetched: 1, Receipts: 1}, stats)
	require.Equal(t, later, sink.receipts[len(sink.receipts)-1].raw)
	require.Equal(t, [2]uint32{1, uint32(len(files) + 1)}, cursor.at("INBOX"))
}

func TestPollOnceSinkErrorResumesFromThatMessage(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	for _, f := range []string{"accettazione.eml", "avvenuta-consegna.eml", "errore-consegna.eml", "plain.eml"} {
		srv.appendMsg(t, fixture(t, f))
	}
	p, sink, cursor, _ := newPoller(srv.account())
	sink.setFailOn(pec.AvvenutaConsegna)

	stats, err := p.PollOnce(t.Context())
	require.ErrorContains(t, err, "database unavailable")
	require.Equal(t, Stats{Fetched: 2, Receipts: 1}, stats)
	require.Equal(t, [2]uint32{1, 1}, cursor.at("INBOX"), "the cursor stops before the failed message")
	require.Equal(t, uint32(3), srv.unseen(t), "only what was handed over is marked seen")

	sink.setFailOn("")
	stats, err = p.PollOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, Stats{Fetched: 3, Receipts: 2, Rejected: 1}, stats)
	require.Equal(t, []pec.Type{pec.Accettazione, pec.AvvenutaConsegna, pec.ErroreConsegna}, sink.types())
	require.Equal(t, [2]uint32{1, 4}, cursor.at("INBOX"))
}

func TestPollOnceRestartsWhenUIDValidityChanges(t *testing.T) {
	t.Parallel()
	old := newTestServer(t, serverOptions{tls: TLSNone})
	for range 3 {
		old.appendMsg(t, fixture(t, "accettazione.eml"))
	}
	p, sink, cursor, logs := newPoller(old.account())
	_, err := p.PollOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, [2]uint32{1, 3}, cursor.at("INBOX"))

	// The provider moved the mailbox: UIDs start again from 1, below the cursor.
	moved := newTestServer(t, serverOptions{tls: TLSNone, uidValidityBump: 1})
	moved.appendMsg(t, fixture(t, "avvenuta-consegna.eml"))
	moved.appendMsg(t, fixture(t, "errore-consegna.eml"))
	p.Account = moved.account()
	stats, err := p.PollOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, Stats{Fetched: 2, Receipts: 2}, stats)
	require.Equal(t, pec.Type("avvenuta-consegna"), sink.types()[3])
	require.Equal(t, [2]uint32{2, 2}, cursor.at("INBOX"))
	require.Contains(t, logs.String(), "UIDVALIDITY changed")
}

func TestPollOnceOversizedMessageKeepsOnlyItsHeader(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	big := append(crlf(fixture(t, "plain.eml")), bytes.Repeat([]byte("0123456789abcdef\r\n"), MaxMessageSize/18+1)...)
	_, err := srv.user.Append("INBOX", bytes.NewReader(big), &imap.AppendOptions{})
	require.NoError(t, err)
	srv.appendMsg(t, fixture(t, "accettazione.eml"))
	p, sink, _, _ := newPoller(srv.account())

	stats, err := p.PollOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, Stats{Fetched: 2, Receipts: 1, Rejected: 1}, stats)
	require.Len(t, sink.rejected, 1)
	require.Equal(t, "offerte-1@example.com", sink.rejected[0].messageID)
	require.Contains(t, sink.rejected[0].reason, ErrTooLarge.Error())
	require.Less(t, len(sink.rejected[0].raw), 1024, "only the header")
	require.True(t, bytes.HasPrefix(big, sink.rejected[0].raw))
}

func TestPollOnceManyMessagesInBatches(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	n := 2*batchSize + 7
	for range n {
		srv.appendMsg(t, fixture(t, "avvenuta-consegna.eml"))
	}
	p, _, cursor, _ := newPoller(srv.account())
	stats, err := p.PollOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, Stats{Fetched: n, Receipts: n}, stats)
	require.Equal(t, [2]uint32{1, uint32(n)}, cursor.at("INBOX"))
	require.Zero(t, srv.unseen(t))
}

func TestPollOnceWrongPassword(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	srv.appendMsg(t, fixture(t, "accettazione.eml"))
	acc := srv.account()
	acc.Password = "sbagliata"
	p, sink, cursor, _ := newPoller(acc)
	_, err := p.PollOnce(t.Context())
	require.ErrorContains(t, err, "login")
	require.NotContains(t, err.Error(), "sbagliata")
	require.Empty(t, sink.receipts)
	require.Zero(t, cursor.saves)
}

func TestAccountLogValueHidesCredentials(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("polling", "account", Account{Host: "imap.pec.example.it", Username: testUser, Password: testPassword})
	require.Contains(t, logs.String(), "account.host=imap.pec.example.it")
	require.NotContains(t, logs.String(), testPassword)
	require.NotContains(t, logs.String(), testUser)
}

func TestPollOnceMissingMailbox(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	acc := srv.account()
	acc.Mailbox = "Ricevute"
	p, _, _, _ := newPoller(acc)
	_, err := p.PollOnce(t.Context())
	require.ErrorContains(t, err, "selecting Ricevute")
}

func TestPollOnceRefusesBadAccount(t *testing.T) {
	t.Parallel()
	p, _, _, _ := newPoller(Account{Host: "127.0.0.1", TLS: "ssl"})
	_, err := p.PollOnce(t.Context())
	require.ErrorContains(t, err, `TLS mode "ssl"`)
	p, _, _, _ = newPoller(Account{})
	_, err = p.PollOnce(t.Context())
	require.ErrorContains(t, err, "no host")
}

func TestPollOnceOverTLS(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := selfSigned(t)
	for _, mode := range []string{TLSImplicit, TLSStartTLS} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			// The server refuses LOGIN in clear, so a poll that works went over TLS.
			srv := newTestServer(t, serverOptions{tls: mode, cert: serverTLS})
			srv.appendMsg(t, fixture(t, "avvenuta-consegna-signed.eml"))
			acc := srv.account()
			acc.TLS, acc.TLSConfig = mode, clientTLS
			p, sink, _, _ := newPoller(acc)
			stats, err := p.PollOnce(t.Context())
			require.NoError(t, err)
			require.Equal(t, Stats{Fetched: 1, Receipts: 1}, stats)
			require.Equal(t, []pec.Type{pec.AvvenutaConsegna}, sink.types())

			// Without the CA the server is not trusted.
			acc.TLSConfig = nil
			p.Account = acc
			_, err = p.PollOnce(t.Context())
			require.ErrorContains(t, err, "certificate")
		})
	}
}

func TestRunKeepsGoingAfterErrors(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	acc := srv.account()
	acc.Password = "sbagliata"
	p, _, _, logs := newPoller(acc)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	require.Eventually(t, func() bool { return strings.Count(logs.String(), "poll failed") >= 3 }, 5*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	require.NotContains(t, logs.String(), "sbagliata")
}

func TestRunPicksUpReceipts(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, serverOptions{tls: TLSNone})
	srv.appendMsg(t, fixture(t, "accettazione.eml"))
	p, sink, _, logs := newPoller(srv.account())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	require.Eventually(t, func() bool { n, _ := sink.counts(); return n == 1 }, 5*time.Second, 10*time.Millisecond)
	srv.appendMsg(t, fixture(t, "avvenuta-consegna.eml"))
	srv.appendMsg(t, fixture(t, "plain.eml"))
	require.Eventually(t, func() bool { n, m := sink.counts(); return n == 2 && m == 1 }, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, []pec.Type{pec.Accettazione, pec.AvvenutaConsegna}, sink.types())
	requireNoPersonalData(t, logs.String())
}

// A server that accepts the connection and then says nothing must not hold Run past
// cancellation, however long the connect timeout.
func TestRunReturnsPromptlyOnCancel(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	p, _, _, _ := newPoller(Account{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: TLSNone, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	select {
	case conn := <-accepted:
		t.Cleanup(func() { conn.Close() })
	case <-time.After(5 * time.Second):
		t.Fatal("the poller did not connect")
	}
	time.Sleep(50 * time.Millisecond) // let it wait for the greeting
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
		require.Less(t, time.Since(start), time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestPollOnceConnectTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	p, _, _, _ := newPoller(Account{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: TLSImplicit, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err = p.PollOnce(t.Context())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second)
}

// requireNoPersonalData checks logs for addresses and message contents: everything in
// the fixtures that could identify someone has an @ or the subject.
func requireNoPersonalData(t *testing.T, logs string) {
	t.Helper()
	require.NotEmpty(t, logs)
	require.NotContains(t, logs, "@")
	require.NotContains(t, logs, "Iscrizione")
	require.NotContains(t, logs, testPassword)
}

// selfSigned makes a certificate for 127.0.0.1 and a client configuration trusting it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pec test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{RootCAs: pool}
	return server, client
}
