package mailer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/mailer"
)

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// tlsBackend accepts every message after PLAIN authentication and counts them.
type tlsBackend struct {
	mu       sync.Mutex
	messages int
}

func (b *tlsBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &tlsSession{b: b}, nil }

type tlsSession struct{ b *tlsBackend }

func (s *tlsSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *tlsSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error { return nil }), nil
}
func (s *tlsSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *tlsSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *tlsSession) Data(r io.Reader) error {
	_, _ = io.ReadAll(r)
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.messages++
	return nil
}
func (s *tlsSession) Reset()        {}
func (s *tlsSession) Logout() error { return nil }

func TestSendOverImplicitTLSAndSTARTTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, mode := range []mailer.TLS{mailer.TLSImplicit, mailer.TLSStart} {
		t.Run(string(mode), func(t *testing.T) {
			backend := &tlsBackend{}
			srv := smtp.NewServer(backend)
			srv.Domain = "mail.test"
			srv.TLSConfig = serverTLS
			var l net.Listener
			var err error
			if mode == mailer.TLSImplicit {
				l, err = tls.Listen("tcp", "127.0.0.1:0", serverTLS)
			} else {
				l, err = net.Listen("tcp", "127.0.0.1:0")
			}
			require.NoError(t, err)
			go func() { _ = srv.Serve(l) }()
			t.Cleanup(func() { srv.Close() })
			_, port, _ := net.SplitHostPort(l.Addr().String())
			p, _ := strconv.Atoi(port)
			account := mailer.Account{Host: "127.0.0.1", Port: p, TLS: mode, Username: "approdo", Password: "segreta",
				From: "approdo@pec.approdo.test", Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: pool}}
			require.NoError(t, mailer.Send(context.Background(), account, mailer.Message{MessageID: "m-" + string(mode) + "@approdo.test", To: "b@example.org", Subject: "s", Text: "t"}))
			backend.mu.Lock()
			defer backend.mu.Unlock()
			require.Equal(t, 1, backend.messages)

			// A server whose certificate is not trusted is refused.
			account.TLSConfig = nil
			require.Error(t, mailer.Send(context.Background(), account, mailer.Message{MessageID: "n-" + string(mode) + "@approdo.test", To: "b@example.org", Subject: "s", Text: "t"}))
		})
	}
}
