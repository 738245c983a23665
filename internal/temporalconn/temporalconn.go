// Package temporalconn turns the Temporal connection settings (TLS, mutual TLS, API key)
// into the SDK's client options. Every Approdo process that talks to Temporal (the api,
// the worker, the CLI commands, the dev stack) connects through Settings.Apply, so the
// one code path that production uses is the one the dev stack and the tests exercise.
package temporalconn

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
)

// Settings are how a client reaches the Temporal frontend securely. The zero value is a
// plain-text connection, right only for a frontend on loopback.
type Settings struct {
	// TLS turns TLS on with the system's CAs when no CAFile is given. Any file or an
	// APIKey turns it on as well.
	TLS bool
	// CAFile holds the CA certificates (PEM) that the frontend's certificate must chain
	// to, for a private CA; empty trusts the system's CAs.
	CAFile string
	// CertFile and KeyFile are the client certificate and its key (PEM), for mutual TLS.
	// They are read again at every new connection, so a renewed certificate is picked
	// up without a restart.
	CertFile, KeyFile string
	// ServerName is the name verified in the frontend's certificate, when it differs
	// from the host of the address (e.g. an address by IP).
	ServerName string
	// APIKey is sent as a bearer token on every call (Temporal Cloud, or a cluster with
	// an authorizer that accepts it). It is a secret: LogValue never shows it.
	APIKey string
	// Compression is how gRPC requests to the frontend are compressed: CompressionNone
	// (also the empty value) or CompressionGzip. The SDK gzips by default, but Approdo's
	// payloads are sealed (encrypted) and do not shrink, so on a loopback or in-cluster
	// link both ends would spend CPU for nothing: about 7% of the worker's under a surge.
	// Gzip is worth it only on a slow link (e.g. to Temporal Cloud over the internet).
	Compression string
}

// The values of Settings.Compression.
const (
	CompressionNone = "none"
	CompressionGzip = "gzip"
)

// Enabled tells whether the connection uses TLS.
func (s Settings) Enabled() bool {
	return s.TLS || s.CAFile != "" || s.CertFile != "" || s.KeyFile != "" || s.ServerName != "" || s.APIKey != ""
}

// Check reads every file once and says, naming the variable, what is wrong: a missing
// or unreadable file, a certificate without its key, a file that holds no certificate.
// names maps a field (CAFile, CertFile, KeyFile) to the variable that sets it.
func (s Settings) Check(names map[string]string) error {
	if _, err := s.compression(names); err != nil {
		return err
	}
	_, err := s.tlsConfig(names)
	return err
}

// Apply sets the connection options of o: TLS with the CA and client certificate, and
// the API key. It fails as Check does.
func (s Settings) Apply(o *client.Options) error {
	compression, err := s.compression(nil)
	if err != nil {
		return err
	}
	c, err := s.tlsConfig(nil)
	if err != nil {
		return err
	}
	o.ConnectionOptions.TLS = c
	o.ConnectionOptions.GrpcCompression = compression
	if s.APIKey != "" {
		o.Credentials = client.NewAPIKeyStaticCredentials(s.APIKey)
	}
	return nil
}

// TLSConfig is the TLS configuration Apply uses, or nil for plain text.
func (s Settings) TLSConfig() (*tls.Config, error) {
	return s.tlsConfig(nil)
}

func (s Settings) compression(names map[string]string) (client.GrpcCompression, error) {
	switch s.Compression {
	case "", CompressionNone:
		return &client.GrpcCompressionNone{}, nil
	case CompressionGzip:
		return &client.GrpcCompressionGzip{}, nil
	}
	name, ok := names["Compression"]
	if !ok {
		name = "the Temporal gRPC compression"
	}
	return nil, fmt.Errorf("%s must be %s or %s, not %q", name, CompressionNone, CompressionGzip, s.Compression)
}

func (s Settings) tlsConfig(names map[string]string) (*tls.Config, error) {
	if !s.Enabled() {
		return nil, nil
	}
	name := func(field string) string {
		if n, ok := names[field]; ok {
			return n
		}
		return "the Temporal TLS " + field
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot read the CA file: %w", name("CAFile"), err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: %s holds no PEM certificate", name("CAFile"), s.CAFile)
		}
		c.RootCAs = pool
	}
	switch {
	case s.CertFile != "" && s.KeyFile == "":
		return nil, fmt.Errorf("%s is set but %s is not: a client certificate needs its key", name("CertFile"), name("KeyFile"))
	case s.CertFile == "" && s.KeyFile != "":
		return nil, fmt.Errorf("%s is set but %s is not: a client key needs its certificate", name("KeyFile"), name("CertFile"))
	case s.CertFile != "":
		if _, err := loadPair(s.CertFile, s.KeyFile); err != nil {
			return nil, fmt.Errorf("%s and %s: %w", name("CertFile"), name("KeyFile"), err)
		}
		certFile, keyFile := s.CertFile, s.KeyFile
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return loadPair(certFile, keyFile)
		}
	}
	return c, nil
}

func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	for _, f := range []string{certFile, keyFile} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", f, errors.Unwrap(err))
		}
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load the client certificate and key: %w", err)
	}
	return &pair, nil
}

// LogValue shows how the connection is secured, never the API key.
func (s Settings) LogValue() slog.Value {
	mode := "plain"
	switch {
	case s.CertFile != "":
		mode = "mtls"
	case s.Enabled():
		mode = "tls"
	}
	return slog.GroupValue(
		slog.String("mode", mode),
		slog.String("ca_file", s.CAFile),
		slog.String("cert_file", s.CertFile),
		slog.String("server_name", s.ServerName),
		slog.Bool("api_key", s.APIKey != ""),
		slog.String("compression", cmp.Or(s.Compression, CompressionNone)),
	)
}

// String describes the settings for %v and %+v without the API key, so that printing a
// configuration by mistake does not leak it.
func (s Settings) String() string {
	v := s.LogValue()
	out := "temporalconn.Settings{"
	for i, a := range v.Group() {
		if i > 0 {
			out += " "
		}
		out += a.Key + "=" + a.Value.String()
	}
	return out + "}"
}
