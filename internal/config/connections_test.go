package config_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/config"
	"github.com/approdo/approdo/internal/devtls"
)

func TestTemporalTLSSettingsAreChecked(t *testing.T) {
	certs, err := devtls.Ensure(t.TempDir())
	require.NoError(t, err)

	t.Run("mutual TLS", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS_CA_FILE", certs.CA)
		t.Setenv("TEMPORAL_TLS_CERT_FILE", certs.ClientCert)
		t.Setenv("TEMPORAL_TLS_KEY_FILE", certs.ClientKey)
		t.Setenv("TEMPORAL_TLS_SERVER_NAME", "localhost")
		cfg, err := config.Load()
		require.NoError(t, err)
		conn := cfg.TemporalConnection()
		require.True(t, conn.Enabled())
		tc, err := conn.TLSConfig()
		require.NoError(t, err)
		require.Equal(t, "localhost", tc.ServerName)
		require.NotNil(t, tc.RootCAs)
		require.NotNil(t, tc.GetClientCertificate)
	})
	t.Run("plain text by default", func(t *testing.T) {
		cfg, err := config.Load()
		require.NoError(t, err)
		tc, err := cfg.TemporalConnection().TLSConfig()
		require.NoError(t, err)
		require.Nil(t, tc)
	})
	t.Run("TEMPORAL_TLS alone trusts the system's CAs", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS", "true")
		cfg, err := config.Load()
		require.NoError(t, err)
		tc, err := cfg.TemporalConnection().TLSConfig()
		require.NoError(t, err)
		require.NotNil(t, tc)
		require.Nil(t, tc.RootCAs)
	})

	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"a missing CA file": {
			env:  map[string]string{"TEMPORAL_TLS_CA_FILE": filepath.Join(t.TempDir(), "nope.pem")},
			want: "TEMPORAL_TLS_CA_FILE: cannot read the CA file",
		},
		"a CA file without a certificate": {
			env:  map[string]string{"TEMPORAL_TLS_CA_FILE": certs.ClientKey},
			want: "holds no PEM certificate",
		},
		"a certificate without its key": {
			env:  map[string]string{"TEMPORAL_TLS_CERT_FILE": certs.ClientCert},
			want: "TEMPORAL_TLS_CERT_FILE is set but TEMPORAL_TLS_KEY_FILE is not",
		},
		"a key without its certificate": {
			env:  map[string]string{"TEMPORAL_TLS_KEY_FILE": certs.ClientKey},
			want: "TEMPORAL_TLS_KEY_FILE is set but TEMPORAL_TLS_CERT_FILE is not",
		},
		"a missing key file": {
			env:  map[string]string{"TEMPORAL_TLS_CERT_FILE": certs.ClientCert, "TEMPORAL_TLS_KEY_FILE": filepath.Join(t.TempDir(), "key.pem")},
			want: "no such file",
		},
		"a key that is not the certificate's": {
			env:  map[string]string{"TEMPORAL_TLS_CERT_FILE": certs.ClientCert, "TEMPORAL_TLS_KEY_FILE": certs.ServerKey},
			want: "cannot load the client certificate and key",
		},
	} {
		t.Run(name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := config.Load()
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestTemporalAPIKeyIsNeverShown(t *testing.T) {
	const key = "tmprl-secret-api-key-42"
	t.Setenv("TEMPORAL_API_KEY", key)
	cfg, err := config.Load()
	require.NoError(t, err)
	require.True(t, cfg.TemporalConnection().Enabled(), "an API key is never sent in clear text")

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", cfg)
	require.NotContains(t, buf.String(), key)
	require.Contains(t, buf.String(), `"api_key":true`)
	require.NotContains(t, fmt.Sprintf("%v %+v %s", cfg.TemporalConnection(), cfg.TemporalConnection(), cfg.TemporalConnection()), key)
}

func TestClearTextMailOnlyOnLoopback(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"} {
		t.Run("allowed "+host, func(t *testing.T) {
			t.Setenv("SMTP_HOST", host)
			t.Setenv("SMTP_TLS", "none")
			t.Setenv("PEC_SMTP_HOST", host)
			t.Setenv("PEC_SMTP_TLS", "none")
			t.Setenv("PEC_IMAP_HOST", host)
			t.Setenv("PEC_IMAP_TLS", "none")
			_, err := config.Load()
			require.NoError(t, err)
		})
	}
	for _, c := range []struct{ tls, host, value string }{
		{"SMTP_TLS", "SMTP_HOST", "smtp.example.org"},
		{"PEC_SMTP_TLS", "PEC_SMTP_HOST", "smtps.pec.example.it"},
		{"PEC_IMAP_TLS", "PEC_IMAP_HOST", "10.0.0.7"},
		// A name that merely starts like a loopback one is not one.
		{"SMTP_TLS", "SMTP_HOST", "localhost.example.org"},
		{"PEC_IMAP_TLS", "PEC_IMAP_HOST", "128.0.0.1"},
	} {
		t.Run("refused "+c.tls+" "+c.value, func(t *testing.T) {
			t.Setenv(c.host, c.value)
			t.Setenv(c.tls, "none")
			_, err := config.Load()
			require.ErrorContains(t, err, c.tls+"=none is allowed only for a loopback "+c.host)
			require.ErrorContains(t, err, c.value)
		})
	}
	t.Run("TLS to any host", func(t *testing.T) {
		t.Setenv("SMTP_HOST", "smtp.example.org")
		t.Setenv("SMTP_TLS", "starttls")
		t.Setenv("PEC_IMAP_HOST", "imaps.pec.example.it")
		_, err := config.Load()
		require.NoError(t, err)
	})
}
