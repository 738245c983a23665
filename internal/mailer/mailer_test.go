package mailer_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/mailer"
)

func mailbox(t *testing.T, opts devmail.Options) (*devmail.Server, mailer.Account) {
	t.Helper()
	opts.Username, opts.Password = "approdo", "segreta"
	srv, err := devmail.Start("127.0.0.1:0", opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	host, port, err := net.SplitHostPort(srv.Addr())
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return srv, mailer.Account{Host: host, Port: p, TLS: mailer.TLSNone, Username: "approdo", Password: "segreta",
		From: "approdo@pec.ust-milano.example.it", Timeout: 5 * time.Second}
}

func notice(id string) mailer.Message {
	return mailer.Message{
		MessageID: id, To: "protocollo@pec.comune.sesto.example.it",
		Subject: "Nuovo caso di iscrizione assegnato", Text: "È stato assegnato un nuovo caso.", HTML: "<p>È stato assegnato un nuovo caso.</p>",
	}
}

func TestSendDeliversWithTheChosenMessageID(t *testing.T) {
	t.Parallel()
	srv, account := mailbox(t, devmail.Options{})
	require.NoError(t, mailer.Send(context.Background(), account, notice("notice-1.1@approdo.example.it")))
	got := srv.Messages()
	require.Len(t, got, 1)
	require.Equal(t, "notice-1.1@approdo.example.it", got[0].MessageID)
	require.Equal(t, []string{"protocollo@pec.comune.sesto.example.it"}, got[0].To)
	require.Equal(t, "approdo@pec.ust-milano.example.it", got[0].From)
	require.Contains(t, got[0].Subject, "Nuovo caso")
	require.Contains(t, string(got[0].Raw), "text/html", "text and HTML alternatives")
}

func TestTemporaryRefusalIsRetryable(t *testing.T) {
	t.Parallel()
	srv, account := mailbox(t, devmail.Options{TempFailures: 1})
	err := mailer.Send(context.Background(), account, notice("notice-2.1@approdo.example.it"))
	require.True(t, errors.Is(err, mailer.ErrTemporary), "451 is worth retrying: %v", err)
	var mErr *mailer.Error
	require.True(t, errors.As(err, &mErr))
	require.Equal(t, 451, mErr.Code)
	require.Empty(t, srv.Messages())

	require.NoError(t, mailer.Send(context.Background(), account, notice("notice-2.1@approdo.example.it")))
	require.Len(t, srv.Messages(), 1, "the retry delivers it once")
}

func TestPermanentRefusalsAreNotRetryable(t *testing.T) {
	t.Parallel()
	_, account := mailbox(t, devmail.Options{Unknown: []string{"nessuno@pec.example.it"}})
	m := notice("notice-3.1@approdo.example.it")
	m.To = "nessuno@pec.example.it"
	err := mailer.Send(context.Background(), account, m)
	require.Error(t, err)
	require.False(t, errors.Is(err, mailer.ErrTemporary), "550 will not change: %v", err)

	account.Password = "sbagliata"
	err = mailer.Send(context.Background(), account, notice("notice-3.2@approdo.example.it"))
	require.Error(t, err)
	require.False(t, errors.Is(err, mailer.ErrTemporary), "wrong credentials will not fix themselves: %v", err)
}

func TestUnreachableServerIsTemporary(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	err = mailer.Send(context.Background(), mailer.Account{Host: "127.0.0.1", Port: port, TLS: mailer.TLSNone, From: "a@example.org", Timeout: 2 * time.Second}, notice("x@y"))
	require.True(t, errors.Is(err, mailer.ErrTemporary), "%v", err)
	require.False(t, strings.Contains(err.Error(), "panic"))
}

// A server that vanishes mid-dialogue gave no answer: the failure is temporary and
// carries no reply code, which is how the sender knows the message may have gone.
func TestConnectionDroppedMidDialogueIsTemporaryWithoutCode(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		_, _ = conn.Write([]byte("220 dev ESMTP\r\n"))
		_, _ = conn.Read(buf) // EHLO
		_, _ = conn.Write([]byte("250 dev\r\n"))
		_, _ = conn.Read(buf) // MAIL FROM: the line goes dead here
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	p, _ := strconv.Atoi(port)
	err = mailer.Send(context.Background(), mailer.Account{Host: "127.0.0.1", Port: p, TLS: mailer.TLSNone, From: "a@approdo.test", Timeout: 5 * time.Second},
		mailer.Message{MessageID: "x@approdo.test", To: "b@example.org", Subject: "s", Text: "t"})
	require.Error(t, err)
	require.ErrorIs(t, err, mailer.ErrTemporary)
	var mErr *mailer.Error
	require.ErrorAs(t, err, &mErr)
	require.Zero(t, mErr.Code)
}

// A send whose context ends while the server has not answered yet is abandoned at once:
// the caller learns that the outcome is unknown (temporary, no reply code).
func TestSendIsAbandonedWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	reached := make(chan struct{})
	release := make(chan struct{})
	_, account := mailbox(t, devmail.Options{Hold: func(devmail.Message) {
		close(reached)
		<-release
	}})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mailer.Send(ctx, account, notice("held@approdo.test")) }()
	<-reached
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, mailer.ErrTemporary)
		var mErr *mailer.Error
		require.ErrorAs(t, err, &mErr)
		require.Zero(t, mErr.Code, "no answer from the server")
	case <-time.After(5 * time.Second):
		t.Fatal("the send went on after its context ended")
	}
}

func TestShortReceiptIsAskedOnlyWhenWanted(t *testing.T) {
	t.Parallel()
	srv, account := mailbox(t, devmail.Options{})
	m := notice("credentials-1.1@approdo.example.it")
	m.ShortReceipt = true
	require.NoError(t, mailer.Send(context.Background(), account, m))
	require.NoError(t, mailer.Send(context.Background(), account, notice("notice-2.1@approdo.example.it")))
	got := srv.Messages()
	require.Len(t, got, 2)
	require.Contains(t, string(got[0].Raw), "X-TipoRicevuta: breve\r\n")
	require.NotContains(t, string(got[1].Raw), "X-TipoRicevuta")
}

// The archive's copy travels in the same transaction, and its address is in no header:
// the recipient cannot see it.
func TestTheArchiveGetsACopyTheRecipientDoesNotSee(t *testing.T) {
	t.Parallel()
	srv, account := mailbox(t, devmail.Options{})
	m := notice("notice-5.1@approdo.example.it")
	m.Bcc = "archivio@ust-milano.example.it"
	require.NoError(t, mailer.Send(context.Background(), account, m))
	got := srv.Messages()
	require.Len(t, got, 1, "one transaction")
	require.Equal(t, []string{"protocollo@pec.comune.sesto.example.it", "archivio@ust-milano.example.it"}, got[0].To, "both are envelope recipients")
	header, _, _ := strings.Cut(string(got[0].Raw), "\r\n\r\n")
	require.Contains(t, header, "protocollo@pec.comune.sesto.example.it")
	require.NotContains(t, strings.ToLower(string(got[0].Raw)), "archivio", "no header, and nothing else, names the archive")
	require.NotContains(t, strings.ToLower(header), "bcc:")
}

// A refused archive address is the operator's to fix: the notice waits (a temporary
// failure) rather than being given up as undeliverable to its recipient.
func TestARefusedArchiveAddressIsATemporaryFailure(t *testing.T) {
	t.Parallel()
	srv, account := mailbox(t, devmail.Options{Unknown: []string{"archivio@ust-milano.example.it"}})
	m := notice("notice-6.1@approdo.example.it")
	m.Bcc = "archivio@ust-milano.example.it"
	err := mailer.Send(context.Background(), account, m)
	require.True(t, errors.Is(err, mailer.ErrTemporary), "%v", err)
	var mErr *mailer.Error
	require.True(t, errors.As(err, &mErr))
	require.Equal(t, 550, mErr.Code)
	require.Empty(t, srv.Messages())

	// The recipient refused, the archive not: as before, for good.
	srv2, account2 := mailbox(t, devmail.Options{Unknown: []string{"nessuno@pec.example.it"}})
	m.To = "nessuno@pec.example.it"
	err = mailer.Send(context.Background(), account2, m)
	require.Error(t, err)
	require.False(t, errors.Is(err, mailer.ErrTemporary), "%v", err)
	require.Empty(t, srv2.Messages())
}

// Only a failure after the whole message had gone leaves the send in doubt.
func TestOnlyALineLostAfterTheWholeMessageIsUnsure(t *testing.T) {
	t.Parallel()
	// The server is gone: nothing was sent.
	srv, account := mailbox(t, devmail.Options{})
	require.NoError(t, srv.StopSMTP())
	err := mailer.Send(context.Background(), account, notice("notice-7.1@approdo.example.it"))
	var mErr *mailer.Error
	require.True(t, errors.As(err, &mErr), "%v", err)
	require.True(t, mErr.Temporary)
	require.False(t, mErr.Unsure, "a connection refused sent nothing: %v", err)
	require.NoError(t, srv.StartSMTP())

	// The line drops while the server holds the whole message, before its answer.
	holding, release := make(chan struct{}), make(chan struct{})
	srv2, account2 := mailbox(t, devmail.Options{Hold: func(devmail.Message) { close(holding); <-release }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mailer.Send(ctx, account2, notice("notice-7.2@approdo.example.it")) }()
	<-holding
	cancel()
	err = <-done
	close(release)
	require.True(t, errors.As(err, &mErr), "%v", err)
	require.True(t, mErr.Temporary)
	require.True(t, mErr.Unsure, "the server may have it: %v", err)
	require.Eventually(t, func() bool { return len(srv2.Messages()) == 1 }, 5*time.Second, 10*time.Millisecond, "and it does")
}
