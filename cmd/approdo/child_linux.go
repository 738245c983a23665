package main

import "syscall"

// childProcAttr puts a child in a process group of its own, so that Ctrl-C in the
// terminal reaches `approdo prodlike` only, which then stops the parts in order; and has
// the kernel kill it if prodlike dies without stopping it, so that no worker outlives
// the topology it belonged to.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
