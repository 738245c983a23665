package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// startCPUProfile writes a CPU profile of this process to APPRODO_CPUPROFILE_DIR, named
// after the command and the process (worker-1234.pprof), when that variable is set: the
// way to see where a surge's CPU goes in the worker and the API that `approdo bench
// surge` or `approdo prodlike` start, which inherit the variable. The returned function
// ends the profile; a process killed with SIGKILL leaves an empty or truncated one.
func startCPUProfile(args []string) (stop func()) {
	dir := os.Getenv("APPRODO_CPUPROFILE_DIR")
	if dir == "" || len(args) == 0 {
		return func() {}
	}
	name := filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", filepath.Base(args[0]), os.Getpid()))
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "approdo: no CPU profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "approdo: no CPU profile:", err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
