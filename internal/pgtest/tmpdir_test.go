package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A private TMPDIR (0700) is common; run as root, the cluster's postgres user could not
// enter it, so the cluster must go elsewhere and still start.
func TestPrivateClusterStartsWithAPrivateTMPDIR(t *testing.T) {
	private, err := os.MkdirTemp("", "pgtest-private-tmpdir-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(private, 0o700))
	t.Cleanup(func() { _ = os.RemoveAll(private) })
	t.Setenv("TMPDIR", private)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cluster, dir, err := startPrivateCluster(ctx)
	require.NoError(t, err)
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, cluster.Stop(stopCtx))
		require.NoError(t, os.RemoveAll(dir))
	})
	if os.Geteuid() == 0 {
		require.False(t, strings.HasPrefix(dir, private+string(filepath.Separator)), "the cluster %s is out of the private TMPDIR", dir)
	}
}
