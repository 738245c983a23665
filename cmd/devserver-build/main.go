// Command devserver-build compiles the Temporal dev server (the nested module in
// deploy/devserver) into a binary, showing how many packages are left. `make test` runs it
// before the tests, which start that binary; the first build takes 8 to 10 minutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/progress"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "devserver-build:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	out := flag.String("o", "", "output binary (default .dev/bin/approdo-devserver in the repository)")
	flag.Parse()
	root, err := devtemporal.RepoRoot()
	if err != nil {
		return err
	}
	if *out == "" {
		*out = devtemporal.DefaultBinPath(root)
	}
	fmt.Println("Building the Temporal dev server (deploy/devserver) into", *out)
	line := progress.NewLine(os.Stdout, "compiling", "packages")
	err = devtemporal.Build(ctx, filepath.Join(root, "deploy", "devserver"), *out, line.Update)
	line.Done()
	return err
}
