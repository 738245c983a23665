package devmail_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/smtp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/pec"
)

const (
	sender   = "approdo@pec.dev.approdo.invalid"
	provider = "posta-certificata@pec.dev.approdo.invalid"
	school   = "protocollo@pec.scuola.invalid"
	office   = "segreteria@pec.comune.invalid"
	offline  = "spenta@pec.irraggiungibile.invalid"
)

// startPEC starts a mailbox that is the PEC provider of sender, with an IMAP account for
// sender; change adjusts the options.
func startPEC(t *testing.T, change func(*devmail.Options)) *devmail.Server {
	t.Helper()
	opts := devmail.Options{
		PEC:       &devmail.PECProvider{Senders: []string{sender}, Unreachable: []string{offline}},
		IMAPUsers: map[string]string{sender: "segreto"},
	}
	if change != nil {
		change(&opts)
	}
	srv, err := devmail.Start("127.0.0.1:0", opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

func message(from, msgID, subject string, to ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\n", from, strings.Join(to, ", "), mime.QEncoding.Encode("UTF-8", subject))
	if msgID != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", msgID)
	}
	b.WriteString("Content-Type: text/plain; charset=UTF-8\r\n\r\nCorpo della comunicazione.\r\n")
	return []byte(b.String())
}

func send(t *testing.T, srv *devmail.Server, from, msgID, subject string, to ...string) {
	t.Helper()
	require.NoError(t, smtp.SendMail(srv.Addr(), nil, from, to, message(from, msgID, subject, to...)))
}

// waitFor polls until cond holds, for a few seconds at most.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func receipts(srv *devmail.Server) []devmail.Message {
	var out []devmail.Message
	for _, m := range srv.Messages() {
		if m.Receipt != "" {
			out = append(out, m)
		}
	}
	return out
}

// daticertOf finds and parses the daticert.xml attached to a receipt, with the
// standard library only.
func daticertOf(t *testing.T, raw []byte) pec.Daticert {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := parts.NextPart()
		require.NoError(t, err, "no daticert.xml")
		if part.FileName() != "daticert.xml" {
			continue
		}
		body, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, part))
		require.NoError(t, err)
		d, err := pec.ParseDaticert(body)
		require.NoError(t, err)
		return d
	}
}

func TestPECAcceptsAndDelivers(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, nil)
	send(t, srv, sender, "notice-1.1@approdo.example.it", "Proposta di iscrizione: attività", school, office)

	messages := srv.Messages()
	require.Len(t, messages, 4, "the message, its acceptance and two deliveries")
	require.Equal(t, "notice-1.1@approdo.example.it", messages[0].MessageID)
	require.Empty(t, messages[0].Receipt)

	var ids []string
	deliveries := map[string]bool{}
	for i, m := range messages[1:] {
		require.Equal(t, provider, m.From)
		require.Equal(t, []string{sender}, m.To, "receipts go to the sender")
		d := daticertOf(t, m.Raw)
		require.Equal(t, m.Receipt, d.Type)
		require.Equal(t, "notice-1.1@approdo.example.it", d.MsgID)
		require.Equal(t, sender, d.Sender)
		require.Equal(t, "Proposta di iscrizione: attività", d.Subject)
		require.Equal(t, devmail.DefaultPECProvider, d.Provider)
		require.Equal(t, []pec.Recipient{{Address: school, Kind: "certificato"}, {Address: office, Kind: "certificato"}}, d.Recipients)
		require.Equal(t, "nessuno", d.Error)
		require.WithinDuration(t, time.Now(), d.Time, time.Minute)
		ids = append(ids, d.ID)
		if i == 0 {
			require.Equal(t, pec.Accettazione, d.Type, "acceptance comes first")
			require.Equal(t, "ACCETTAZIONE: Proposta di iscrizione: attività", m.Subject)
			continue
		}
		require.Equal(t, pec.AvvenutaConsegna, d.Type)
		require.Equal(t, "CONSEGNA: Proposta di iscrizione: attività", m.Subject)
		deliveries[d.Delivery] = true
	}
	require.Equal(t, map[string]bool{school: true, office: true}, deliveries, "one delivery receipt per recipient")
	require.Regexp(t, `^opec-dev\.[a-z2-7]+@pec\.dev\.approdo\.invalid$`, ids[0])
	require.Equal(t, []string{ids[0], ids[0], ids[0]}, ids, "one identificativo per message")

	send(t, srv, sender, "notice-1.2@approdo.example.it", "Altra", school)
	again := daticertOf(t, srv.Messages()[5].Raw)
	require.NotEqual(t, ids[0], again.ID, "a new message, a new identificativo")
}

func TestPECReceiptsAreDatedInRome(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, nil)
	send(t, srv, sender, "notice-2@approdo.example.it", "Orario", school)
	d := daticertOf(t, receipts(srv)[0].Raw)
	rome, err := time.LoadLocation("Europe/Rome")
	require.NoError(t, err)
	_, want := d.Time.In(rome).Zone()
	_, got := d.Time.Zone()
	require.Equal(t, want, got)
}

func TestPECSendersMatchInAnyCase(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, func(o *devmail.Options) {
		o.PEC.Senders = []string{"Approdo@PEC.dev.approdo.invalid"}
		o.PEC.Provider = "Gestore di prova"
		o.PEC.Domain = "pec.prova.invalid"
	})
	send(t, srv, sender, "notice-3@approdo.example.it", "Maiuscole", school)
	got := receipts(srv)
	require.Len(t, got, 2)
	require.Equal(t, "posta-certificata@pec.prova.invalid", got[0].From)
	d := daticertOf(t, got[0].Raw)
	require.Equal(t, "Gestore di prova", d.Provider)
	require.True(t, strings.HasSuffix(d.ID, "@pec.prova.invalid"), d.ID)
}

func TestOrdinaryMailGetsNoReceipts(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, nil)
	send(t, srv, "qualcuno@example.org", "plain-1@example.org", "Posta ordinaria", school, offline)
	require.Len(t, srv.Messages(), 1)
	require.Empty(t, receipts(srv))
}

func TestPECUnreachableRecipientGetsTheNotices(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, func(o *devmail.Options) {
		o.PEC.WarnAfter = 20 * time.Millisecond
		o.PEC.FailAfter = 60 * time.Millisecond
	})
	send(t, srv, sender, "notice-4@approdo.example.it", "Irraggiungibile", school, offline)
	waitFor(t, "the final notice", func() bool { return len(receipts(srv)) == 4 })

	got := receipts(srv)
	types := []pec.Type{got[0].Receipt, got[1].Receipt, got[2].Receipt, got[3].Receipt}
	require.Equal(t, []pec.Type{pec.Accettazione, pec.AvvenutaConsegna, pec.PreavvisoErroreConsegna, pec.ErroreConsegna}, types)
	require.Equal(t, school, daticertOf(t, got[1].Raw).Delivery, "only the reachable recipient is delivered")
	require.Equal(t, "AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: Irraggiungibile", got[2].Subject)
	require.Equal(t, "AVVISO DI MANCATA CONSEGNA: Irraggiungibile", got[3].Subject)
	for _, notice := range got[2:] {
		d := daticertOf(t, notice.Raw)
		require.Equal(t, offline, d.Delivery)
		require.Equal(t, "no-dest", d.Error)
		require.Contains(t, d.ErrorDetail, "Casella di destinazione non raggiungibile")
		require.Equal(t, "notice-4@approdo.example.it", d.MsgID)
		require.Equal(t, []string{sender}, notice.To)
	}
}

func TestCloseStopsThePendingNotices(t *testing.T) {
	t.Parallel()
	var closed atomic.Bool
	var late atomic.Int32
	srv, err := devmail.Start("127.0.0.1:0", devmail.Options{
		PEC: &devmail.PECProvider{Senders: []string{sender}, Unreachable: []string{offline}, WarnAfter: 40 * time.Millisecond, FailAfter: 80 * time.Millisecond},
		OnMessage: func(devmail.Message) {
			if closed.Load() {
				late.Add(1)
			}
		},
	})
	require.NoError(t, err)
	send(t, srv, sender, "notice-5@approdo.example.it", "Chiusura", offline)
	require.Len(t, receipts(srv), 1, "acceptance only, the notices are pending")
	require.NoError(t, srv.Close())
	closed.Store(true)
	time.Sleep(150 * time.Millisecond)
	require.Len(t, receipts(srv), 1)
	require.Zero(t, late.Load(), "nothing is kept after Close")
}

func TestPECRefusesAMessageWithoutMessageID(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, nil)
	send(t, srv, sender, "", "Senza identificativo", school)
	got := receipts(srv)
	require.Len(t, got, 1)
	require.Equal(t, pec.NonAccettazione, got[0].Receipt)
	require.Equal(t, "AVVISO DI NON ACCETTAZIONE: Senza identificativo", got[0].Subject)
	d := daticertOf(t, got[0].Raw)
	require.Equal(t, "altro", d.Error)
	require.Equal(t, d.ID, d.MsgID, "there is no Message-ID to refer to")
	require.Len(t, srv.Messages(), 2, "the message stays on the page")
}

func TestPECTempFailureIsCertifiedOnce(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, func(o *devmail.Options) { o.TempFailures = 1 })
	msg := message(sender, "notice-6@approdo.example.it", "Riprova", school)
	err := smtp.SendMail(srv.Addr(), nil, sender, []string{school}, msg)
	require.ErrorContains(t, err, "451")
	require.Empty(t, srv.Messages())
	require.NoError(t, smtp.SendMail(srv.Addr(), nil, sender, []string{school}, msg))
	require.Len(t, receipts(srv), 2)
}

func TestHoldKeepsAMessageWhoseClientVanished(t *testing.T) {
	t.Parallel()
	held := make(chan devmail.Message, 1)
	release := make(chan struct{})
	srv := startPEC(t, func(o *devmail.Options) {
		o.Hold = func(m devmail.Message) {
			held <- m
			<-release
		}
	})

	conn, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	client, err := smtp.NewClient(conn, "127.0.0.1")
	require.NoError(t, err)
	require.NoError(t, client.Mail(sender))
	require.NoError(t, client.Rcpt(school))
	w, err := client.Data()
	require.NoError(t, err)
	_, err = w.Write(message(sender, "notice-7@approdo.example.it", "Interrotto", school))
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Close() }) // waits for the 250 that Hold stalls

	m := <-held
	require.Equal(t, "notice-7@approdo.example.it", m.MessageID)
	require.Empty(t, srv.Messages(), "not kept while held")
	require.NoError(t, conn.Close()) // the client dies before the reply
	wg.Wait()
	close(release)

	waitFor(t, "the held message", func() bool { return len(srv.Messages()) == 3 })
	require.Equal(t, "notice-7@approdo.example.it", srv.Messages()[0].MessageID)
	require.Equal(t, []pec.Type{pec.Accettazione, pec.AvvenutaConsegna}, []pec.Type{receipts(srv)[0].Receipt, receipts(srv)[1].Receipt})
}

func TestPageShowsTheReceiptType(t *testing.T) {
	t.Parallel()
	srv := startPEC(t, func(o *devmail.Options) {
		o.PEC.WarnAfter = 10 * time.Millisecond
		o.PEC.FailAfter = 20 * time.Millisecond
	})
	send(t, srv, sender, "notice-11@approdo.example.it", "Pagina", school, offline)
	waitFor(t, "the notices", func() bool { return len(receipts(srv)) == 4 })
	page := httptest.NewServer(srv.Handler())
	defer page.Close()
	res, err := http.Get(page.URL + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Contains(t, string(body), `<span class="ricevuta">accettazione</span>`)
	require.Contains(t, string(body), `<span class="ricevuta">avvenuta-consegna</span>`)
	require.Contains(t, string(body), `<span class="ricevuta ko">errore-consegna</span>`, "failures stand out")
	require.Contains(t, string(body), "CONSEGNA: Pagina")
}
