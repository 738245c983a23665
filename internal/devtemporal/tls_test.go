package devtemporal_test

import (
	"context"
	"io"
	"net/http"
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
