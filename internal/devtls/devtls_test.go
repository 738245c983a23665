package devtls_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/devtls"
)

func TestEnsureMakesOnceAndProtectsKeys(t *testing.T) {
	dir := t.TempDir()
	f, err := devtls.Ensure(dir)
	require.NoError(t, err)
	for _, key := range []string{f.ServerKey, f.ClientKey} {
		info, err := os.Stat(key)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), key)
	}

	caPEM, err := os.ReadFile(f.CA)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	server, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	require.NoError(t, err)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		_, err := server.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name})
		require.NoError(t, err, name)
	}
	_, err = server.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "approdo.example.org"})
	require.Error(t, err, "the server certificate is for loopback only")
	client, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
	require.NoError(t, err)
	_, err = client.Leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)

	// A second call keeps what is there: servers and clients started earlier still match.
	again, err := devtls.Ensure(dir)
	require.NoError(t, err)
	require.Equal(t, f, again)
	caAgain, err := os.ReadFile(f.CA)
	require.NoError(t, err)
	require.Equal(t, caPEM, caAgain)

	// A set that lost a file is made again, whole.
	require.NoError(t, os.Remove(f.ClientKey))
	_, err = devtls.Ensure(dir)
	require.NoError(t, err)
	caNew, err := os.ReadFile(f.CA)
	require.NoError(t, err)
	require.NotEqual(t, caPEM, caNew)
	_, err = tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
	require.NoError(t, err)
}

func TestCertificatesAreValidForYears(t *testing.T) {
	dir := t.TempDir()
	f, err := devtls.Ensure(dir)
	require.NoError(t, err)
	pair, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	require.NoError(t, err)
	require.True(t, pair.Leaf.NotAfter.After(time.Now().Add(4*365*24*time.Hour)), "valid for years")
}
