// Package devtemporal builds and runs approdo-devserver, the Temporal dev server of the
// nested module in deploy/devserver, for the one-command dev stack and for integration
// tests. It drives the binary as a child process and talks to it over gRPC only, so
// Approdo's own module never depends on the Temporal server.
//
// Build compiles the binary (about 8 minutes the first time, seconds later), Start runs it
// and waits until it serves, and (*Server).Stop ends it. Tests use the devtemporaltest
// package, which adds free ports and an in-memory store.
package devtemporal

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/mod/modfile"
)

// modulePath is the path of Approdo's root module, whose go.mod RepoRoot looks for.
const modulePath = "github.com/approdo/approdo"

// RepoRoot returns the folder holding Approdo's root go.mod, walking up from the working
// directory. Nested modules such as deploy/devserver are passed by on the way up.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modfile.ModulePath(data) == modulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module %s in the working directory or above it", modulePath)
		}
		dir = parent
	}
}

// DefaultBinPath is where the dev stack and the tests keep the dev server binary:
// <root>/.dev/bin/approdo-devserver, ignored by git and removed by `make clean`.
func DefaultBinPath(root string) string {
	return filepath.Join(root, ".dev", "bin", "approdo-devserver")
}

// DevServerModuleDir is the folder of the dev server's module in the repository at root.
func DevServerModuleDir(root string) string {
	return filepath.Join(root, "deploy", "devserver")
}

// FreePort returns a TCP port on ip that nothing listens on at the moment. Another process
// may take it before the caller binds it, so callers that cannot tolerate that retry.
func FreePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", ip, err)
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(port)
}
