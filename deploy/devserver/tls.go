package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"

	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	"go.temporal.io/server/common/config"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// tlsOptions are the flags that put the frontend behind TLS, and optionally mutual TLS.
// The server's own clients (its system worker, the embedded Web UI and the start-up's
// retention call) then connect to the frontend with TLS as well, verifying it with the
// same CA, so that nothing in the process talks to the frontend in plain text.
type tlsOptions struct {
	// certFile and keyFile are the frontend's server certificate and key (PEM).
	certFile, keyFile string
	// caFile is the CA (PEM) the server's own clients verify the frontend with and,
	// with clientAuth, the CA client certificates must chain to.
	caFile string
	// clientAuth requires every client to present a certificate signed by caFile.
	clientAuth bool
	// clientCertFile and clientKeyFile are what the server's own clients present; they
	// are needed with clientAuth.
	clientCertFile, clientKeyFile string
	// serverName is the name the server's own clients expect in the frontend's
	// certificate; empty means the -ip address.
	serverName string
}

func (t *tlsOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&t.certFile, "tls-cert", "", "frontend TLS certificate (PEM); with -tls-key, the frontend serves TLS only")
	fs.StringVar(&t.keyFile, "tls-key", "", "frontend TLS private key (PEM)")
	fs.StringVar(&t.caFile, "tls-ca", "", "CA certificate (PEM) that signed the frontend's certificate, and client certificates with -tls-client-auth")
	fs.BoolVar(&t.clientAuth, "tls-client-auth", false, "require client certificates signed by -tls-ca (mutual TLS)")
	fs.StringVar(&t.clientCertFile, "tls-client-cert", "", "client certificate (PEM) the server's own system worker and Web UI present with -tls-client-auth")
	fs.StringVar(&t.clientKeyFile, "tls-client-key", "", "private key (PEM) of -tls-client-cert")
	fs.StringVar(&t.serverName, "tls-server-name", "", "name the server's own clients verify in the frontend's certificate (default: the -ip address)")
}

// enabled tells whether the frontend serves TLS.
func (t *tlsOptions) enabled() bool { return t.certFile != "" }

// check validates the flags together and loads every file once, so that a missing or
// unreadable file fails at start-up with the flag's name rather than deep in the server.
func (t *tlsOptions) check(ip string) error {
	if !t.enabled() {
		if t.keyFile != "" || t.caFile != "" || t.clientAuth || t.clientCertFile != "" || t.clientKeyFile != "" || t.serverName != "" {
			return errors.New("the -tls-* flags need -tls-cert and -tls-key")
		}
		return nil
	}
	if t.keyFile == "" {
		return errors.New("-tls-cert needs -tls-key")
	}
	if t.caFile == "" {
		return errors.New("-tls-cert needs -tls-ca: the server's own clients verify the frontend with it")
	}
	if (t.clientCertFile == "") != (t.clientKeyFile == "") {
		return errors.New("-tls-client-cert and -tls-client-key go together")
	}
	if t.clientAuth && t.clientCertFile == "" {
		return errors.New("-tls-client-auth needs -tls-client-cert and -tls-client-key: the server's own system worker and Web UI must present one too")
	}
	if t.serverName == "" {
		t.serverName = ip
	}
	if _, err := tls.LoadX509KeyPair(t.certFile, t.keyFile); err != nil {
		return fmt.Errorf("-tls-cert/-tls-key: %w", err)
	}
	if _, err := t.caPool(); err != nil {
		return err
	}
	if t.clientCertFile != "" {
		if _, err := tls.LoadX509KeyPair(t.clientCertFile, t.clientKeyFile); err != nil {
			return fmt.Errorf("-tls-client-cert/-tls-client-key: %w", err)
		}
	}
	return nil
}

func (t *tlsOptions) caPool() (*x509.CertPool, error) {
	pem, err := os.ReadFile(t.caFile)
	if err != nil {
		return nil, fmt.Errorf("-tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-tls-ca: %s holds no PEM certificate", t.caFile)
	}
	return pool, nil
}

// apply sets the server's TLS configuration: the frontend's listener, and the system
// worker's connection to it. Internode traffic (history, matching) stays on loopback in
// plain text: it never leaves the process's address.
func (t *tlsOptions) apply(cfg *config.Config) {
	if !t.enabled() {
		return
	}
	cfg.Global.TLS.Frontend.Server = config.ServerTLS{
		CertFile:          t.certFile,
		KeyFile:           t.keyFile,
		ClientCAFiles:     []string{t.caFile},
		RequireClientAuth: t.clientAuth,
	}
	client := config.ClientTLS{ServerName: t.serverName, RootCAFiles: []string{t.caFile}}
	cfg.Global.TLS.Frontend.Client = client
	cfg.Global.TLS.SystemWorker = config.WorkerTLS{
		CertFile: t.clientCertFile,
		KeyFile:  t.clientKeyFile,
		Client:   client,
	}
}

// dialOption is how the start-up connects to the frontend.
func (t *tlsOptions) dialOption() (grpc.DialOption, error) {
	if !t.enabled() {
		return grpc.WithTransportCredentials(insecure.NewCredentials()), nil
	}
	pool, err := t.caPool()
	if err != nil {
		return nil, err
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, ServerName: t.serverName}
	if t.clientCertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.clientCertFile, t.clientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("-tls-client-cert/-tls-client-key: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(c)), nil
}

// ui is the Web UI's configuration for its connection to the frontend. Host
// verification is on: the UI's default skips it.
func (t *tlsOptions) ui() uiconfig.TLS {
	if !t.enabled() {
		return uiconfig.TLS{}
	}
	return uiconfig.TLS{
		CaFile:                 t.caFile,
		CertFile:               t.clientCertFile,
		KeyFile:                t.clientKeyFile,
		ServerName:             t.serverName,
		EnableHostVerification: true,
	}
}
