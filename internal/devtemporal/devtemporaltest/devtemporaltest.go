// Package devtemporaltest starts a Temporal dev server for the tests of a package, from
// its TestMain:
//
//	srv, err := devtemporaltest.Start(ctx, devtemporaltest.Options{})
//	...
//	defer srv.Stop(stopCtx)
//
// The server is real (approdo-devserver, see package devtemporal), runs on free loopback
// ports with an in-memory store, and is shared by the package's tests, which keep apart
// by using task queues and workflow IDs of their own.
package devtemporaltest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/progress"
)

// BinEnv names the environment variable that points at a ready-made approdo-devserver
// binary. `make test` builds the binary once and sets it; without it, Binary builds the
// repository's .dev/bin/approdo-devserver if needed.
const BinEnv = "APPRODO_DEVSERVER_BIN"

// Options choose what the test server offers.
type Options struct {
	// UI also starts the Web UI, for tests of what supervisors see there; the server
	// is headless otherwise.
	UI bool
	// CodecEndpoint is the Web UI's codec server (see devtemporal.Options).
	CodecEndpoint string
}

// attempts is how often Start tries other free ports when a port it picked was taken
// meanwhile by another process, such as a parallel test binary.
const attempts = 5

// Start starts a dev server on free 127.0.0.1 ports with an in-memory store, and returns
// once it serves. Stop it with its Stop method.
func Start(ctx context.Context, o Options) (*devtemporal.Server, error) {
	bin, err := Binary(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		// Start picks free ports itself when given none.
		srv, err := devtemporal.Start(ctx, devtemporal.Options{BinPath: bin, Headless: !o.UI, CodecEndpoint: o.CodecEndpoint})
		if err == nil {
			return srv, nil
		}
		if attempt == attempts || !portTaken(err) || ctx.Err() != nil {
			return nil, err
		}
	}
}

// portTaken tells a start that failed because another process bound a port first.
func portTaken(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "address already in use") || strings.Contains(msg, "port is taken")
}

var (
	binMu   sync.Mutex
	binPath string
)

// Binary returns the approdo-devserver binary to run: the one BinEnv names if set, else
// the repository's default one, built first if it is missing or stale (progress goes to
// stderr; the first build takes about 8 minutes). It builds at most once per test binary.
func Binary(ctx context.Context) (string, error) {
	if bin := os.Getenv(BinEnv); bin != "" {
		return bin, nil
	}
	binMu.Lock()
	defer binMu.Unlock()
	if binPath != "" {
		return binPath, nil
	}
	root, err := devtemporal.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := devtemporal.DefaultBinPath(root)
	// Say something only when there is something to build: an up-to-date binary is the
	// common case and needs no line in every test run's output.
	var line *progress.Line
	err = devtemporal.Build(ctx, devtemporal.DevServerModuleDir(root), bin, func(done, total int, pkg string) {
		if line == nil {
			fmt.Fprintf(os.Stderr, "Building the Temporal dev server for the tests into %s (set %s to skip; `make test` does)…\n", bin, BinEnv)
			line = progress.NewLine(os.Stderr, "compiling", "packages")
		}
		line.Update(done, total, pkg)
	})
	if line != nil {
		line.Done()
	}
	if err != nil {
		return "", fmt.Errorf("build the Temporal dev server: %w", err)
	}
	binPath = bin
	return bin, nil
}
