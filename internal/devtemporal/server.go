package devtemporal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/approdo/approdo/internal/devtls"
	"github.com/approdo/approdo/internal/temporalconn"
)

// readyPrefix starts the one line approdo-devserver prints on stdout once it serves.
const readyPrefix = "approdo-devserver ready "

// startTimeout bounds a start when the caller's context has no earlier deadline. The
// server is ready in about half a second here; this leaves room for a loaded CI machine.
const startTimeout = 2 * time.Minute

// Options describe the dev server that Start runs.
type Options struct {
	// BinPath is the approdo-devserver binary, e.g. DefaultBinPath after Build.
	BinPath string
	// IP is the address every listener binds to; empty means 127.0.0.1.
	IP string
	// Port is the frontend's gRPC port; 0 picks a free one.
	Port int
	// UIPort is the Web UI's port; 0 picks a free one. Unused when Headless.
	UIPort int
	// Headless runs the server without the Web UI.
	Headless bool
	// DBFile is the SQLite database file, created with its schema if missing; empty
	// keeps everything in memory, gone when the server stops.
	DBFile string
	// Retention is how long closed workflows are kept. It is applied at every start,
	// also to a namespace that exists already; 0 means the binary's default, 30 days.
	Retention time.Duration
	// LogFile receives the server's log (its stderr), appended; empty discards it.
	// Either way the end of the log is kept for the error of a failed start.
	LogFile string
	// Namespace is created if missing; empty means "default".
	Namespace string
	// Postgres, when set, puts persistence and visibility on PostgreSQL; DBFile must
	// then be empty.
	Postgres *Postgres
	// TLS, when set, makes the frontend serve TLS only, with the server certificate of
	// these files (see package devtls); the Web UI then connects with TLS too.
	// MutualTLS also requires clients to present a certificate signed by their CA.
	// Server.Connection tells clients how to connect either way.
	TLS       *devtls.Files
	MutualTLS bool
	// CodecEndpoint is the Web UI's codec server (Approdo's API, …/codec), which the
	// browser calls with its cookies; empty leaves payloads opaque in the UI.
	CodecEndpoint string
}

// Server is a running approdo-devserver process.
type Server struct {
	cmd      *exec.Cmd
	hostPort string
	uiURL    string
	conn     temporalconn.Settings
	log      *logTail

	// exited is closed once the process has ended; waitErr is then how it ended.
	exited  chan struct{}
	waitErr error

	stopOnce sync.Once
	stopErr  error
}

// Start runs the binary as a child process and returns once it has printed its ready
// line and its frontend answers a health check. If the process ends before that, the
// error carries the lines of its log that say why. ctx bounds the start only (to two
// minutes at most); the server then runs until Stop, or until this process dies (on
// Linux, where the kernel then stops it).
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.BinPath == "" {
		return nil, errors.New("devtemporal: Options.BinPath is empty")
	}
	if _, err := os.Stat(o.BinPath); err != nil {
		return nil, fmt.Errorf("no Temporal dev server binary (build it with `make devserver`): %w", err)
	}
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	var err error
	if o.Port == 0 {
		if o.Port, err = FreePort(o.IP); err != nil {
			return nil, err
		}
	}
	if o.UIPort == 0 && !o.Headless {
		if o.UIPort, err = FreePort(o.IP); err != nil {
			return nil, err
		}
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
	if o.Retention != 0 {
		args = append(args, "-retention", o.Retention.String())
	}
	args = append(args, o.Postgres.args()...)
	var conn temporalconn.Settings
	if o.TLS != nil {
		// The server's own clients (system worker, Web UI) present the client
		// certificate, as Approdo's processes do.
		args = append(args, "-tls-cert", o.TLS.ServerCert, "-tls-key", o.TLS.ServerKey, "-tls-ca", o.TLS.CA,
			"-tls-client-cert", o.TLS.ClientCert, "-tls-client-key", o.TLS.ClientKey, "-tls-server-name", devtls.ServerName)
		conn = temporalconn.Settings{CAFile: o.TLS.CA, ServerName: devtls.ServerName}
		if o.MutualTLS {
			args = append(args, "-tls-client-auth")
			conn.CertFile, conn.KeyFile = o.TLS.ClientCert, o.TLS.ClientKey
		}
	} else if o.MutualTLS {
		return nil, errors.New("devtemporal: Options.MutualTLS needs Options.TLS")
	}
	if o.CodecEndpoint != "" && !o.Headless {
		args = append(args, "-codec-endpoint", o.CodecEndpoint)
	}

	// The server binds its internal services to ports chosen free a moment before; on a
	// busy machine another process can take one in between, and the server then exits.
	// Another try picks other ports.
	var lastErr error
	for attempt := 1; attempt <= portRaceAttempts; attempt++ {
		s, err := start(ctx, o, args, conn)
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			return s, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// portRaceAttempts is how many times a start that lost a port race is tried.
const portRaceAttempts = 3

func start(ctx context.Context, o Options, args []string, conn temporalconn.Settings) (*Server, error) {
	var err error
	s := &Server{log: &logTail{max: 64 << 10}, exited: make(chan struct{}), conn: conn}
	var logOut io.Writer = s.log
	var logFile *os.File
	if o.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(o.LogFile), 0o755); err != nil {
			return nil, fmt.Errorf("create the folder of %s: %w", o.LogFile, err)
		}
		logFile, err = os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("open the Temporal log: %w", err)
		}
		logOut = io.MultiWriter(logFile, s.log)
	}
	ready := make(chan string, 1)
	s.cmd = exec.Command(o.BinPath, args...)
	s.cmd.Stderr = logOut
	s.cmd.Env = o.Postgres.env()
	// Apart from the ready line, stdout only carries what the Web UI prints when it
	// fails, which belongs with the log.
	s.cmd.Stdout = &stdoutScanner{ready: ready, other: logOut}
	s.cmd.SysProcAttr = procAttr()
	if err := s.cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return nil, fmt.Errorf("start %s: %w", o.BinPath, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		if logFile != nil {
			logFile.Close()
		}
		close(s.exited)
	}()

	if err := s.waitReady(ctx, ready, o.Namespace); err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(stopCtx)
		return nil, err
	}
	return s, nil
}

// waitReady waits for the ready line, then for the frontend to answer health checks.
func (s *Server) waitReady(ctx context.Context, ready <-chan string, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	select {
	case line := <-ready:
		for _, field := range strings.Fields(strings.TrimPrefix(line, readyPrefix)) {
			key, value, _ := strings.Cut(field, "=")
			switch {
			case key == "frontend":
				s.hostPort = value
			case key == "ui" && value != "none":
				s.uiURL = value
			}
		}
		if s.hostPort == "" {
			return fmt.Errorf("the Temporal dev server's ready line names no frontend: %q", line)
		}
	case <-s.exited:
		return s.failure("exited during start-up", s.waitErr)
	case <-ctx.Done():
		return s.failure("did not get ready", ctx.Err())
	}

	// The SDK's default logger would print to stdout; the caller has its own output.
	quiet := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	var lastErr error
	for {
		lastErr = checkHealth(ctx, s.hostPort, s.conn, namespace, quiet)
		if lastErr == nil {
			return nil
		}
		select {
		case <-s.exited:
			return s.failure("exited during start-up", s.waitErr)
		case <-ctx.Done():
			return s.failure("does not answer health checks", lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func checkHealth(ctx context.Context, hostPort string, conn temporalconn.Settings, namespace string, logger sdklog.Logger) error {
	opts := client.Options{HostPort: hostPort, Namespace: namespace, Logger: logger}
	if err := conn.Apply(&opts); err != nil {
		return err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// failure describes a failed start, with the lines of the server's log that explain it.
func (s *Server) failure(what string, cause error) error {
	return fmt.Errorf("the Temporal dev server %s: %v; its log ends with:\n%s", what, cause, s.log.excerpt())
}

// HostPort is the frontend's gRPC address, for client.Options.HostPort.
func (s *Server) HostPort() string {
	return s.hostPort
}

// Connection is how a client connects to the frontend: plain text, TLS with the dev CA,
// or mutual TLS with the dev client certificate. Pass it to temporalconn's Apply.
func (s *Server) Connection() temporalconn.Settings {
	return s.conn
}

// UIURL is the Web UI's base URL, like http://127.0.0.1:8233, or "" when headless.
func (s *Server) UIURL() string {
	return s.uiURL
}

// PID is the server's process ID.
func (s *Server) PID() int {
	return s.cmd.Process.Pid
}

// Stop asks the server to stop (SIGINT), waits for it, and kills it if ctx ends first.
// It returns an error if the server had to be killed or did not exit cleanly, e.g.
// because it crashed earlier. Calling it again returns the same result.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	select {
	case <-s.exited:
		// It ended on its own, which a server should not do.
		if s.waitErr != nil {
			return fmt.Errorf("the Temporal dev server had already stopped: %w; its log ends with:\n%s", s.waitErr, s.log.excerpt())
		}
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		// Without SIGINT (e.g. on Windows) there is only the hard way.
		_ = s.cmd.Process.Kill()
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			return fmt.Errorf("the Temporal dev server did not stop cleanly: %w; its log ends with:\n%s", s.waitErr, s.log.excerpt())
		}
		return nil
	case <-ctx.Done():
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("the Temporal dev server did not stop in time and was killed: %w", ctx.Err())
	}
}

// stdoutScanner hands the ready line to ready and writes every other line to other.
type stdoutScanner struct {
	ready   chan<- string
	other   io.Writer
	partial []byte
	seen    bool
}

func (w *stdoutScanner) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := w.partial[:i+1]
		if text := strings.TrimSpace(string(line)); !w.seen && strings.HasPrefix(text, readyPrefix) {
			w.seen = true
			w.ready <- text
		} else if _, err := w.other.Write(line); err != nil {
			return len(p), err
		}
		w.partial = w.partial[i+1:]
	}
}

// logTail keeps the last max bytes of the server's log.
type logTail struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *logTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// excerpt returns the lines that explain a failure: the binary's own error lines and the
// server's fatal and error entries, whose Go stack traces would otherwise push them out
// of a plain tail. Without any, it returns the last lines.
func (t *logTail) excerpt() string {
	t.mu.Lock()
	lines := strings.Split(strings.TrimRight(string(t.buf), "\n"), "\n")
	t.mu.Unlock()
	var key []string
	for _, line := range lines {
		if strings.HasPrefix(line, "approdo-devserver:") || strings.Contains(line, "\tfatal\t") ||
			strings.Contains(line, "\terror\t") || strings.HasPrefix(line, "panic:") {
			key = append(key, line)
		}
	}
	if len(key) == 0 {
		key = lines
	}
	if len(key) > 20 {
		key = key[len(key)-20:]
	}
	return strings.Join(key, "\n")
}
