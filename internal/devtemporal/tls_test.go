package devtemporal_test

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/config"
	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/devtls"
	"github.com/approdo/approdo/internal/temporalconn"
)

// dialWith connects with conn's TLS settings; the SDK's dial calls the frontend, so a
// refused handshake fails here.
func dialWith(t *testing.T, hostPort string, conn temporalconn.Settings) (client.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	opts := client.Options{HostPort: hostPort, Namespace: "default"}
	require.NoError(t, conn.Apply(&opts))
	c, err := client.DialContext(ctx, opts)
	if err == nil {
		t.Cleanup(c.Close)
	}
	return c, err
}

func TestMutualTLS(t *testing.T) {
	certs, err := devtls.Ensure(t.TempDir())
	require.NoError(t, err)
	// Certificates of another CA: what a client of another cluster, or an attacker with
	// a self-made CA, would have.
	foreign, err := devtls.Ensure(t.TempDir())
	require.NoError(t, err)

	srv := start(t, devtemporal.Options{BinPath: binary(t), TLS: &certs, MutualTLS: true})

	t.Run("the dev client certificate is accepted", func(t *testing.T) {
		c, err := dialWith(t, srv.HostPort(), srv.Connection())
		require.NoError(t, err)
		_, err = c.CheckHealth(context.Background(), &client.CheckHealthRequest{})
		require.NoError(t, err)
		require.Equal(t, thirtyDays, retention(t, c))
	})

	t.Run("the TEMPORAL_TLS_* settings of the processes connect", func(t *testing.T) {
		t.Setenv("TEMPORAL_ADDRESS", srv.HostPort())
		t.Setenv("TEMPORAL_TLS_CA_FILE", certs.CA)
		t.Setenv("TEMPORAL_TLS_CERT_FILE", certs.ClientCert)
		t.Setenv("TEMPORAL_TLS_KEY_FILE", certs.ClientKey)
		t.Setenv("TEMPORAL_TLS_SERVER_NAME", "localhost")
		cfg, err := config.Load()
		require.NoError(t, err)
		_, err = dialWith(t, cfg.TemporalAddress, cfg.TemporalConnection())
		require.NoError(t, err)
	})

	// Each differs from the accepted connection above in one setting. When the server
	// refuses the client's certificate, TLS 1.3 reports it after the client has finished
	// its side of the handshake, so the client sees an alert or a broken pipe depending
	// on timing: those cases assert only the refusal.
	for name, c := range map[string]struct {
		conn temporalconn.Settings
		want string
	}{
		"without a client certificate": {
			conn: temporalconn.Settings{CAFile: certs.CA, ServerName: devtls.ServerName},
		},
		"with a client certificate of another CA": {
			conn: temporalconn.Settings{CAFile: certs.CA, ServerName: devtls.ServerName, CertFile: foreign.ClientCert, KeyFile: foreign.ClientKey},
		},
		"trusting another CA": {
			conn: temporalconn.Settings{CAFile: foreign.CA, ServerName: devtls.ServerName, CertFile: certs.ClientCert, KeyFile: certs.ClientKey},
			want: "certificate signed by unknown authority",
		},
		"verifying another name": {
			conn: temporalconn.Settings{CAFile: certs.CA, ServerName: "temporal.example.org", CertFile: certs.ClientCert, KeyFile: certs.ClientKey},
			want: "temporal.example.org",
		},
		"in plain text": {
			conn: temporalconn.Settings{},
		},
	} {
		t.Run("refused "+name, func(t *testing.T) {
			_, err := dialWith(t, srv.HostPort(), c.conn)
			require.Error(t, err)
			require.ErrorContains(t, err, c.want)
		})
	}

	t.Run("the Web UI reaches the frontend over mutual TLS", func(t *testing.T) {
		res, err := http.Get(srv.UIURL() + "/api/v1/namespaces/default")
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
		require.Contains(t, string(body), `"name": "default"`)
	})

	stop(t, srv)
}

func TestTLSWithoutClientCertificates(t *testing.T) {
	certs, err := devtls.Ensure(t.TempDir())
	require.NoError(t, err)
	srv := start(t, devtemporal.Options{BinPath: binary(t), TLS: &certs, Headless: true})
	require.Empty(t, srv.Connection().CertFile, "no client certificate is needed")

	c, err := dialWith(t, srv.HostPort(), srv.Connection())
	require.NoError(t, err)
	_, err = c.CheckHealth(context.Background(), &client.CheckHealthRequest{})
	require.NoError(t, err)

	_, err = dialWith(t, srv.HostPort(), temporalconn.Settings{})
	require.Error(t, err, "plain text is refused")
	stop(t, srv)
}

// The binary checks its -tls-* flags before anything starts, and says which is wrong.
func TestTLSFlagsAreChecked(t *testing.T) {
	certs, err := devtls.Ensure(t.TempDir())
	require.NoError(t, err)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	server := []string{"-tls-cert", certs.ServerCert, "-tls-key", certs.ServerKey, "-tls-ca", certs.CA}
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"a key without a certificate": {[]string{"-tls-key", certs.ServerKey}, "the -tls-* flags need -tls-cert and -tls-key"},
		"a certificate without a key": {[]string{"-tls-cert", certs.ServerCert, "-tls-ca", certs.CA}, "-tls-cert needs -tls-key"},
		"no CA":                       {[]string{"-tls-cert", certs.ServerCert, "-tls-key", certs.ServerKey}, "-tls-cert needs -tls-ca"},
		"a missing CA file":           {[]string{"-tls-cert", certs.ServerCert, "-tls-key", certs.ServerKey, "-tls-ca", missing}, "-tls-ca: open " + missing},
		"a key that is not the certificate's": {
			[]string{"-tls-cert", certs.ServerCert, "-tls-key", certs.ClientKey, "-tls-ca", certs.CA}, "-tls-cert/-tls-key: tls: private key does not match public key",
		},
		"client authentication without a client certificate for the server's own clients": {
			append(server, "-tls-client-auth"), "-tls-client-auth needs -tls-client-cert and -tls-client-key",
		},
		"a client certificate without its key": {
			append(server, "-tls-client-cert", certs.ClientCert), "-tls-client-cert and -tls-client-key go together",
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(binary(t), append([]string{"-headless", "-port", "1"}, c.args...)...).CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, string(out))
			require.Equal(t, 2, exit.ExitCode(), "bad flags exit 2: %s", out)
			require.Contains(t, string(out), c.want)
		})
	}
}
