// Package pgcluster creates and runs a private PostgreSQL cluster from the machine's
// Debian binaries, for the one-command dev stack and for tests.
//
// The cluster belongs to the process that starts it: postgres runs as its direct child
// (not daemonised by pg_ctl), so we know its PID, see at once when it dies, and stop it
// without guessing from pid files.
//
// PostgreSQL refuses to run as root. When we are root, initdb and postgres run as the
// `postgres` system user that Debian's package creates, on folders handed to that user.
//
// Authentication is "trust" and the server listens only on 127.0.0.1 or a unix socket:
// such a cluster is for local development and tests, never for a deployment.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// debianBinRoot is where Debian's postgresql-<version> packages install their binaries.
const debianBinRoot = "/usr/lib/postgresql"

// superuser is the role initdb creates and every URL of the cluster uses.
const superuser = "postgres"

// maxSocketPath is the longest unix socket path we accept. The kernel's sun_path holds
// 108 bytes including the terminating NUL; PostgreSQL checks against that too, so keep a
// margin for the ".s.PGSQL.<port>" file and its ".lock" sibling.
const maxSocketPath = 100

// socketFilePattern is the longest name PostgreSQL gives its socket file.
const socketFilePattern = ".s.PGSQL.65535.lock"

// readyTimeout bounds the wait for a new server to accept connections when the caller's
// context has no deadline: crash recovery of a big cluster can take a while, but not
// forever.
const readyTimeout = 2 * time.Minute

// logTailLines is how much of the server log an error message carries.
const logTailLines = 20

// FindBinDir returns the bin folder of the newest PostgreSQL that Debian's packages
// installed, /usr/lib/postgresql/<version>/bin, holding both initdb and postgres.
func FindBinDir() (string, error) {
	entries, err := os.ReadDir(debianBinRoot)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("look for PostgreSQL in %s: %w", debianBinRoot, err)
	}
	var best string
	var bestVersion []int
	for _, e := range entries {
		version, ok := parseVersion(e.Name())
		if !ok {
			continue
		}
		bin := filepath.Join(debianBinRoot, e.Name(), "bin")
		if !isExecutable(filepath.Join(bin, "initdb")) || !isExecutable(filepath.Join(bin, "postgres")) {
			// A client-only package (postgresql-client-N) creates the folder without
			// the server.
			continue
		}
		if best == "" || slices.Compare(version, bestVersion) > 0 {
			best, bestVersion = bin, version
		}
	}
	if best == "" {
		return "", fmt.Errorf("no PostgreSQL server found in %s/<version>/bin (initdb and postgres): install Debian's postgresql package (apt-get install postgresql)", debianBinRoot)
	}
	return best, nil
}

// parseVersion reads a folder name such as "15" or "9.6" (versions before 10 had two
// parts) as numbers, so that 10 sorts after 9.6.
func parseVersion(name string) ([]int, bool) {
	var version []int
	for part := range strings.SplitSeq(name, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		version = append(version, n)
	}
	return version, true
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0
}

// Options describe a cluster.
type Options struct {
	// BinDir holds initdb and postgres; FindBinDir's answer when empty.
	BinDir string
	// DataDir is the cluster's data folder. It is initialised when it has no PG_VERSION
	// and reused as it is otherwise, so a second start keeps the data. Required.
	DataDir string
	// Port is the TCP port on 127.0.0.1; 0 means no TCP at all, only the unix socket.
	Port int
	// SocketDir is the folder of the unix socket. When empty it is "run" next to DataDir,
	// or, if that path is too long for a unix socket (about 100 bytes), a new folder
	// under /tmp that Stop removes.
	SocketDir string
	// LogFile receives the server's output; "postgres.log" next to DataDir when empty.
	LogFile string
	// Ephemeral trades durability for speed, for tests whose data dies with them: no
	// fsync, asynchronous commits, no full-page writes, and an initdb that skips its
	// final sync. A crash of the machine can corrupt such a cluster.
	Ephemeral bool
	// Progress, when set, is told about the slow steps, for a human watching.
	Progress func(msg string)
}

// Cluster is a running PostgreSQL server, child of this process.
type Cluster struct {
	opts  Options
	owner runAs
	cmd   *exec.Cmd
	// tempSocketDir is a socket folder we made up and remove at Stop; empty otherwise.
	tempSocketDir string

	exited  chan struct{} // closed once the server process has been reaped
	exitErr error         // cmd.Wait's answer, readable after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start initialises the cluster if DataDir holds none, starts postgres and returns once
// it accepts connections. When postgres exits during start-up, for example because its
// port is taken, the error carries the end of its log.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	o, tempSocketDir, err := withDefaults(o)
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started && tempSocketDir != "" {
			_ = os.RemoveAll(tempSocketDir)
		}
	}()

	if o.Port > 0 {
		// postgres would fail too, but only after initdb, and an error naming the port
		// is clearer than its log. The check is a courtesy: the port can still be taken
		// between now and postgres binding it, which the log tail then explains.
		if err := checkPortFree(o.Port); err != nil {
			return nil, err
		}
	}
	owner, err := currentRunAs()
	if err != nil {
		return nil, err
	}
	if err := prepareFolders(o, owner); err != nil {
		return nil, err
	}
	// Checked once the folders exist, so that a folder made private by the umask is seen
	// too. Without this, initdb fails as "fork/exec …: permission denied", which names
	// neither the folder nor the cause.
	for _, dir := range []string{o.DataDir, o.SocketDir} {
		if err := owner.checkReachable(dir); err != nil {
			return nil, err
		}
	}

	if _, err := os.Stat(filepath.Join(o.DataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		o.Progress("initialising database cluster in " + o.DataDir + "…")
		if err := initdb(ctx, o, owner); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", o.DataDir, err)
	}

	o.Progress("starting PostgreSQL…")
	c, err := spawn(o, owner)
	if err != nil {
		return nil, err
	}
	c.tempSocketDir = tempSocketDir
	if err := c.waitReady(ctx); err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.Stop(stopCtx)
		return nil, err
	}
	started = true
	return c, nil
}

// withDefaults fills in the options left empty. It returns the socket folder it made
// up, if any, so that Start or Stop can remove it.
func withDefaults(o Options) (Options, string, error) {
	if o.DataDir == "" {
		return o, "", errors.New("pgcluster: Options.DataDir is required")
	}
	if o.Port < 0 || o.Port > 65535 {
		return o, "", fmt.Errorf("pgcluster: port %d is out of range", o.Port)
	}
	var err error
	// postgres reports its data directory as given; an absolute, clean path lets us
	// compare it with ours (see checkIdentity) and survives the change of working folder.
	if o.DataDir, err = filepath.Abs(o.DataDir); err != nil {
		return o, "", err
	}
	if o.BinDir == "" {
		if o.BinDir, err = FindBinDir(); err != nil {
			return o, "", err
		}
	}
	if o.LogFile == "" {
		o.LogFile = filepath.Join(filepath.Dir(o.DataDir), "postgres.log")
	}
	if o.LogFile, err = filepath.Abs(o.LogFile); err != nil {
		return o, "", err
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}

	tempSocketDir := ""
	if o.SocketDir == "" {
		o.SocketDir = filepath.Join(filepath.Dir(o.DataDir), "run")
		if !socketPathFits(o.SocketDir) {
			// Deep project folders easily pass the limit; /tmp never does.
			if o.SocketDir, err = os.MkdirTemp("/tmp", "pgsock-"); err != nil {
				return o, "", fmt.Errorf("create a socket folder: %w", err)
			}
			tempSocketDir = o.SocketDir
		}
	}
	if o.SocketDir, err = filepath.Abs(o.SocketDir); err != nil {
		return o, tempSocketDir, err
	}
	if !socketPathFits(o.SocketDir) {
		return o, tempSocketDir, fmt.Errorf("pgcluster: socket folder %s is too long: a unix socket path must stay under %d bytes; choose a shorter Options.SocketDir", o.SocketDir, maxSocketPath)
	}
	return o, tempSocketDir, nil
}

func socketPathFits(dir string) bool {
	return len(filepath.Join(dir, socketFilePattern)) <= maxSocketPath
}

func checkPortFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("pgcluster: port %d on 127.0.0.1 is already in use (%v): stop what listens there or choose another port", port, err)
	}
	return l.Close()
}

// prepareFolders creates the folders and hands them to the account postgres runs as.
func prepareFolders(o Options, owner runAs) error {
	// Parents are traversable by others, since postgres may run as another user than
	// us. The data folder itself must be private to its owner, or postgres refuses it.
	for _, dir := range []string{filepath.Dir(o.DataDir), o.SocketDir, filepath.Dir(o.LogFile)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	if err := os.Mkdir(o.DataDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", o.DataDir, err)
	}
	// The log is opened here and handed over as a descriptor, so postgres needs no
	// access to it; it is still given to postgres's user, so that whoever starts the
	// cluster next, as root or as that user, can append to it.
	f, err := os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", o.LogFile, err)
	}
	_ = f.Close()
	return owner.own(o.DataDir, o.SocketDir, o.LogFile)
}

func initdb(ctx context.Context, o Options, owner runAs) error {
	args := []string{
		"--pgdata=" + o.DataDir,
		"--username=" + superuser,
		// Trust: anyone who can reach the socket or 127.0.0.1 is let in as any role.
		// Acceptable only because this cluster serves local development and tests.
		"--auth=trust",
		"--encoding=UTF8",
		// C.UTF-8 exists on every Debian system and sorts the same everywhere, so tests
		// do not depend on the machine's locale.
		"--locale=C.UTF-8",
	}
	if o.Ephemeral {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(o.BinDir, "initdb"), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Our own working folder may be closed to the postgres user.
	cmd.Dir = o.DataDir
	cmd.SysProcAttr = owner.procAttr()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s%s", o.DataDir, err, lastLines(out.String(), logTailLines), owner.permissionHint(out.String()))
	}
	return nil
}

// spawn starts postgres and a goroutine that reaps it.
func spawn(o Options, owner runAs) (*Cluster, error) {
	logFile, err := os.OpenFile(o.LogFile, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", o.LogFile, err)
	}
	defer logFile.Close() // the child has its own copy of the descriptor

	cmd := exec.Command(filepath.Join(o.BinDir, "postgres"), serverArgs(o)...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = o.DataDir
	cmd.SysProcAttr = owner.procAttr()
	// If we die without stopping it, the kernel asks postgres for a fast shutdown. Go
	// sets this after switching user, which would otherwise clear it. (The signal fires
	// when the OS thread that started postgres ends; Go keeps its threads alive unless a
	// goroutine exits while locked to one, which nothing here does.)
	cmd.SysProcAttr.Pdeathsig = syscall.SIGINT
	// Its own process group keeps a Ctrl-C in the terminal from reaching postgres
	// directly: we stop it ourselves, after the code that uses it has shut down.
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{opts: o, owner: owner, cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func serverArgs(o Options) []string {
	listen := ""
	port := o.Port
	if port > 0 {
		listen = "127.0.0.1"
	} else {
		// Without TCP the port only names the socket file; keep the usual one.
		port = 5432
	}
	args := []string{
		"-D", o.DataDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=" + listen,
		"-c", "unix_socket_directories=" + o.SocketDir,
		// Parallel tests each hold a pool of their own; the default 100 runs out.
		"-c", "max_connections=200",
	}
	if o.Ephemeral {
		args = append(args,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
		)
	}
	return args
}

func (c *Cluster) waitReady(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readyTimeout)
		defer cancel()
	}
	var lastErr error
	for {
		select {
		case <-c.exited:
			return c.exitedEarly()
		default:
		}
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			return c.checkIdentity(ctx, conn)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections: %w (last attempt: %v); end of %s:\n%s", ctx.Err(), lastErr, c.opts.LogFile, c.logTail())
		case <-c.exited:
			return c.exitedEarly()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func (c *Cluster) exitedEarly() error {
	where := "the unix socket in " + c.opts.SocketDir
	if c.opts.Port > 0 {
		where = "port " + strconv.Itoa(c.opts.Port) + " on 127.0.0.1"
	}
	tail := c.logTail()
	return fmt.Errorf("postgres (%s, %s) exited during start-up: %v; end of %s:\n%s%s", c.opts.DataDir, where, c.exitErr, c.opts.LogFile, tail, c.owner.permissionHint(tail))
}

// checkIdentity makes sure the server that answered is ours: another cluster may have
// got hold of the port or socket first, or another postgres may already run on our data
// folder, in which case ours is about to exit and the connection went to the other one.
func (c *Cluster) checkIdentity(ctx context.Context, conn *pgx.Conn) error {
	defer conn.Close(ctx)
	var dataDir string
	if err := conn.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&dataDir); err != nil {
		return fmt.Errorf("ask postgres for its data directory: %w", err)
	}
	if filepath.Clean(dataDir) != c.opts.DataDir {
		return fmt.Errorf("pgcluster: another PostgreSQL (data directory %s) answers at %s: choose another port or socket folder", dataDir, c.URL("postgres"))
	}
	// The postmaster writes its PID in the lock file before it accepts connections, so
	// a server on our data folder that is ours has our child's PID there.
	if pid, err := c.lockFilePID(); err == nil && pid == c.PID() {
		return nil
	}
	select {
	case <-c.exited:
		return c.exitedEarly()
	case <-time.After(10 * time.Second):
		return fmt.Errorf("pgcluster: another postgres already runs on %s (see %s)", c.opts.DataDir, filepath.Join(c.opts.DataDir, "postmaster.pid"))
	}
}

// lockFilePID reads the first line of postmaster.pid, the PID of the postmaster that
// holds the data folder.
func (c *Cluster) lockFilePID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.opts.DataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.opts.LogFile)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return lastLines(string(b), logTailLines)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// URL returns a pgx connection URL for the database dbname, as the superuser postgres:
// over TCP to 127.0.0.1 when the cluster has a port, through its unix socket otherwise.
func (c *Cluster) URL(dbname string) string {
	u := url.URL{
		Scheme: "postgres",
		User:   url.User(superuser),
		Path:   "/" + dbname,
	}
	q := url.Values{"sslmode": {"disable"}}
	if c.opts.Port > 0 {
		u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(c.opts.Port))
	} else {
		// A host that is a path means a unix socket folder to libpq and pgx.
		q.Set("host", c.opts.SocketDir)
		q.Set("port", "5432")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// SocketDir returns the folder of the cluster's unix socket.
func (c *Cluster) SocketDir() string {
	return c.opts.SocketDir
}

// PID returns the process id of the postgres server (the postmaster).
func (c *Cluster) PID() int {
	return c.cmd.Process.Pid
}

// Stop asks postgres for a fast shutdown (clients are disconnected, data is flushed) and
// waits for it. Once ctx is done it asks for an immediate shutdown (SIGQUIT), and if that
// does not end it within a few seconds, kills the server and its backends. Calling Stop
// again does nothing and returns the first call's result.
func (c *Cluster) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() {
		c.stopErr = c.stop(ctx)
		if c.tempSocketDir != "" {
			_ = os.RemoveAll(c.tempSocketDir)
		}
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
		return fmt.Errorf("postgres did not finish a fast shutdown in time and was shut down immediately: %w", ctx.Err())
	case <-time.After(5 * time.Second):
	}
	// Killing the postmaster alone would leave its backends behind; they share its
	// process group (see Setpgid).
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.exited
	return fmt.Errorf("postgres had to be killed: %w", ctx.Err())
}

// runAs is the account postgres runs as.
type runAs struct {
	uid, gid int
	// switchUser is true when we are root and must become that account.
	switchUser bool
}

// serverUser is the system account Debian's package creates, which PostgreSQL runs as
// when we are root.
const serverUser = "postgres"

func currentRunAs() (runAs, error) {
	if os.Geteuid() != 0 {
		return runAs{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return runAs{}, fmt.Errorf("PostgreSQL refuses to run as root and this machine has no %s user to run it as (%v): install Debian's postgresql package (apt-get install postgresql), or run as an ordinary user", serverUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return runAs{}, fmt.Errorf("pgcluster: uid %q of user postgres: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return runAs{}, fmt.Errorf("pgcluster: gid %q of user postgres: %w", u.Gid, err)
	}
	return runAs{uid: uid, gid: gid, switchUser: true}, nil
}

func (a runAs) procAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{}
	if a.switchUser {
		// An empty group list drops root's supplementary groups.
		attr.Credential = &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: []uint32{}}
	}
	return attr
}

// own hands paths, recursively, to the account postgres runs as. A tree that its top
// already shows as handed over is left alone, so reusing a big cluster stays cheap.
func (a runAs) own(paths ...string) error {
	if !a.switchUser {
		return nil
	}
	for _, path := range paths {
		if info, err := os.Lstat(path); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) == a.uid && int(st.Gid) == a.gid {
				continue
			}
		}
		err := filepath.WalkDir(path, func(p string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, a.uid, a.gid)
		})
		if err != nil {
			return fmt.Errorf("hand %s to the postgres user: %w", path, err)
		}
	}
	return nil
}

// permissionHint explains the usual cause of "Permission denied" when we run as root:
// a parent folder closed to the postgres user.
func (a runAs) permissionHint(output string) string {
	if !a.switchUser || !strings.Contains(output, "Permission denied") {
		return ""
	}
	return "\nhint: running as root, PostgreSQL runs as the postgres user, which must be able to enter every parent folder of the data, socket and log folders (chmod o+x)"
}

// UnreachableError says that the account PostgreSQL runs as cannot reach one of the
// cluster's folders, because a folder on the way is closed to it.
type UnreachableError struct {
	// Path is the cluster's folder.
	Path string
	// Closed is the first folder on the way that the account may not enter.
	Closed string
	// Mode is Closed's permission bits.
	Mode fs.FileMode
	// User names the account PostgreSQL runs as.
	User string
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("run as root, PostgreSQL runs as the %s user, which may not enter %s (mode %04o) on the way to %s: put the cluster in a folder that user can reach, such as one under /var/lib or /tmp", e.User, e.Closed, e.Mode.Perm(), e.Path)
}

// CheckReachable returns an *UnreachableError when PostgreSQL, started by this process,
// could not reach dir: when we are root it runs as the postgres user, and every folder
// above dir must let that user in. A folder that does not exist yet is taken as
// reachable, since Start creates the missing ones open to all (umask permitting; Start
// checks again once they exist). For anyone but root the answer is always nil: PostgreSQL
// runs as ourselves.
func CheckReachable(dir string) error {
	owner, err := currentRunAs()
	if err != nil {
		return err
	}
	return owner.checkReachable(dir)
}

// checkReachable looks at the permission bits of every existing folder above dir, as the
// kernel does for the account's uid and its only group (procAttr drops the others).
// Access control lists are not read: a folder they open to postgres is reported closed,
// which errs on the safe side.
func (a runAs) checkReachable(dir string) error {
	if !a.switchUser {
		return nil
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// The existing part of the path, with its symbolic links resolved: only the real
	// folders' permissions matter, a link's own never do.
	existing := filepath.Dir(dir)
	for {
		resolved, err := filepath.EvalSymlinks(existing)
		if err == nil {
			existing = resolved
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("inspect %s: %w", existing, err)
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return nil
		}
		existing = parent
	}
	var folders []string
	for f := existing; ; f = filepath.Dir(f) {
		folders = append(folders, f)
		if filepath.Dir(f) == f {
			break
		}
	}
	// From the root down, so that the first closed folder is the one named.
	for _, f := range slices.Backward(folders) {
		info, err := os.Stat(f)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", f, err)
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		if !a.mayEnter(info.Mode(), int(st.Uid), int(st.Gid)) {
			return &UnreachableError{Path: dir, Closed: f, Mode: info.Mode(), User: serverUser}
		}
	}
	return nil
}

// mayEnter applies the kernel's rule: the owner's bits for the owner, else the group's
// for the group, else the others'.
func (a runAs) mayEnter(mode fs.FileMode, uid, gid int) bool {
	switch {
	case uid == a.uid:
		return mode&0o100 != 0
	case gid == a.gid:
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}

// TempDir is where to make temporary folders for a cluster: os.TempDir(), or /tmp when
// PostgreSQL could not reach the former (root with TMPDIR in a private folder).
func TempDir() string {
	dir := os.TempDir()
	if CheckReachable(filepath.Join(dir, "cluster")) != nil {
		return "/tmp"
	}
	return dir
}
