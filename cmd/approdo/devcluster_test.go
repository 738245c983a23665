package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The dev cluster stays in the dev folder when PostgreSQL can reach it, and goes to a
// folder of its own, recorded and kept across starts, when it cannot (root, with a
// checkout below a private folder).
func TestDevClusterIsPlacedWherePostgresCanReachIt(t *testing.T) {
	t.Parallel()
	open, err := os.MkdirTemp("", "approdo-devcluster-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(open) })
	require.NoError(t, os.Chmod(open, 0o755))
	private := filepath.Join(open, "home")
	require.NoError(t, os.Mkdir(private, 0o700))
	require.NoError(t, os.Chmod(private, 0o700))

	reachable := filepath.Join(open, "approdo", ".dev")
	place, err := placeDevCluster(reachable)
	require.NoError(t, err)
	require.Equal(t, devClusterPlace{Dir: filepath.Join(reachable, "postgres")}, place)

	dir := filepath.Join(private, "approdo", ".dev")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	place, err = placeDevCluster(dir)
	require.NoError(t, err)
	if os.Geteuid() != 0 {
		require.Equal(t, devClusterPlace{Dir: filepath.Join(dir, "postgres")}, place, "PostgreSQL runs as ourselves")
		return
	}
	away := filepath.Join(devClusterHome, devClusterKey(dir))
	t.Cleanup(func() {
		os.RemoveAll(away)
		os.Remove(devClusterHome) // only if empty, as `make clean` does
	})
	require.Equal(t, away, place.Dir)
	require.Contains(t, place.Moved, "may not enter "+private+" (mode 0700)")
	require.FileExists(t, filepath.Join(dir, devClusterLocationFile))
	info, err := os.Stat(away)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), info.Mode().Perm())
	note, err := os.ReadFile(filepath.Join(away, "dev-folder"))
	require.NoError(t, err)
	require.Equal(t, dir+"\n", string(note), "whoever finds the folder learns whose it is")
	require.NotEqual(t, away, filepath.Join(devClusterHome, devClusterKey(reachable)), "two dev folders never share a cluster")

	// The next start finds it again, data and all.
	require.NoError(t, os.MkdirAll(filepath.Join(away, "data"), 0o700))
	again, err := placeDevCluster(dir)
	require.NoError(t, err)
	require.Equal(t, away, again.Dir)
	require.DirExists(t, filepath.Join(away, "data"))

	// A dev folder deleted by hand took its Temporal data and payload key with it; the
	// cluster it left behind is not reused.
	require.NoError(t, os.Remove(filepath.Join(dir, devClusterLocationFile)))
	fresh, err := placeDevCluster(dir)
	require.NoError(t, err)
	require.Equal(t, away, fresh.Dir)
	require.NoDirExists(t, filepath.Join(away, "data"))
}
