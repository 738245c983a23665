// Command approdo-devserver runs a real Temporal server, with every service in one process,
// on SQLite (or on PostgreSQL, as in production: see postgres.go and `make prodlike`),
// together with the Temporal Web UI. Approdo's one-command dev stack and its
// integration tests run it as a child process (see internal/devtemporal in the root
// module). It is a module of its own so that Approdo's service never depends on the
// Temporal server, and it is compiled from Go modules, so nothing is downloaded at run time.
//
// Usage:
//
//	approdo-devserver [flags]
//
// Flags:
//
//	-ip ADDR          IP address every listener binds to (default 127.0.0.1)
//	-port N           frontend gRPC port (default 7233)
//	-http-port N      frontend HTTP API port; 0 picks a free one (default 0)
//	-ui-port N        Web UI port (default 8233)
//	-headless         do not start the Web UI
//	-db-file PATH     SQLite database file, created with its schema if missing, opened
//	                  in WAL mode with synchronous=NORMAL; empty keeps everything in
//	                  memory (default "")
//	-namespace NAME   namespace to create if missing; repeat for more (default "default")
//	-retention D      retention of closed workflows in every -namespace, applied at
//	                  every start, also to namespaces that already exist (default 720h)
//	-log-level L      server log level on stderr: debug, info, warn, error (default warn)
//	-codec-endpoint U the Web UI's codec server (codec.go), called with the browser's
//	                  cookies, e.g. Approdo's http://127.0.0.1:8080/codec (default none)
//	-tls-cert FILE, -tls-key FILE
//	                  serve the frontend (gRPC and HTTP) with TLS only; needs -tls-ca
//	-tls-ca FILE      CA the server's own clients (system worker, Web UI) verify the
//	                  frontend with, and client certificates must chain to
//	-tls-client-auth  require client certificates signed by -tls-ca (mutual TLS)
//	-tls-client-cert FILE, -tls-client-key FILE
//	                  the certificate the server's own clients present (needed with
//	                  -tls-client-auth)
//	-tls-server-name N
//	                  name those clients verify in the frontend's certificate (default:
//	                  the -ip address)
//	-postgres-host H  put persistence and visibility (advanced visibility, PostgreSQL 12+)
//	                  on PostgreSQL instead of SQLite; with -postgres-port, -postgres-user,
//	                  -postgres-db, -postgres-visibility-db and more (see postgres.go)
//
// Once the frontend serves (and the Web UI listens, unless -headless), it prints exactly
// one line to stdout and keeps running:
//
//	approdo-devserver ready frontend=127.0.0.1:7233 ui=http://127.0.0.1:8233
//
// with ui=none when headless. SIGINT or SIGTERM stops the Web UI, then the server, and
// exits 0; a second signal exits at once. A failed start exits 1 (2 for bad flags) with
// the reason on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// clusterName names the single cluster; namespaces are local to it.
const clusterName = "active"

// startTimeout bounds how long the frontend may take to serve after the server started.
// It starts in well under a second here; a minute leaves room for a loaded CI machine.
const startTimeout = time.Minute

// minRetention is the server's default system.namespaceMinRetentionLocal.
const minRetention = time.Hour

// options are the parsed flags.
type options struct {
	ip         string
	port       int
	httpPort   int
	uiPort     int
	headless   bool
	dbFile     string
	namespaces []string
	retention  time.Duration
	codec      string // -codec-endpoint, see codec.go
	logLevel   string
	tls        tlsOptions      // see tls.go
	postgres   postgresOptions // see postgres.go
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "approdo-devserver:", err)
		os.Exit(2)
	}
	stopProfile := startCPUProfile()
	err = run(o)
	stopProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "approdo-devserver:", err)
		os.Exit(1)
	}
}

// stringList is a flag that may be given more than once.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	*l = append(*l, v)
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var namespaces stringList
	fs := flag.NewFlagSet("approdo-devserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.ip, "ip", "127.0.0.1", "IP address every listener binds to")
	fs.IntVar(&o.port, "port", 7233, "frontend gRPC port")
	fs.IntVar(&o.httpPort, "http-port", 0, "frontend HTTP API port (0 = a free one)")
	fs.IntVar(&o.uiPort, "ui-port", 8233, "Web UI port")
	fs.BoolVar(&o.headless, "headless", false, "do not start the Web UI")
	fs.StringVar(&o.dbFile, "db-file", "", "SQLite database file (empty = in memory)")
	fs.Var(&namespaces, "namespace", `namespace to create if missing; repeatable (default "default")`)
	fs.DurationVar(&o.retention, "retention", 30*24*time.Hour, "retention of closed workflows, applied at every start")
	fs.StringVar(&o.logLevel, "log-level", "warn", "server log level: debug, info, warn, error")
	fs.StringVar(&o.codec, "codec-endpoint", "", "the Web UI's codec server URL, called with the browser's cookies (empty = none)")
	o.tls.register(fs)
	o.postgres.register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	o.namespaces = namespaces
	if len(o.namespaces) == 0 {
		o.namespaces = []string{"default"}
	}
	if net.ParseIP(o.ip) == nil {
		return o, fmt.Errorf("-ip %q is not an IP address", o.ip)
	}
	for name, port := range map[string]int{"-port": o.port, "-http-port": o.httpPort, "-ui-port": o.uiPort} {
		if port < 0 || port > 65535 || (port == 0 && name != "-http-port") {
			return o, fmt.Errorf("%s %d is not a usable TCP port", name, port)
		}
	}
	// The server rejects retentions under an hour (its minimum for local namespaces), but
	// only when UpdateNamespace applies them, not when a namespace is created in the
	// database. Checking here fails both cases alike, and before anything starts.
	if o.retention < minRetention {
		return o, fmt.Errorf("-retention must be at least %s (the server's minimum), not %s", minRetention, o.retention)
	}
	switch o.logLevel {
	case "debug", "info", "warn", "error":
	default:
		return o, fmt.Errorf("-log-level %q is not one of debug, info, warn, error", o.logLevel)
	}
	if err := checkCodecEndpoint(o.codec); err != nil {
		return o, err
	}
	if err := o.tls.check(o.ip); err != nil {
		return o, err
	}
	if err := o.postgres.check(o.dbFile); err != nil {
		return o, err
	}
	return o, nil
}

func run(o options) error {
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	if o.dbFile != "" {
		abs, err := filepath.Abs(o.dbFile)
		if err != nil {
			return err
		}
		o.dbFile = abs
		// Two servers writing one SQLite file would fail in obscure ways much later;
		// a lock held for the process's life makes the second one fail now, clearly.
		unlock, err := lockDBFile(o.dbFile)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if o.httpPort == 0 {
		p, err := freePort(o.ip)
		if err != nil {
			return err
		}
		o.httpPort = p
	}

	// The server and the UI end the process with a stack trace (log.Fatal) when a port is
	// taken; looking first turns the common case into one clear line. Another process can
	// still take a port in between; then that stack trace is what remains.
	ports := map[string]int{"frontend gRPC": o.port, "frontend HTTP": o.httpPort}
	if !o.headless {
		ports["Web UI"] = o.uiPort
	}
	for what, port := range ports {
		if err := checkFree(o.ip, port); err != nil {
			return fmt.Errorf("the %s port is taken: %w", what, err)
		}
	}

	var sqlCfg *config.SQL
	var err error
	if o.postgres.enabled() {
		err = o.postgres.prepare(o.namespaces, o.retention)
	} else {
		sqlCfg, err = prepareSQLite(o)
	}
	if err != nil {
		return err
	}
	cfg, err := serverConfig(o, sqlCfg)
	if err != nil {
		return err
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range cfg.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(hostPort(o.ip, svc.RPC.GRPCPort))
	}
	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Level: o.logLevel, Format: "console"}))
	server, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	)
	if err != nil {
		return fmt.Errorf("configure the Temporal server: %w", err)
	}
	if err := server.Start(); err != nil {
		return fmt.Errorf("start the Temporal server: %w", err)
	}
	stopServer := func() error {
		if err := server.Stop(); err != nil {
			return fmt.Errorf("stop the Temporal server: %w", err)
		}
		return nil
	}

	// failStart stops the server after a failed start. A signal during the start is a
	// request to stop, not a failure.
	failStart := func(err error) error {
		if ctx.Err() != nil {
			return stopServer()
		}
		return errors.Join(err, stopServer())
	}
	frontend := hostPort(o.ip, o.port)
	if err := applyRetention(ctx, frontend, o.tls, o.namespaces, o.retention); err != nil {
		return failStart(err)
	}

	uiURL := "none"
	uiDone := make(chan error, 1)
	var ui *uiserver.Server
	if !o.headless {
		ui, err = startUI(ctx, o, frontend, uiDone)
		if err != nil {
			return failStart(err)
		}
		uiURL = "http://" + hostPort(o.ip, o.uiPort)
	}

	fmt.Printf("approdo-devserver ready frontend=%s ui=%s\n", frontend, uiURL)

	var uiErr error
	select {
	case <-ctx.Done():
	case err := <-uiDone:
		// Start returns only once the UI is closed, which nothing but a signal should do.
		uiErr = fmt.Errorf("the Web UI stopped unexpectedly: %v", err)
	}
	// From here a second Ctrl-C ends the process at once, for a shutdown that hangs.
	stopSignals()
	fmt.Fprintln(os.Stderr, "approdo-devserver: stopping")
	if ui != nil {
		ui.Stop()
	}
	return errors.Join(uiErr, stopServer())
}

// lockDBFile takes an exclusive lock on a file next to the database for the life of the
// process. The lock goes with the process, also when it is killed.
func lockDBFile(dbFile string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(dbFile), 0o755); err != nil {
		return nil, fmt.Errorf("create the folder of %s: %w", dbFile, err)
	}
	f, err := os.OpenFile(dbFile+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open the lock of %s: %w", dbFile, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by another approdo-devserver: %w", dbFile, err)
	}
	return func() { f.Close() }, nil
}

// prepareSQLite returns the store's configuration, after creating the schema in a new
// database file and every namespace that does not exist yet.
func prepareSQLite(o options) (*config.SQL, error) {
	c := &config.SQL{PluginName: sqliteplugin.PluginName}
	if o.dbFile == "" {
		// A shared-cache in-memory database lives as long as the plugin's pooled
		// connection, i.e. the process; the plugin creates its schema on first use.
		// The name only has to be unique within the process.
		c.DatabaseName = fmt.Sprintf("approdo-dev-%d-%d", os.Getpid(), rand.Uint32())
		c.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
	} else {
		c.DatabaseName = o.dbFile
		// Attributes other than SQLite's URI parameters (mode, cache, ...) become
		// `PRAGMA key=value` on every connection: the plugin turns them into the driver's
		// _pragma parameters. A name with a leading underscore (_journal_mode) would be
		// an unknown pragma, which SQLite ignores without a word. WAL with
		// synchronous=NORMAL measured about five times faster here than SQLite's
		// rollback journal with synchronous=FULL, and loses at most the last
		// transactions on a power cut, never the file: right for dev data.
		c.ConnectAttributes = map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "NORMAL",
		}
		if info, err := os.Stat(o.dbFile); errors.Is(err, os.ErrNotExist) || (err == nil && info.Size() == 0) {
			if err := sqliteschema.SetupSchema(c); err != nil {
				// A half-made schema would look like an existing database next time.
				removeDBFiles(o.dbFile)
				return nil, fmt.Errorf("create the schema in %s: %w", o.dbFile, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("check %s: %w", o.dbFile, err)
		}
	}
	var namespaces []*sqliteschema.NamespaceConfig
	for _, name := range o.namespaces {
		// No custom search attributes here: they would only reach a namespace created
		// now. Approdo registers its own through the Operator API at every start.
		ns, err := sqliteschema.NewNamespaceConfig(clusterName, name, false, nil)
		if err != nil {
			return nil, fmt.Errorf("configure namespace %s: %w", name, err)
		}
		ns.Detail.Config.Retention = durationpb.New(o.retention)
		namespaces = append(namespaces, ns)
	}
	// CreateNamespaces skips namespaces that exist, so this is safe on a reused file.
	if err := sqliteschema.CreateNamespaces(c, namespaces...); err != nil {
		return nil, fmt.Errorf("create namespaces: %w", err)
	}
	return c, nil
}

func removeDBFiles(dbFile string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(dbFile + suffix)
	}
}

// serverConfig is the static configuration of a one-process, one-shard server.
func serverConfig(o options, sqlCfg *config.SQL) (*config.Config, error) {
	frontend := hostPort(o.ip, o.port)
	cfg := &config.Config{}
	cfg.Global.Membership.MaxJoinDuration = 30 * time.Second
	cfg.Global.Membership.BroadcastAddress = o.ip
	cfg.Persistence.DefaultStore = "sqlite"
	cfg.Persistence.VisibilityStore = "sqlite"
	// One shard is plenty for one process and keeps SQLite's single writer uncontended.
	cfg.Persistence.NumHistoryShards = 1
	cfg.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlCfg}}
	cfg.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontend,
				HTTPAddress:            hostPort(o.ip, o.httpPort),
			},
		},
	}
	cfg.DCRedirectionPolicy.Policy = "noop"
	cfg.Services = map[string]config.Service{}
	for _, name := range temporal.DefaultServices {
		var svc config.Service
		svc.RPC.BindOnIP = o.ip
		if name == string(primitives.FrontendService) {
			svc.RPC.GRPCPort = o.port
			svc.RPC.HTTPPort = o.httpPort
		} else {
			// The internal services only talk to each other; any free port does. Another
			// process may grab it before the server binds it, and then the start fails
			// with "address already in use": callers retry (devtemporaltest does).
			p, err := freePort(o.ip)
			if err != nil {
				return nil, err
			}
			svc.RPC.GRPCPort = p
		}
		cfg.Services[name] = svc
	}
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient.HostPort = frontend
	o.tls.apply(cfg)
	o.postgres.apply(cfg)
	return cfg, nil
}

// namespaceCacheRefresh is how often every service reads the namespaces again: the
// server's default, written here because Approdo's searchattr.Ensure waits for it after
// adding search attributes (searchattr.CacheRefresh must not be shorter).
const namespaceCacheRefresh = 2 * time.Second

// dynamicConfig tunes the server for a developer machine and for a test suite that shares
// one server among many tests. The keys come from the server's own setting definitions, so
// a key that a server upgrade drops fails the build instead of being ignored.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Approdo takes human decisions through Updates and starts cases with
		// Update-with-Start. Both are on by default in this server version (which has no
		// switch left for ExecuteMultiOperation); saying so keeps them on if a default
		// changes.
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,
		// The default of 10 visibility requests per second per namespace throttles tests
		// that list and count workflows, all the more with the Web UI polling as well.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key():        1000,
		dynamicconfig.FrontendMaxNamespaceVisibilityBurstRatioPerInstance.Key(): 2.0,
		// UpdateNamespace is limited to 1 per second by default; the start-up applies
		// the retention with it, and tests may change namespaces too.
		dynamicconfig.FrontendMaxNamespaceNamespaceReplicationInducingAPIsRPSPerInstance.Key(): 100,
		// Search attributes are read from the caches, as in production. Forcing a read of
		// the namespace and the cluster metadata from the database at every use (the
		// server's switch for tests) cost 8% of the server's CPU in a surge, behind one
		// lock. Approdo's `searchattr.Ensure` waits out the caches' refresh
		// (NamespaceCacheRefreshInterval) after it adds attributes.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): false,
		dynamicconfig.NamespaceCacheRefreshInterval.Key():           namespaceCacheRefresh,
		// Approdo keeps every payload in the history (sealed, see payloadcrypt); none is
		// stored outside it. Measuring external payloads walked every event's payloads at
		// every history write: 2.5% of the server's CPU in a surge.
		dynamicconfig.ExternalPayloadsEnabled.Key(): false,
		// One partition per task queue: a single process gains nothing from more, and
		// with one, a poll always meets its task without forwarding between partitions.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// The default mutable-state cache (128k entries) is sized for production hosts;
		// this bounds the memory of a long dev session.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,
	}
}

// applyRetention waits until the frontend serves, then sets the retention of every
// namespace that does not have it yet. CreateNamespaces gave new namespaces the retention
// already; this is what makes a changed -retention reach namespaces of an existing file.
func applyRetention(ctx context.Context, frontend string, t tlsOptions, namespaces []string, retention time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	creds, err := t.dialOption()
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(frontend, creds)
	if err != nil {
		return fmt.Errorf("connect to the frontend at %s: %w", frontend, err)
	}
	defer conn.Close()
	svc := workflowservice.NewWorkflowServiceClient(conn)
	for _, ns := range namespaces {
		var current time.Duration
		// Right after Start, the frontend may still refuse connections or not know the
		// namespace yet (its namespace cache loads asynchronously): retry until it does.
		err := retry(ctx, func() error {
			res, err := svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
			if err != nil {
				return err
			}
			current = res.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
			return nil
		}, func(error) bool { return true })
		if err != nil {
			return fmt.Errorf("the frontend at %s did not serve namespace %s within %s: %w", frontend, ns, startTimeout, err)
		}
		if current == retention {
			continue
		}
		err = retry(ctx, func() error {
			_, err := svc.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
				Namespace: ns,
				Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
			})
			return err
		}, transient)
		if err != nil {
			return fmt.Errorf("set the retention of namespace %s to %s: %w", ns, retention, err)
		}
	}
	return nil
}

// transient tells errors worth retrying from those that retrying cannot fix, such as a
// retention under the server's minimum.
func transient(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.NotFound, codes.DeadlineExceeded:
		return true
	}
	return false
}

// retry calls f every 100ms until it succeeds, fails in a way retryable rejects, or ctx
// ends; it returns f's last error.
func retry(ctx context.Context, f func() error, retryable func(error) bool) error {
	for {
		err := f()
		if err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startUI starts the Web UI in the background and returns once it accepts connections.
// uiDone receives what its Start returns.
func startUI(ctx context.Context, o options, frontend string, uiDone chan error) (*uiserver.Server, error) {
	addr := hostPort(o.ip, o.uiPort)
	ui := uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                o.ip,
		Port:                o.uiPort,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		// The server's log is for the server; the UI's request log would drown it.
		HideLogs: true,
		// There is no internet here, and a dev UI has no news worth fetching.
		DisableNewsFetch: true,
		// Sealed payloads are readable once Approdo's codec server opens them (codec.go).
		Codec: uiCodec(o.codec),
		// Plain HTTP on loopback: a Secure cookie would never be sent back.
		CORS: uiconfig.CORS{CookieInsecure: true},
		TLS:  o.tls.ui(),
	}))
	go func() { uiDone <- ui.Start() }()
	deadline := time.Now().Add(startTimeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return ui, nil
		}
		if time.Now().After(deadline) {
			ui.Stop()
			return nil, fmt.Errorf("the Web UI did not listen on %s within %s", addr, startTimeout)
		}
		select {
		case err := <-uiDone:
			return nil, fmt.Errorf("the Web UI stopped during start-up: %v", err)
		case <-ctx.Done():
			ui.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func hostPort(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

// checkFree fails if something listens on ip:port already.
func checkFree(ip string, port int) error {
	l, err := net.Listen("tcp", hostPort(ip, port))
	if err != nil {
		return err
	}
	return l.Close()
}

// freePort returns a TCP port on ip that nothing listens on at the moment.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", hostPort(ip, 0))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
