// Package devtemporaltest starts the Temporal dev server for a test binary's TestMain.
package devtemporaltest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/progress"
)

// Options choose what the test server offers.
type Options struct {
	// UI also starts the Web UI, for tests of what supervisors see there.
	UI bool
}

// Start starts a dev server on free loopback ports with an in-memory store. The binary is
// APPRODO_DEVSERVER_BIN if set (`make test` sets it), else the repository's
// .dev/bin/approdo-devserver, built first if needed.
func Start(ctx context.Context, o Options) (*devtemporal.Server, error) {
	bin := os.Getenv("APPRODO_DEVSERVER_BIN")
	if bin == "" {
		root, err := devtemporal.RepoRoot()
		if err != nil {
			return nil, err
		}
		bin = devtemporal.DefaultBinPath(root)
		fmt.Fprintln(os.Stderr, "Building the Temporal dev server for the tests (make test does this beforehand)…")
		line := progress.NewLine(os.Stderr, "compiling", "packages")
		err = devtemporal.Build(ctx, filepath.Join(root, "deploy", "devserver"), bin, line.Update)
		line.Done()
		if err != nil {
			return nil, err
		}
	}
	var lastErr error
	// A free port can be taken by another process before the server binds it; try again
	// on other ports.
	for range 3 {
		port, err := devtemporal.FreePort("127.0.0.1")
		if err != nil {
			return nil, err
		}
		uiPort, err := devtemporal.FreePort("127.0.0.1")
		if err != nil {
			return nil, err
		}
		srv, err := devtemporal.Start(ctx, devtemporal.Options{
			BinPath:  bin,
			Port:     port,
			UIPort:   uiPort,
			Headless: !o.UI,
		})
		if err == nil {
			return srv, nil
		}
		lastErr = err
	}
	return nil, lastErr
}
