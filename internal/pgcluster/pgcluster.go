// Package pgcluster creates and runs a private PostgreSQL cluster from the machine's
// Debian binaries, for the dev stack and for tests. The cluster belongs to the process that
// starts it: postgres runs as its direct child, so stopping it needs no pid-file guessing.
//
// PostgreSQL refuses to run as root. When we are root, initdb and postgres run as the
// `postgres` system user that Debian's package creates, on folders that user owns.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// debianBinRoot is where Debian's postgresql-<version> packages install their binaries.
const debianBinRoot = "/usr/lib/postgresql"

// superuser is the role initdb creates. Authentication is "trust": the cluster listens
// only on loopback or a private socket and serves local development and tests, never a
// deployment.
const superuser = "postgres"

// FindBinDir returns the bin folder of the newest PostgreSQL installed by Debian.
func FindBinDir() (string, error) {
	entries, err := os.ReadDir(debianBinRoot)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("look for PostgreSQL in %s: %w", debianBinRoot, err)
	}
	var versions []int
	for _, e := range entries {
		v, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		bin := filepath.Join(debianBinRoot, e.Name(), "bin")
		if isExecutable(filepath.Join(bin, "initdb")) && isExecutable(filepath.Join(bin, "postgres")) {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		return "", fmt.Errorf("no PostgreSQL server binaries under %s/<version>/bin: install Debian's postgresql package (apt-get install postgresql)", debianBinRoot)
	}
	sort.Ints(versions)
	return filepath.Join(debianBinRoot, strconv.Itoa(versions[len(versions)-1]), "bin"), nil
}

func checkPortFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on 127.0.0.1 is already in use: stop what listens there or choose another port", port)
	}
	return l.Close()
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode()&0o111 != 0
}

// Options describe a cluster.
type Options struct {
	// BinDir holds initdb and postgres; FindBinDir's answer when empty.
	BinDir string
	// DataDir is the cluster's data folder. It is initialised when it has no PG_VERSION,
	// and reused as it is otherwise, so a second start keeps the data.
	DataDir string
	// Port is the TCP port on 127.0.0.1; 0 listens on the unix socket only.
	Port int
	// SocketDir is the folder of the unix socket; "<DataDir>/../run" when empty. A socket
	// path must stay under about 100 bytes.
	SocketDir string
	// LogFile receives the server's log; "<DataDir>/../postgres.log" when empty.
	LogFile string
	// Ephemeral trades durability for speed, for tests whose data dies with them.
	Ephemeral bool
	// Progress, when set, is told about the slow steps.
	Progress func(msg string)
}

// Cluster is a running PostgreSQL server.
type Cluster struct {
	opts     Options
	cmd      *exec.Cmd
	exited   chan struct{}
	exitErr  error
	stopOnce sync.Once
	stopErr  error
}

// Start initialises the cluster if needed, starts postgres, and returns once it accepts
// connections.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if o.DataDir == "" {
		return nil, errors.New("pgcluster: DataDir is required")
	}
	var err error
	if o.DataDir, err = filepath.Abs(o.DataDir); err != nil {
		return nil, err
	}
	if o.BinDir == "" {
		if o.BinDir, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	if o.SocketDir == "" {
		o.SocketDir = filepath.Join(filepath.Dir(o.DataDir), "run")
	}
	if o.LogFile == "" {
		o.LogFile = filepath.Join(filepath.Dir(o.DataDir), "postgres.log")
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	if len(filepath.Join(o.SocketDir, ".s.PGSQL.65535")) > 100 {
		return nil, fmt.Errorf("pgcluster: socket folder %s is too long for a unix socket path", o.SocketDir)
	}

	if o.Port > 0 {
		if err := checkPortFree(o.Port); err != nil {
			return nil, err
		}
	}
	owner, err := runAs()
	if err != nil {
		return nil, err
	}
	// Parents are made traversable, since postgres may run as another user than us; the
	// data folder itself must be private to postgres, or it refuses to start.
	for _, dir := range []string{filepath.Dir(o.DataDir), o.SocketDir, filepath.Dir(o.LogFile)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	if err := os.Mkdir(o.DataDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create %s: %w", o.DataDir, err)
	}
	if err := owner.own(o.DataDir, o.SocketDir); err != nil {
		return nil, err
	}

	if _, err := os.Stat(filepath.Join(o.DataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		o.Progress("initialising a new PostgreSQL cluster in " + o.DataDir)
		if err := initdb(ctx, o, owner); err != nil {
			return nil, err
		}
	}

	logFile, err := os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", o.LogFile, err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	o.Progress("starting PostgreSQL")
	cmd := exec.Command(filepath.Join(o.BinDir, "postgres"), serverArgs(o)...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = o.DataDir
	cmd.SysProcAttr = owner.procAttr()
	// If we die without stopping it, the kernel asks postgres for a fast shutdown.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGINT
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{opts: o, cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()
	if err := c.waitReady(ctx); err != nil {
		_ = c.Stop(context.Background())
		return nil, err
	}
	return c, nil
}

func serverArgs(o Options) []string {
	listen := ""
	if o.Port > 0 {
		listen = "127.0.0.1"
	}
	port := o.Port
	if port == 0 {
		// With TCP off the port only names the socket file; keep the standard one.
		port = 5432
	}
	args := []string{
		"-D", o.DataDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=" + listen,
		"-c", "unix_socket_directories=" + o.SocketDir,
		"-c", "max_connections=200",
	}
	if o.Ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	return args
}

func initdb(ctx context.Context, o Options, owner account) error {
	args := []string{"-D", o.DataDir, "--username=" + superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"}
	if o.Ephemeral {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(o.BinDir, "initdb"), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = owner.procAttr()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", o.DataDir, err, lastLines(out.String(), 15))
	}
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var lastErr error
	for {
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during start-up (%v); end of %s:\n%s", c.exitErr, c.opts.LogFile, c.logTail())
		default:
		}
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			return c.checkIdentity(ctx, conn)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections: %w; end of %s:\n%s", lastErr, c.opts.LogFile, c.logTail())
		case <-c.exited:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// checkIdentity makes sure the server answering is ours. postgres only warns when it
// cannot bind its TCP port and carries on with its socket, so without this check a busy
// port would silently connect us to somebody else's cluster.
func (c *Cluster) checkIdentity(ctx context.Context, conn *pgx.Conn) error {
	defer conn.Close(ctx)
	var dataDir string
	if err := conn.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&dataDir); err != nil {
		return fmt.Errorf("ask postgres for its data directory: %w", err)
	}
	if filepath.Clean(dataDir) != c.opts.DataDir {
		return fmt.Errorf("port %d is served by another PostgreSQL (data directory %s): choose another port", c.opts.Port, dataDir)
	}
	return nil
}

func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.opts.LogFile)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return lastLines(string(b), 15)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// URL returns a connection URL for the database dbname.
func (c *Cluster) URL(dbname string) string {
	if c.opts.Port > 0 {
		return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, c.opts.Port, dbname)
	}
	return fmt.Sprintf("postgres://%s@/%s?host=%s&port=5432&sslmode=disable", superuser, dbname, c.opts.SocketDir)
}

// PID is the process id of the postgres server.
func (c *Cluster) PID() int {
	return c.cmd.Process.Pid
}

// Stop asks postgres for a fast shutdown (clients are disconnected, data is flushed) and
// waits for it. Past ctx's deadline it asks for an immediate shutdown, then kills. Calling
// it again is harmless.
func (c *Cluster) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() {
		c.stopErr = c.stop(ctx)
	})
	return c.stopErr
}

func (c *Cluster) stop(ctx context.Context) error {
	select {
	case <-c.exited:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
		return nil
	case <-ctx.Done():
	}
	_ = c.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.exited:
		return fmt.Errorf("postgres needed an immediate shutdown: %w", ctx.Err())
	case <-time.After(5 * time.Second):
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
	return fmt.Errorf("postgres had to be killed: %w", ctx.Err())
}

// account is the user postgres runs as.
type account struct {
	uid, gid int
	switchTo bool // true when we are root and must become that user
}

func runAs() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return account{}, fmt.Errorf("running as root, PostgreSQL must run as the postgres system user, which was not found (install Debian's postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return account{uid: uid, gid: gid, switchTo: true}, nil
}

func (a account) procAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{}
	if a.switchTo {
		attr.Credential = &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: []uint32{}}
	}
	return attr
}

// own hands the folders to the account postgres runs as. Their parents must let that
// account through; the error from postgres says so when they do not.
func (a account) own(dirs ...string) error {
	if !a.switchTo {
		return nil
	}
	for _, dir := range dirs {
		err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, a.uid, a.gid)
		})
		if err != nil {
			return fmt.Errorf("hand %s to the postgres user: %w", dir, err)
		}
	}
	return nil
}
