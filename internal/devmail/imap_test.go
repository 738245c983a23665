package devmail_test

import (
	"bytes"
	"net/mail"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/pec"
)

// serveIMAP starts the mailbox's IMAP server and logs in as username.
func serveIMAP(t *testing.T, srv *devmail.Server) string {
	t.Helper()
	addr, err := srv.ServeIMAP("127.0.0.1:0")
	require.NoError(t, err)
	return addr
}

func login(t *testing.T, addr, username, password string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Login(username, password).Wait())
	return c
}

// inbox selects INBOX and waits, with NOOPs, until it holds n messages; it returns them.
func inbox(t *testing.T, c *imapclient.Client, n uint32) [][]byte {
	t.Helper()
	_, err := c.Select("INBOX", nil).Wait()
	require.NoError(t, err)
	waitFor(t, "the INBOX to fill", func() bool {
		require.NoError(t, c.Noop().Wait())
		return c.Mailbox().NumMessages >= n
	})
	require.Equal(t, n, c.Mailbox().NumMessages)
	var all imap.SeqSet
	all.AddRange(1, n)
	section := &imap.FetchItemBodySection{}
	fetched, err := c.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	require.NoError(t, err)
	out := make([][]byte, len(fetched))
	for i, m := range fetched {
		out[i] = m.FindBodySection(section)
	}
	return out
}

func header(t *testing.T, raw []byte) mail.Header {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	return m.Header
}

func TestIMAPInboxHoldsTheReceipts(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, func(o *devmail.Options) {
		o.PEC.WarnAfter = 30 * time.Millisecond
		o.PEC.FailAfter = 60 * time.Millisecond
		o.IMAPUsers[school] = "scuola"
	})
	addr := serveIMAP(t, srv)

	// The sender's client is connected, with its INBOX selected, before anything is sent:
	// what arrives must show on its next NOOP.
	c := login(t, addr, sender, "segreto")
	selected, err := c.Select("INBOX", nil).Wait()
	require.NoError(t, err)
	require.Zero(t, selected.NumMessages)

	send(t, srv, sender, "notice-8@approdo.example.it", "Proposta di iscrizione: attività", school, offline)

	messages := inbox(t, c, 4)
	var types []pec.Type
	for _, raw := range messages {
		h := header(t, raw)
		typ, ref, ok := pec.ReceiptHeaders(h.Get)
		require.True(t, ok)
		require.Equal(t, "notice-8@approdo.example.it", ref)
		d := daticertOf(t, raw)
		require.Equal(t, typ, d.Type)
		require.Equal(t, "notice-8@approdo.example.it", d.MsgID)
		types = append(types, typ)
	}
	require.Equal(t, []pec.Type{pec.Accettazione, pec.AvvenutaConsegna, pec.PreavvisoErroreConsegna, pec.ErroreConsegna}, types)

	// The recipient with an account has the message itself, and no receipt.
	s := login(t, addr, school, "scuola")
	got := inbox(t, s, 1)
	require.Equal(t, "<notice-8@approdo.example.it>", header(t, got[0]).Get("Message-Id"))
}

func TestIMAPHoldsWhatCameBeforeItWasServed(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, nil)
	send(t, srv, sender, "notice-9@approdo.example.it", "Prima", school)
	addr := serveIMAP(t, srv)
	c := login(t, addr, "APPRODO@pec.dev.approdo.invalid", "segreto") // usernames in any case
	got := inbox(t, c, 2)
	require.Equal(t, "accettazione", header(t, got[0]).Get("X-Ricevuta"))
	require.Equal(t, "avvenuta-consegna", header(t, got[1]).Get("X-Ricevuta"))
}

func TestIMAPRefusesBadCredentials(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, nil)
	addr := serveIMAP(t, srv)
	for _, cred := range [][2]string{{sender, "sbagliata"}, {sender, ""}, {"nessuno@pec.dev.approdo.invalid", "segreto"}} {
		c, err := imapclient.DialInsecure(addr, nil)
		require.NoError(t, err)
		require.Error(t, c.Login(cred[0], cred[1]).Wait(), cred)
		_, err = c.Select("INBOX", nil).Wait()
		require.Error(t, err, "not logged in")
		require.NoError(t, c.Close())
	}
}

func TestIMAPCloseWithAConnectedClient(t *testing.T) {
	t.Parallel()
	srv, err := devmail.Start("127.0.0.1:0", devmail.Options{IMAPUsers: map[string]string{sender: "segreto"}})
	require.NoError(t, err)
	addr, err := srv.ServeIMAP("127.0.0.1:0")
	require.NoError(t, err)
	c := login(t, addr, sender, "segreto")
	_, err = c.Select("INBOX", nil).Wait()
	require.NoError(t, err)
	idle := login(t, addr, sender, "segreto") // and one that only logged in

	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with clients connected")
	}
	require.Error(t, c.Noop().Wait(), "the connection is gone")
	require.Error(t, idle.Noop().Wait())
	_, err = imapclient.DialInsecure(addr, nil)
	require.Error(t, err, "nothing listens any more")
	_, err = srv.ServeIMAP("127.0.0.1:0")
	require.Error(t, err, "a closed mailbox does not serve again")
}

func TestServeIMAPOnlyOnLoopbackAndOnce(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, nil)
	_, err := srv.ServeIMAP("0.0.0.0:0")
	require.Error(t, err, "passwords travel in clear: loopback only")
	serveIMAP(t, srv)
	_, err = srv.ServeIMAP("127.0.0.1:0")
	require.Error(t, err)
}

func TestInjectReachesTheInbox(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, nil)
	addr := serveIMAP(t, srv)
	c := login(t, addr, sender, "segreto")
	_, err := c.Select("INBOX", nil).Wait()
	require.NoError(t, err)

	malformed := []byte("From: posta-certificata@pec.dev.approdo.invalid\r\nTo: " + sender +
		"\r\nSubject: CONSEGNA: rotta\r\nX-Ricevuta: avvenuta-consegna\r\nX-Riferimento-Message-ID: <notice-10@approdo.example.it>\r\n" +
		"Content-Type: multipart/mixed; boundary=manca\r\n\r\nniente daticert qui\r\n")
	require.NoError(t, srv.Inject(malformed, sender))
	require.Error(t, srv.Inject(malformed, "sconosciuto@example.org"), "only to an IMAP account")

	got := inbox(t, c, 1)
	require.Equal(t, malformed, got[0])
	kept := srv.Messages()
	require.Len(t, kept, 1)
	require.Equal(t, "posta-certificata@pec.dev.approdo.invalid", kept[0].From)
	require.Equal(t, pec.AvvenutaConsegna, kept[0].Receipt)
	require.Equal(t, []string{sender}, kept[0].To)
}

// A stopped IMAP server cuts its sessions and refuses connections; receipts keep
// arriving in the INBOX meanwhile, and a client finds them once it is served again on
// the same address.
func TestIMAPStopsAndStartsAgainKeepingTheInbox(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, nil)
	addr := serveIMAP(t, srv)
	c := login(t, addr, sender, "segreto")
	_, err := c.Select("INBOX", nil).Wait()
	require.NoError(t, err)

	require.NoError(t, srv.StopIMAP())
	require.Error(t, c.Noop().Wait(), "the session was cut")
	_, err = imapclient.DialInsecure(addr, nil)
	require.Error(t, err, "nothing listens while it is stopped")
	send(t, srv, sender, "notice-11@approdo.example.it", "Durante", school)

	require.NoError(t, srv.StartIMAP())
	again := login(t, addr, sender, "segreto")
	got := inbox(t, again, 2)
	require.Equal(t, "accettazione", header(t, got[0]).Get("X-Ricevuta"))
	require.Equal(t, "avvenuta-consegna", header(t, got[1]).Get("X-Ricevuta"))
	require.NoError(t, srv.StopIMAP())
	require.NoError(t, srv.StopIMAP(), "stopping a stopped server is nothing")
	require.NoError(t, srv.Close())
	require.Error(t, srv.StartIMAP(), "a closed mailbox does not serve again")
}
