package devtemporal

import "syscall"

// procAttr puts the server in a process group of its own, so that a Ctrl-C in the
// terminal reaches only its parent, which then stops the stack in order (workers before
// Temporal); and has the kernel send it SIGTERM if the parent dies without stopping it
// (a crashed test binary, a SIGKILL), so no server outlives its parent. Pdeathsig follows
// the OS thread that started the child, and Go only ends threads of goroutines that exit
// while locked to them, which Start's callers do not do.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
