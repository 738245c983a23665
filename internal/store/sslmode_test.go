package store_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/devtls"
	"github.com/approdo/approdo/internal/pgcluster"
	"github.com/approdo/approdo/internal/store"
)

// withQuery returns databaseURL with its query parameters set to params.
func withQuery(t *testing.T, databaseURL string, params map[string]string) string {
	t.Helper()
	u, err := url.Parse(databaseURL)
	require.NoError(t, err)
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// A cluster that serves no TLS, reached over TCP (TLS never applies to a unix socket,
// which is what the other tests use). Every way Approdo opens the database must then
// fail when DATABASE_URL asks for TLS: that shows nothing in between drops sslmode, so
// verify-full in production really verifies the server.
func TestSSLModeOfTheDatabaseURLIsHonoured(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	port, err := devtemporal.FreePort("127.0.0.1")
	require.NoError(t, err)
	dir, err := os.MkdirTemp(pgcluster.TempDir(), "approdo-sslmode-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Run as root, postgres runs as its own user, which must be able to enter it.
	require.NoError(t, os.Chmod(dir, 0o755))
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(dir, "data"), Port: port, Ephemeral: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cluster.Stop(context.Background()) })
	plain := cluster.URL("postgres")
	require.Contains(t, plain, "127.0.0.1:", "over TCP")

	// The same URL without TLS works, so a failure below is the sslmode's doing.
	require.NoError(t, store.Migrate(ctx, plain))
	pool, err := store.Open(ctx, plain)
	require.NoError(t, err)
	pool.Close()

	for mode, params := range map[string]map[string]string{
		"require":     {"sslmode": "require"},
		"verify-full": {"sslmode": "verify-full", "sslrootcert": filepath.Join(t.TempDir(), "missing-ca.pem")},
	} {
		t.Run(mode, func(t *testing.T) {
			secure := withQuery(t, plain, params)
			wantErr := "server refused TLS connection"
			if mode == "verify-full" {
				// The CA is read before anything is sent, so its absence is the error.
				wantErr = "missing-ca.pem"
			}

			_, err := store.Open(ctx, secure)
			require.ErrorContains(t, err, wantErr, "store.Open (migrate, the commands)")
			_, err = store.OpenApp(ctx, secure)
			require.ErrorContains(t, err, wantErr, "store.OpenApp (the api and the worker)")
			err = store.Migrate(ctx, secure)
			require.ErrorContains(t, err, wantErr, "store.Migrate")
			_, err = store.AppLoginURL(ctx, secure)
			require.ErrorContains(t, err, wantErr, "store.AppLoginURL")
		})
	}

	// The application's URL, derived from the owner's, keeps its TLS settings. (pgx
	// reads sslrootcert even with sslmode=disable, so it must be a real CA file.)
	certs, err := devtls.Ensure(t.TempDir())
	require.NoError(t, err)
	appURL, err := store.AppLoginURL(ctx, withQuery(t, plain, map[string]string{"sslmode": "disable", "sslrootcert": certs.CA}))
	require.NoError(t, err)
	u, err := url.Parse(appURL)
	require.NoError(t, err)
	require.Equal(t, store.AppLogin, u.User.Username())
	require.Equal(t, "disable", u.Query().Get("sslmode"))
	require.Equal(t, certs.CA, u.Query().Get("sslrootcert"))
}
