// Package devtemporal builds and runs the Temporal dev server binary (the nested module in
// deploy/devserver) for the dev stack and the integration tests. It talks to the binary as
// a child process and over gRPC, so Approdo's own module never depends on the Temporal
// server.
package devtemporal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/mod/modfile"
)

// module is the path of Approdo's root module, which RepoRoot looks for.
const module = "github.com/approdo/approdo"

// RepoRoot returns the folder of Approdo's go.mod, walking up from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modfile.ModulePath(data) == module {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory", module)
		}
		dir = parent
	}
}

// DefaultBinPath is where the dev stack and the tests keep the dev server binary.
func DefaultBinPath(root string) string {
	return filepath.Join(root, ".dev", "bin", "approdo-devserver")
}

// Build compiles the module in moduleDir into binPath. progress, if not nil, is called as
// each package is compiled, with how many of those that needed compiling are done. An
// exclusive lock next to binPath keeps test binaries that start at the same time from
// building twice.
func Build(ctx context.Context, moduleDir, binPath string, progress func(done, total int, pkg string)) error {
	if progress == nil {
		progress = func(int, int, string) {}
	}
	if err := os.MkdirAll(filepath.Dir(binPath), 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(binPath + ".lock")
	if err != nil {
		return err
	}
	defer unlock()

	// The packages that need compiling give the progress its total. `go build` itself
	// decides what to do, and leaves an up-to-date binary alone.
	stale, err := stalePackages(ctx, moduleDir)
	if err != nil {
		return err
	}

	cmd := exec.CommandContext(ctx, "go", "build", "-v", "-o", binPath, ".")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	// `go build -v` names each package as it compiles it; anything else on stderr is a
	// compiler message that the error must carry.
	var messages []string
	done := 0
	scanner := bufio.NewScanner(stderr)
	for scanner.Scan() {
		line := scanner.Text()
		if _, ok := stale[line]; ok {
			done++
			progress(done, len(stale), line)
			continue
		}
		if line == "command-line-arguments" {
			continue
		}
		messages = append(messages, line)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("go build in %s: %w\n%s", moduleDir, err, strings.Join(messages, "\n"))
	}
	return nil
}

func stalePackages(ctx context.Context, moduleDir string) (map[string]struct{}, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-f", "{{if .Stale}}{{.ImportPath}}{{end}}", ".")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return nil, fmt.Errorf("go list in %s: %w\n%s", moduleDir, err, exitErr.Stderr)
		}
		return nil, fmt.Errorf("go list in %s: %w", moduleDir, err)
	}
	stale := map[string]struct{}{}
	for _, line := range strings.Fields(string(out)) {
		stale[line] = struct{}{}
	}
	return stale, nil
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open build lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("take build lock: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
