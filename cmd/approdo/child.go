package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// child is an approdo process that `approdo prodlike` started: a worker, an API, or a
// one-shot command such as migrate. Its output goes to a log file; the end of it is kept
// for the error of a failed start.
type child struct {
	name string
	cmd  *exec.Cmd
	log  *watchedLog

	// exited is closed once the process has been reaped; err is then how it ended.
	exited chan struct{}
	err    error
	// stopping is set before we ask it to stop, killed when we killed it: either way
	// its end is no surprise.
	stopping, killed atomic.Bool
}

// startProcess starts bin with args and env, its output appended to logFile. readyText,
// when not empty, is a text whose first appearance in the output waitLine waits for.
func startProcess(name string, args []string, bin string, env []string, logFile, readyText string) (*child, error) {
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open the log of %s: %w", name, err)
	}
	c := &child{name: name, exited: make(chan struct{}), log: &watchedLog{file: f, text: readyText, seen: make(chan struct{})}}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = env
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	c.cmd.SysProcAttr = childProcAttr()
	if err := c.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		f.Close()
		close(c.exited)
	}()
	return c, nil
}

// PID is the process's id.
func (c *child) PID() int { return c.cmd.Process.Pid }

// Signal sends sig to the process, unless it has ended.
func (c *child) Signal(sig os.Signal) error {
	select {
	case <-c.exited:
		return nil
	default:
		return c.cmd.Process.Signal(sig)
	}
}

// Kill ends the process at once (SIGKILL), as a crash or an OOM kill would: it gets no
// chance to finish anything.
func (c *child) Kill() error {
	c.killed.Store(true)
	return c.Signal(syscall.SIGKILL)
}

// Wait waits for the process to end, killing it if ctx ends first, and says how it ended.
func (c *child) Wait(ctx context.Context) error {
	select {
	case <-c.exited:
	case <-ctx.Done():
		_ = c.Kill()
		<-c.exited
		return fmt.Errorf("did not stop in time and was killed")
	}
	return c.err
}

// waitLine waits for the ready text in the output, or for the process to end.
func (c *child) waitLine(ctx context.Context) error {
	select {
	case <-c.log.seen:
		return nil
	case <-c.exited:
		return fmt.Errorf("%s ended during start-up (%v); its log ends with:\n%s", c.name, c.err, c.tail())
	case <-ctx.Done():
		return fmt.Errorf("%s did not get ready: %w; its log ends with:\n%s", c.name, ctx.Err(), c.tail())
	}
}

// tail is the end of the process's output.
func (c *child) tail() string { return c.log.tail() }

// watchedLog writes a process's output to its file, keeps the end of it, and closes
// seen when text first appears in it.
type watchedLog struct {
	file io.Writer
	text string

	mu   sync.Mutex
	last []byte
	seen chan struct{}
	once sync.Once
}

// watchedTail is how much of the output a watchedLog keeps.
const watchedTail = 16 << 10

func (l *watchedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.last = append(l.last, p...)
	if over := len(l.last) - watchedTail; over > 0 {
		l.last = append(l.last[:0], l.last[over:]...)
	}
	found := l.text != "" && bytes.Contains(l.last, []byte(l.text))
	l.mu.Unlock()
	if found {
		l.once.Do(func() { close(l.seen) })
	}
	return l.file.Write(p)
}

func (l *watchedLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(l.last), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
