package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// startCPUProfile writes a CPU profile of the server to APPRODO_CPUPROFILE_DIR, named
// temporal-PID.pprof, when that variable is set, as every approdo process does: the
// surge benchmark needs to see where the Temporal server's share of a case goes too.
// The returned function ends the profile; it must run before the process exits.
func startCPUProfile() (stop func()) {
	dir := os.Getenv("APPRODO_CPUPROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	path := filepath.Join(dir, fmt.Sprintf("temporal-%d.pprof", os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "approdo-devserver: CPU profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "approdo-devserver: CPU profile:", err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
