// Command approdo-devserver runs a Temporal server (every service in one process) on
// SQLite, with the Temporal Web UI, for Approdo's dev stack and integration tests. It is
// built from Go modules, so nothing is downloaded at run time, and it lives in its own
// module so that Approdo's service does not depend on the Temporal server.
//
// Flags:
//
//	-ip          address to bind (default 127.0.0.1)
//	-port        frontend gRPC port (default 7233)
//	-http-port   frontend HTTP port (0 = a free one)
//	-ui-port     Web UI port (default 8233)
//	-headless    run without the Web UI
//	-db-file     SQLite file; empty keeps everything in memory
//	-namespace   namespace to create (repeatable; default "default")
//	-retention   how long closed workflows are kept, applied at every start (default 720h)
//	-log-level   server log level: debug, info, warn, error (default warn)
//
// Once the frontend serves, it prints one line to stdout:
//
//	approdo-devserver ready frontend=127.0.0.1:7233 ui=http://127.0.0.1:8233
//
// SIGINT or SIGTERM stops the UI, then the server, and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
)

const clusterName = "active"

type options struct {
	ip         string
	port       int
	httpPort   int
	uiPort     int
	headless   bool
	dbFile     string
	namespaces []string
	retention  time.Duration
	logLevel   string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "approdo-devserver:", err)
		os.Exit(1)
	}
}

func parseFlags() (options, error) {
	var o options
	var namespaces multiFlag
	flag.StringVar(&o.ip, "ip", "127.0.0.1", "address to bind")
	flag.IntVar(&o.port, "port", 7233, "frontend gRPC port")
	flag.IntVar(&o.httpPort, "http-port", 0, "frontend HTTP port (0 = a free one)")
	flag.IntVar(&o.uiPort, "ui-port", 8233, "Web UI port")
	flag.BoolVar(&o.headless, "headless", false, "run without the Web UI")
	flag.StringVar(&o.dbFile, "db-file", "", "SQLite file (empty: in memory)")
	flag.Var(&namespaces, "namespace", "namespace to create (repeatable)")
	flag.DurationVar(&o.retention, "retention", 720*time.Hour, "retention of closed workflows, applied at every start")
	flag.StringVar(&o.logLevel, "log-level", "warn", "server log level")
	flag.Parse()
	o.namespaces = namespaces
	if len(o.namespaces) == 0 {
		o.namespaces = []string{"default"}
	}
	// Temporal rejects retention under a day.
	if o.retention < 24*time.Hour {
		return o, fmt.Errorf("-retention must be at least 24h, not %s", o.retention)
	}
	if o.httpPort == 0 {
		p, err := freePort(o.ip)
		if err != nil {
			return o, err
		}
		o.httpPort = p
	}
	return o, nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func run() error {
	o, err := parseFlags()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := serverConfig(o)
	if err != nil {
		return err
	}
	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Level: o.logLevel, Format: "console"}))
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range cfg.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(o.ip, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	server, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	)
	if err != nil {
		return fmt.Errorf("create server: %w", err)
	}
	if err := server.Start(); err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	defer server.Stop()

	frontend := net.JoinHostPort(o.ip, strconv.Itoa(o.port))
	if err := applyRetention(ctx, frontend, o.namespaces, o.retention); err != nil {
		return err
	}

	uiURL := "none"
	if !o.headless {
		ui := uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
			Host:                o.ip,
			Port:                o.uiPort,
			TemporalGRPCAddress: frontend,
			EnableUI:            true,
			HideLogs:            true,
			// The machine has no internet access, and a dev UI has no news to fetch.
			DisableNewsFetch: true,
			CORS:             uiconfig.CORS{CookieInsecure: true},
		}))
		uiFailed := make(chan error, 1)
		go func() { uiFailed <- ui.Start() }()
		defer ui.Stop()
		uiURL = "http://" + net.JoinHostPort(o.ip, strconv.Itoa(o.uiPort))
		if err := waitForPort(ctx, net.JoinHostPort(o.ip, strconv.Itoa(o.uiPort)), uiFailed); err != nil {
			return fmt.Errorf("start web UI: %w", err)
		}
	}

	fmt.Printf("approdo-devserver ready frontend=%s ui=%s\n", frontend, uiURL)
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "approdo-devserver: stopping")
	return nil
}

func serverConfig(o options) (*config.Config, error) {
	sqlConfig, err := sqliteConfig(o)
	if err != nil {
		return nil, err
	}
	var cfg config.Config
	cfg.Global.Membership.MaxJoinDuration = 30 * time.Second
	cfg.Global.Membership.BroadcastAddress = o.ip
	cfg.Persistence.DefaultStore = "sqlite"
	cfg.Persistence.VisibilityStore = "sqlite"
	cfg.Persistence.NumHistoryShards = 1
	cfg.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConfig}}
	frontend := net.JoinHostPort(o.ip, strconv.Itoa(o.port))
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
				HTTPAddress:            net.JoinHostPort(o.ip, strconv.Itoa(o.httpPort)),
				ClusterID:              "approdo-dev",
			},
		},
	}
	cfg.DCRedirectionPolicy.Policy = "noop"
	cfg.Services = map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		var svc config.Service
		svc.RPC.BindOnIP = o.ip
		if name == "frontend" {
			svc.RPC.GRPCPort = o.port
			svc.RPC.HTTPPort = o.httpPort
		} else {
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
	return &cfg, nil
}

// sqliteConfig prepares the SQLite store: schema on a new file, namespaces created where
// missing. WAL journaling with synchronous=NORMAL was measured here about five times faster
// than SQLite's defaults, and still survives a crash of this process.
func sqliteConfig(o options) (*config.SQL, error) {
	c := &config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if o.dbFile == "" {
		c.DatabaseName = "approdo-dev-" + strconv.Itoa(os.Getpid())
		// The SQLite plugin creates the schema of an in-memory database itself.
		c.ConnectAttributes["mode"] = "memory"
		c.ConnectAttributes["cache"] = "shared"
	} else {
		c.DatabaseName = o.dbFile
		c.ConnectAttributes["mode"] = "rwc"
		c.ConnectAttributes["journal_mode"] = "wal"
		c.ConnectAttributes["synchronous"] = "NORMAL"
		if err := os.MkdirAll(filepath.Dir(o.dbFile), 0o755); err != nil {
			return nil, fmt.Errorf("create folder for %s: %w", o.dbFile, err)
		}
		if _, err := os.Stat(o.dbFile); errors.Is(err, os.ErrNotExist) {
			if err := sqliteschema.SetupSchema(c); err != nil {
				return nil, fmt.Errorf("create schema in %s: %w", o.dbFile, err)
			}
		}
	}
	var namespaces []*sqliteschema.NamespaceConfig
	for _, name := range o.namespaces {
		// Custom search attributes are not given here: they would only apply to a new
		// namespace. Approdo registers its own through the Operator API at every start.
		ns, err := sqliteschema.NewNamespaceConfig(clusterName, name, false, nil)
		if err != nil {
			return nil, fmt.Errorf("configure namespace %s: %w", name, err)
		}
		ns.Detail.Config.Retention = durationpb.New(o.retention)
		namespaces = append(namespaces, ns)
	}
	if err := sqliteschema.CreateNamespaces(c, namespaces...); err != nil {
		return nil, fmt.Errorf("create namespaces: %w", err)
	}
	return c, nil
}

// dynamicConfig sets what a dev server shared by a whole test suite needs.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Tests list workflows often; the default per-namespace visibility rate throttles them.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 200,
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():        true,
		dynamicconfig.EnableEagerWorkflowStart.Key():                     true,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8192,
	}
}

// applyRetention sets the retention of every namespace through the frontend. Creation
// sets it only for new namespaces; this makes a changed -retention take effect on an
// existing database file too.
func applyRetention(ctx context.Context, frontend string, namespaces []string, retention time.Duration) error {
	conn, err := grpc.NewClient(frontend, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("connect to frontend: %w", err)
	}
	defer conn.Close()
	svc := workflowservice.NewWorkflowServiceClient(conn)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, ns := range namespaces {
		for {
			_, err = svc.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
				Namespace: ns,
				Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
			})
			if err == nil {
				break
			}
			// The frontend may still be loading its namespace cache right after start.
			select {
			case <-ctx.Done():
				return fmt.Errorf("set retention of namespace %s: %w", ns, err)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

func waitForPort(ctx context.Context, addr string, failed <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case err := <-failed:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("nothing listens on %s after 30s", addr)
}

func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
