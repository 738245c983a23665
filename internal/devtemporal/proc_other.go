//go:build !linux

package devtemporal

import "syscall"

// procAttr changes nothing outside Linux, which alone has Pdeathsig. The server stays in
// its parent's process group there, so that at least a Ctrl-C in the terminal still
// reaches it if the parent dies first.
func procAttr() *syscall.SysProcAttr {
	return nil
}
