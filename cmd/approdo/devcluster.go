package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/approdo/approdo/internal/pgcluster"
)

// devClusterHome holds the dev clusters that PostgreSQL could not reach inside their
// checkout: run as root, it runs as the postgres user, which may not enter a checkout
// below a private folder such as root's home or a private temporary folder. /var/lib,
// unlike /tmp, is not wiped at boot, so the data outlives a restart of the machine as it
// would in .dev.
const devClusterHome = "/var/lib/approdo-dev"

// devClusterLocationFile, in the dev folder, names the cluster's folder when it lives
// under devClusterHome, for the next start and for `make clean`.
const devClusterLocationFile = "postgres-location"

// devClusterPlace is where the dev stack keeps its PostgreSQL cluster.
type devClusterPlace struct {
	// Dir holds the cluster: data/ and run/ (its socket).
	Dir string
	// Moved says why Dir is not in the dev folder; empty when it is.
	Moved string
}

// placeDevCluster chooses the cluster's folder: <dev>/postgres when PostgreSQL can reach
// it, otherwise a folder of devClusterHome named after the dev folder, so that two
// checkouts never share one and the same checkout finds its data again. The user's own
// folders are never opened up: their permissions are theirs to choose.
func placeDevCluster(dir string) (devClusterPlace, error) {
	local := filepath.Join(dir, "postgres")
	away := filepath.Join(devClusterHome, devClusterKey(dir))
	recorded := filepath.Join(dir, devClusterLocationFile)

	var why string
	var unreachable *pgcluster.UnreachableError
	switch err := pgcluster.CheckReachable(filepath.Join(local, "data")); {
	case errors.As(err, &unreachable):
		why = fmt.Sprintf("the %s user, which runs PostgreSQL for root, may not enter %s (mode %04o)", unreachable.User, unreachable.Closed, unreachable.Mode.Perm())
	case err != nil:
		return devClusterPlace{}, err
	}

	data, err := os.ReadFile(recorded)
	switch {
	case err == nil && strings.TrimSpace(string(data)) == away:
		// Kept there even if the checkout has become reachable since: the data is there.
		if why == "" {
			why = "an earlier start put it there"
		}
		return devClusterPlace{Dir: away, Moved: why}, nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return devClusterPlace{}, fmt.Errorf("read %s: %w", recorded, err)
	case why == "":
		return devClusterPlace{Dir: local}, nil
	}

	if _, err := os.Stat(away); err == nil {
		// Without its record the folder belongs to a dev folder that was deleted: its
		// Temporal data and payload key went with it, so the cases in this database
		// could no longer be acted on.
		if err := os.RemoveAll(away); err != nil {
			return devClusterPlace{}, fmt.Errorf("remove %s, left by an earlier %s: %w", away, dir, err)
		}
	}
	// Made one by one and opened explicitly, whatever the umask: they are ours, and
	// the postgres user must get through them.
	for _, d := range []string{devClusterHome, away} {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return devClusterPlace{}, fmt.Errorf("%s, and %s could not be made for the cluster (%v): set APPRODO_DEV_DIR to a folder the postgres user can reach, or DATABASE_URL to a PostgreSQL of your own", why, d, err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			return devClusterPlace{}, fmt.Errorf("open %s to the postgres user: %w", d, err)
		}
	}
	// A note for whoever finds the folder: which dev folder it belongs to.
	if err := os.WriteFile(filepath.Join(away, "dev-folder"), []byte(dir+"\n"), 0o644); err != nil {
		return devClusterPlace{}, fmt.Errorf("write %s: %w", filepath.Join(away, "dev-folder"), err)
	}
	if err := os.WriteFile(recorded, []byte(away+"\n"), 0o644); err != nil {
		return devClusterPlace{}, fmt.Errorf("write %s: %w", recorded, err)
	}
	return devClusterPlace{Dir: away, Moved: why}, nil
}

// devClusterKey names a dev folder's cluster under devClusterHome: a hash of its path.
func devClusterKey(dir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(dir)))
	return hex.EncodeToString(sum[:8])
}
