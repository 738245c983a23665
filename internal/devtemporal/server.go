package devtemporal

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
)

// readyPrefix starts the line the binary prints once its frontend serves.
const readyPrefix = "approdo-devserver ready "

// Options describe a dev server to start.
type Options struct {
	BinPath string
	IP      string // default 127.0.0.1
	Port    int    // frontend gRPC port
	UIPort  int    // Web UI port; ignored when Headless
	// Headless runs without the Web UI.
	Headless bool
	// DBFile is the SQLite file; empty keeps everything in memory.
	DBFile string
	// Retention of closed workflows; the binary's default (30 days) when zero.
	Retention time.Duration
	// LogFile receives the server's log; when empty the log is kept in memory, and its end
	// is shown if the server fails to start.
	LogFile   string
	Namespace string // default "default"
}

// Server is a running dev server.
type Server struct {
	opts    Options
	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
	log     *tailBuffer
	uiURL   string

	stopOnce sync.Once
	stopErr  error
}

// Start starts the binary and returns once its frontend answers health checks.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	args := []string{"-ip", o.IP, "-port", strconv.Itoa(o.Port), "-namespace", o.Namespace}
	if o.Headless {
		args = append(args, "-headless")
	} else {
		args = append(args, "-ui-port", strconv.Itoa(o.UIPort))
	}
	if o.DBFile != "" {
		args = append(args, "-db-file", o.DBFile)
	}
	if o.Retention > 0 {
		args = append(args, "-retention", o.Retention.String())
	}

	s := &Server{opts: o, exited: make(chan struct{}), log: &tailBuffer{max: 64 << 10}}
	var logOut io.Writer = s.log
	if o.LogFile != "" {
		f, err := os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", o.LogFile, err)
		}
		defer f.Close() // the child has its own descriptor
		logOut = io.MultiWriter(f, s.log)
	}
	s.cmd = exec.Command(o.BinPath, args...)
	s.cmd.Stderr = logOut
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// If we die without stopping it, the kernel stops the server for us.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.BinPath, err)
	}
	ready := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if line := scanner.Text(); strings.HasPrefix(line, readyPrefix) {
				ready <- line
			}
		}
	}()
	go func() {
		s.exitErr = s.cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx, ready); err != nil {
		_ = s.Stop(context.Background())
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, ready <-chan string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	select {
	case line := <-ready:
		for _, field := range strings.Fields(strings.TrimPrefix(line, readyPrefix)) {
			if v, ok := strings.CutPrefix(field, "ui="); ok && v != "none" {
				s.uiURL = v
			}
		}
	case <-s.exited:
		return fmt.Errorf("the Temporal dev server exited during start-up (%v); its log ends with:\n%s", s.exitErr, s.log.String())
	case <-ctx.Done():
		return fmt.Errorf("the Temporal dev server did not become ready: %w; its log ends with:\n%s", ctx.Err(), s.log.String())
	}

	c, err := client.DialContext(ctx, client.Options{HostPort: s.HostPort(), Namespace: s.opts.Namespace})
	if err != nil {
		return fmt.Errorf("connect to the Temporal dev server: %w", err)
	}
	defer c.Close()
	for {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the Temporal dev server is not healthy: %w", err)
		case <-s.exited:
			return fmt.Errorf("the Temporal dev server exited (%v); its log ends with:\n%s", s.exitErr, s.log.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// HostPort is the frontend's gRPC address.
func (s *Server) HostPort() string {
	return net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.Port))
}

// UIURL is the Web UI's base URL, or "" when headless.
func (s *Server) UIURL() string {
	return s.uiURL
}

// PID is the server's process id.
func (s *Server) PID() int {
	return s.cmd.Process.Pid
}

// Stop asks the server to stop (SIGINT) and waits; past ctx's deadline it kills it.
// Calling it again is harmless.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		select {
		case <-s.exited:
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-ctx.Done():
			_ = s.cmd.Process.Kill()
			<-s.exited
			s.stopErr = fmt.Errorf("the Temporal dev server had to be killed: %w", ctx.Err())
		}
	})
	return s.stopErr
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(t.buf), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// FreePort returns a TCP port on ip that nothing listens on right now.
func FreePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
