package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/devtls"
	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/internal/pgcluster"
	"github.com/approdo/approdo/internal/progress"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
)

// prodlikeConfig holds the settings of `approdo prodlike`. The ports differ from the dev
// stack's, so both can run at once.
type prodlikeConfig struct {
	Dir            string `env:"APPRODO_PRODLIKE_DIR" envDefault:".dev/prodlike"`
	PostgresPort   int    `env:"APPRODO_PRODLIKE_PG_PORT" envDefault:"54339"`
	TemporalPort   int    `env:"APPRODO_PRODLIKE_TEMPORAL_PORT" envDefault:"7243"`
	TemporalUIPort int    `env:"APPRODO_PRODLIKE_TEMPORAL_UI_PORT" envDefault:"8243"`
	APIPorts       []int  `env:"APPRODO_PRODLIKE_API_PORTS" envDefault:"8181,8182" envSeparator:","`
	Workers        int    `env:"APPRODO_PRODLIKE_WORKERS" envDefault:"2"`
	SMTPPort       int    `env:"APPRODO_PRODLIKE_SMTP_PORT" envDefault:"2535"`
	IMAPPort       int    `env:"APPRODO_PRODLIKE_IMAP_PORT" envDefault:"1153"`
	MailPagePort   int    `env:"APPRODO_PRODLIKE_MAIL_PAGE_PORT" envDefault:"8035"`
}

// runProdlike runs Approdo as production does, on this machine: Temporal on PostgreSQL,
// every Approdo process a process of its own (two workers and two APIs), configured
// through the environment only, set up by `approdo migrate`. Its data is thrown away at
// the end: it proves the topology, it is not a place to keep cases.
func runProdlike(ctx context.Context) error {
	pc, err := env.ParseAs[prodlikeConfig]()
	if err != nil {
		return fmt.Errorf("read prodlike configuration: %w", err)
	}
	root, err := devtemporal.RepoRoot()
	if err != nil {
		return fmt.Errorf("approdo prodlike runs from a checkout of the repository: %w", err)
	}
	dir := pc.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the approdo binary to run the workers and APIs with: %w", err)
	}
	binPath := devtemporal.DefaultBinPath(root)
	fmt.Println("Building the Temporal server (deploy/devserver); the first build takes 7 to 10 minutes, later ones seconds.")
	line := progress.NewLine(os.Stdout, "compiling", "packages")
	err = devtemporal.Build(ctx, devtemporal.DevServerModuleDir(root), binPath, line.Update)
	line.Done()
	if err != nil {
		return fmt.Errorf("build the Temporal server: %w", err)
	}
	topo, err := startProdlike(ctx, prodlikeOptions{
		Approdo:        []string{self},
		DevServerBin:   binPath,
		Dir:            dir,
		RefdataFile:    filepath.Join(root, "deploy", "refdata", "sample.yaml"),
		PostgresPort:   pc.PostgresPort,
		TemporalPort:   pc.TemporalPort,
		TemporalUIPort: pc.TemporalUIPort,
		APIPorts:       pc.APIPorts,
		Workers:        pc.Workers,
		SMTPPort:       pc.SMTPPort,
		IMAPPort:       pc.IMAPPort,
		MailPagePort:   pc.MailPagePort,
		Out:            os.Stdout,
	})
	if err != nil {
		return err
	}
	topo.printBanner(os.Stdout)
	// Until Ctrl-C. A worker or an API that dies (kill -9 it to see) leaves the others
	// to carry on, as in production; with no worker or no API left, everything stops.
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case c := <-topo.died:
			fmt.Printf("%s (pid %d) ended: %v.\n", c.name, c.PID(), c.err)
			if !anyRunning(topo.Workers) || !anyRunning(topo.APIs) {
				fmt.Println("No worker or no API is left.")
				break wait
			}
			fmt.Println("The others carry on: Temporal gives its unfinished work to the remaining workers.")
		}
	}
	fmt.Println("Stopping: APIs, workers, Temporal, then PostgreSQL…")
	stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return topo.Stop(stopCtx)
}

// anyRunning tells whether one of cs has not ended.
func anyRunning(cs []*child) bool {
	for _, c := range cs {
		select {
		case <-c.exited:
		default:
			return true
		}
	}
	return false
}

// prodlikeOptions describe a production-shaped topology.
type prodlikeOptions struct {
	// Approdo is the command line that runs the approdo binary, to which the process's
	// command (worker, api, migrate, …) is appended; ApprodoEnv is added to its
	// environment. Tests run their own binary, told by ApprodoEnv to act as approdo.
	Approdo    []string
	ApprodoEnv []string
	// DevServerBin is the approdo-devserver binary.
	DevServerBin string
	// Dir keeps the logs and the demo tokens; PostgreSQL's data goes to a folder of its
	// own that Stop removes.
	Dir         string
	RefdataFile string
	// Ports; 0 picks a free one. APIPorts has one port per API process.
	PostgresPort, TemporalPort, TemporalUIPort int
	APIPorts                                   []int
	Workers                                    int
	SMTPPort, IMAPPort, MailPagePort           int
	// TemporalRetention is what `approdo migrate` sets on the namespace (TEMPORAL_RETENTION);
	// 0 leaves the configuration's default.
	TemporalRetention time.Duration
	// HeadlessTemporal runs Temporal without its Web UI.
	HeadlessTemporal bool
	// Ephemeral trades PostgreSQL's durability for speed (tests).
	Ephemeral bool
	// Mail adds test hooks to the mailbox (Hold); its PEC provider and IMAP accounts are
	// the topology's.
	Mail devmail.Options
	// Out is told about the slow steps.
	Out io.Writer
}

// prodlike is a running production-shaped topology.
type prodlike struct {
	opts     prodlikeOptions
	pgDir    string
	cluster  *pgcluster.Cluster
	temporal *devtemporal.Server
	mailbox  *devmail.Server
	mailPage *http.Server
	// OwnerURL is the database's owner (migrations, reference data, tokens); appURL the
	// login of the workers and the APIs, under row-level security.
	OwnerURL, appURL string
	// env is the configuration every approdo process gets, as a deployment's would.
	env     []string
	Workers []*child
	APIs    []*child
	APIURLs []string
	// WorkerHealthURLs are the workers' probe servers (WORKER_HEALTH_ADDR), on free ports.
	WorkerHealthURLs []string
	mailAddr         string
	imapAddr         string
	// TokensFile holds a token per demo organisation, as the dev stack's.
	TokensFile string
	// died receives a worker or API that ended without being asked to.
	died chan *child
}

// The names of the topology: Approdo's database (Temporal's two are created by the
// server), the namespace and task queue, and the PEC and mail archive accounts of the
// mailbox.
const (
	prodlikeDatabase           = "approdo"
	prodlikeTemporalDB         = "temporal"
	prodlikeTemporalVisibility = "temporal_visibility"
	prodlikeNamespace          = "approdo"
	prodlikeTaskQueue          = "approdo"
	prodlikePECFrom            = "approdo@pec.prodlike.approdo.invalid"
	prodlikePECPassword        = "prodlike-pec"
	prodlikeArchive            = "archivio@prodlike.approdo.invalid"
	prodlikeArchivePassword    = "prodlike-archive"
)

// startProdlike starts every part, in order, and returns once each serves: PostgreSQL
// with Approdo's database, Temporal on PostgreSQL, the mailbox, `approdo migrate` and
// the reference data, the workers, then the APIs. On failure it stops what it started.
func startProdlike(ctx context.Context, o prodlikeOptions) (p *prodlike, err error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	say := func(format string, args ...any) { fmt.Fprintf(o.Out, format+"\n", args...) }
	p = &prodlike{opts: o, died: make(chan *child, len(o.APIPorts)+o.Workers)}
	defer func() {
		if err != nil {
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = p.Stop(stopCtx)
		}
	}()
	logDir := filepath.Join(o.Dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return p, fmt.Errorf("create %s: %w", logDir, err)
	}
	ports := []*int{&o.PostgresPort, &o.TemporalPort, &o.TemporalUIPort, &o.SMTPPort, &o.IMAPPort, &o.MailPagePort}
	for i := range o.APIPorts {
		ports = append(ports, &o.APIPorts[i])
	}
	for _, port := range ports {
		if *port == 0 {
			if *port, err = devtemporal.FreePort("127.0.0.1"); err != nil {
				return p, err
			}
		}
	}

	p.opts = o

	// 1. PostgreSQL: one cluster, three databases (Approdo's, Temporal's, Temporal's
	// visibility), as a managed PostgreSQL would hold them. Fresh for every run, in a
	// folder the postgres user can reach even when we are root.
	if p.pgDir, err = os.MkdirTemp(pgcluster.TempDir(), "approdo-prodlike-pg-"); err != nil {
		return p, err
	}
	if err := os.Chmod(p.pgDir, 0o755); err != nil {
		return p, err
	}
	say("Starting PostgreSQL (port %d, data in %s)…", o.PostgresPort, p.pgDir)
	p.cluster, err = pgcluster.Start(ctx, pgcluster.Options{
		DataDir: filepath.Join(p.pgDir, "data"), Port: o.PostgresPort, Ephemeral: o.Ephemeral,
		LogFile: filepath.Join(logDir, "postgres.log"),
	})
	if err != nil {
		return p, fmt.Errorf("start PostgreSQL: %w", err)
	}
	if err := createDatabaseIfMissing(ctx, p.cluster.URL("postgres"), prodlikeDatabase); err != nil {
		return p, err
	}
	p.OwnerURL = p.cluster.URL(prodlikeDatabase)

	// 2. Temporal, its persistence and visibility on that PostgreSQL, its frontend
	// serving mutual TLS only: every client presents a certificate of the private CA.
	tlsFiles, err := devtls.Ensure(filepath.Join(o.Dir, "tls"))
	if err != nil {
		return p, fmt.Errorf("make the TLS certificates: %w", err)
	}
	say("Starting Temporal on PostgreSQL (databases %s and %s), mutual TLS…", prodlikeTemporalDB, prodlikeTemporalVisibility)
	p.temporal, err = devtemporal.Start(ctx, devtemporal.Options{
		BinPath: o.DevServerBin, TLS: &tlsFiles, MutualTLS: true, Port: o.TemporalPort, UIPort: o.TemporalUIPort, Headless: o.HeadlessTemporal,
		Namespace: prodlikeNamespace, LogFile: filepath.Join(logDir, "temporal.log"),
		Postgres: &devtemporal.Postgres{
			Host: "127.0.0.1", Port: o.PostgresPort, User: "postgres",
			Database: prodlikeTemporalDB, VisibilityDatabase: prodlikeTemporalVisibility,
		},
	})
	if err != nil {
		return p, fmt.Errorf("start Temporal: %w", err)
	}

	// 3. The mailbox, standing in for the SMTP server and the PEC provider.
	mailOpts := o.Mail
	mailOpts.PEC = &devmail.PECProvider{Senders: []string{prodlikePECFrom}, WarnAfter: time.Hour, FailAfter: 2 * time.Hour}
	mailOpts.IMAPUsers = map[string]string{prodlikePECFrom: prodlikePECPassword, prodlikeArchive: prodlikeArchivePassword}
	if p.mailbox, err = devmail.Start(hostPort(o.SMTPPort), mailOpts); err != nil {
		return p, err
	}
	if p.imapAddr, err = p.mailbox.ServeIMAP(hostPort(o.IMAPPort)); err != nil {
		return p, err
	}
	p.mailAddr = hostPort(o.SMTPPort)
	p.mailPage = &http.Server{Addr: hostPort(o.MailPagePort), Handler: p.mailbox.Handler(), ReadHeaderTimeout: 10 * time.Second}
	pageListener, err := net.Listen("tcp", p.mailPage.Addr)
	if err != nil {
		return p, fmt.Errorf("listen for the mailbox page: %w", err)
	}
	go func() { _ = p.mailPage.Serve(pageListener) }()

	// 4. The configuration of every approdo process, in its environment only.
	p.env = append(os.Environ(), o.ApprodoEnv...)
	conn := p.temporal.Connection()
	p.env = append(p.env,
		"TEMPORAL_ADDRESS="+p.temporal.HostPort(),
		"TEMPORAL_TLS=true", "TEMPORAL_TLS_CA_FILE="+conn.CAFile, "TEMPORAL_TLS_SERVER_NAME="+conn.ServerName,
		"TEMPORAL_TLS_CERT_FILE="+conn.CertFile, "TEMPORAL_TLS_KEY_FILE="+conn.KeyFile, "TEMPORAL_API_KEY=",
		"TEMPORAL_NAMESPACE="+prodlikeNamespace,
		"TEMPORAL_TASK_QUEUE="+prodlikeTaskQueue,
		"TEMPORAL_PAYLOAD_KEY="+payloadcrypt.NewKey(),
		"TEMPORAL_UI_URL="+p.temporal.UIURL(),
		"SMTP_HOST=127.0.0.1", "SMTP_PORT="+strconv.Itoa(o.SMTPPort), "SMTP_TLS=none", "SMTP_USERNAME=",
		"PEC_SMTP_HOST=127.0.0.1", "PEC_SMTP_PORT="+strconv.Itoa(o.SMTPPort), "PEC_SMTP_TLS=none", "PEC_SMTP_USERNAME=",
		"PEC_FROM="+prodlikePECFrom,
		"PEC_IMAP_HOST=127.0.0.1", "PEC_IMAP_PORT="+strconv.Itoa(o.IMAPPort), "PEC_IMAP_TLS=none",
		"PEC_IMAP_USERNAME="+prodlikePECFrom, "PEC_IMAP_PASSWORD="+prodlikePECPassword,
		// The mail archive, which settles an email notice cut short by a killed worker.
		"MAIL_ARCHIVE_ADDRESS="+prodlikeArchive, "MAIL_ARCHIVE_IMAP_HOST=127.0.0.1", "MAIL_ARCHIVE_IMAP_PORT="+strconv.Itoa(o.IMAPPort),
		"MAIL_ARCHIVE_IMAP_TLS=none", "MAIL_ARCHIVE_IMAP_USERNAME="+prodlikeArchive, "MAIL_ARCHIVE_IMAP_PASSWORD="+prodlikeArchivePassword,
		// Short clocks, so that a PEC or an email cut short by a killed worker is settled
		// in seconds.
		"PEC_POLL_INTERVAL=1s", "PEC_ACCEPTANCE_GRACE=20s", "PEC_RECEIPT_TIMEOUT=5m", "MAIL_ARCHIVE_GRACE=10s",
		"UST_EMAIL=ust@prodlike.approdo.invalid", "ORIENTATION_EMAIL=orientamento@prodlike.approdo.invalid",
		"PUBLIC_URL=http://"+hostPort(o.APIPorts[0]),
		"SHUTDOWN_TIMEOUT=10s",
		"LOG_FORMAT=json",
	)
	if o.TemporalRetention != 0 {
		p.env = append(p.env, "TEMPORAL_RETENTION="+o.TemporalRetention.String())
	}

	// 5. `approdo migrate`, as a deployment runs it before rolling out: the schema, the
	// search attributes, the namespace retention and the retention Schedule.
	say("Running approdo migrate…")
	if err := p.runOnce(ctx, "migrate", filepath.Join(logDir, "migrate.log"), "DATABASE_URL="+p.OwnerURL); err != nil {
		return p, err
	}
	if err := p.runOnce(ctx, "refdata", filepath.Join(logDir, "refdata.log"), "DATABASE_URL="+p.OwnerURL, "import", o.RefdataFile); err != nil {
		return p, err
	}
	owner, err := store.Open(ctx, p.OwnerURL)
	if err != nil {
		return p, err
	}
	p.TokensFile, err = seedDemoTokens(ctx, io.Discard, store.New(owner), o.Dir)
	owner.Close()
	if err != nil {
		return p, err
	}
	if p.appURL, err = store.AppLoginURL(ctx, p.OwnerURL); err != nil {
		return p, err
	}

	// 6. The workers, then the APIs, each a process of its own.
	for i := 1; i <= o.Workers; i++ {
		name := fmt.Sprintf("worker-%d", i)
		say("Starting %s…", name)
		healthPort, err := devtemporal.FreePort("127.0.0.1")
		if err != nil {
			return p, err
		}
		w, err := p.startChild(name, filepath.Join(logDir, name+".log"), `"worker polling"`, []string{"worker"},
			"DATABASE_URL="+p.appURL, "WORKER_HEALTH_ADDR="+hostPort(healthPort))
		if err != nil {
			return p, err
		}
		p.Workers = append(p.Workers, w)
		p.WorkerHealthURLs = append(p.WorkerHealthURLs, "http://"+hostPort(healthPort))
	}
	for i, port := range o.APIPorts {
		name := fmt.Sprintf("api-%d", i+1)
		say("Starting %s on port %d…", name, port)
		a, err := p.startChild(name, filepath.Join(logDir, name+".log"), "", []string{"api"}, "DATABASE_URL="+p.appURL, "HTTP_ADDR="+hostPort(port))
		if err != nil {
			return p, err
		}
		p.APIs = append(p.APIs, a)
		p.APIURLs = append(p.APIURLs, "http://"+hostPort(port))
	}
	for i, a := range p.APIs {
		if err := waitReady(ctx, a, p.APIURLs[i]+"/readyz"); err != nil {
			return p, err
		}
	}
	// A worker is ready when its probe says so (PostgreSQL and Temporal answer) and it
	// polls its task queue.
	for i, w := range p.Workers {
		if err := waitReady(ctx, w, p.WorkerHealthURLs[i]+worker.ReadyPath); err != nil {
			return p, err
		}
		if err := w.waitLine(ctx); err != nil {
			return p, err
		}
	}
	return p, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// runOnce runs an approdo command to its end, e.g. migrate; env is added to the
// topology's.
func (p *prodlike) runOnce(ctx context.Context, command, logFile string, env string, args ...string) error {
	c, err := startProcess(command, append(append(p.opts.Approdo[1:len(p.opts.Approdo):len(p.opts.Approdo)], command), args...), p.opts.Approdo[0], append(p.env, env), logFile, "")
	if err != nil {
		return err
	}
	select {
	case <-c.exited:
	case <-ctx.Done():
		_ = c.Kill()
		<-c.exited
		return ctx.Err()
	}
	if c.err != nil {
		return fmt.Errorf("approdo %s failed (%v); its log ends with:\n%s", command, c.err, c.tail())
	}
	return nil
}

// startChild starts a long-running approdo process; p.died hears of it if it ends
// before Stop.
func (p *prodlike) startChild(name, logFile, readyText string, args []string, env ...string) (*child, error) {
	c, err := startProcess(name, append(p.opts.Approdo[1:len(p.opts.Approdo):len(p.opts.Approdo)], args...), p.opts.Approdo[0], append(p.env, env...), logFile, readyText)
	if err != nil {
		return nil, err
	}
	go func() {
		<-c.exited
		if !c.stopping.Load() {
			p.died <- c
		}
	}()
	return c, nil
}

// waitReady waits until url answers 200, or the process ends.
func waitReady(ctx context.Context, c *child, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.exited:
			return fmt.Errorf("%s ended during start-up (%v); its log ends with:\n%s", c.name, c.err, c.tail())
		case <-ctx.Done():
			return fmt.Errorf("%s is not ready at %s: %w; its log ends with:\n%s", c.name, url, ctx.Err(), c.tail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop stops the APIs first (no new work), then the workers (work in flight finishes
// or is left to Temporal), then Temporal and PostgreSQL, and removes PostgreSQL's data.
func (p *prodlike) Stop(ctx context.Context) error {
	var errs []error
	for _, group := range [][]*child{p.APIs, p.Workers} {
		var running []*child
		for _, c := range group {
			// One that ended before (killed, crashed) was reported then.
			if anyRunning([]*child{c}) {
				running = append(running, c)
			}
		}
		for _, c := range running {
			c.stopping.Store(true)
			_ = c.Signal(os.Interrupt)
		}
		for _, c := range running {
			if err := c.Wait(ctx); err != nil && !c.killed.Load() {
				errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
			}
		}
	}
	if p.mailPage != nil {
		_ = p.mailPage.Close()
	}
	if p.mailbox != nil {
		_ = p.mailbox.Close()
	}
	if p.temporal != nil {
		if err := p.temporal.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if p.cluster != nil {
		if err := p.cluster.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if p.pgDir != "" {
		if err := os.RemoveAll(p.pgDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p *prodlike) printBanner(w io.Writer) {
	fmt.Fprintf(w, "\nApprodo runs production-shaped: every part a process of its own.\n\n")
	fmt.Fprintf(w, "  PostgreSQL   %s  (pid %d) databases %s, %s, %s\n", hostPort(p.opts.PostgresPort), p.cluster.PID(), prodlikeDatabase, prodlikeTemporalDB, prodlikeTemporalVisibility)
	ui := p.temporal.UIURL()
	if ui == "" {
		ui = "no Web UI"
	}
	fmt.Fprintf(w, "  Temporal     %s  (pid %d) on PostgreSQL, mutual TLS (CA and client certificate in %s), namespace %s; %s\n",
		p.temporal.HostPort(), p.temporal.PID(), filepath.Join(p.opts.Dir, "tls"), prodlikeNamespace, ui)
	for i, c := range p.Workers {
		fmt.Fprintf(w, "  %-12s pid %d, task queue %s, probes on %s\n", c.name, c.PID(), prodlikeTaskQueue, p.WorkerHealthURLs[i])
	}
	for i, c := range p.APIs {
		fmt.Fprintf(w, "  %-12s %s  (pid %d)\n", c.name, p.APIURLs[i], c.PID())
	}
	fmt.Fprintf(w, "  Mailbox      SMTP %s, PEC receipts on IMAP %s, page http://%s\n", p.mailAddr, p.imapAddr, p.mailPage.Addr)
	fmt.Fprintf(w, "  Logs         %s\n", filepath.Join(p.opts.Dir, "logs"))
	fmt.Fprintf(w, "  Tokens       source %s\n", p.TokensFile)
	fmt.Fprintf(w, "\nFile a case through one API, follow it through the other (README.md, \"make prodlike\").\n")
	fmt.Fprintf(w, "Kill a worker (kill -9 <pid>) while a case moves: the other one carries on.\n")
	fmt.Fprintf(w, "Press Ctrl-C to stop everything; the data is thrown away.\n\n")
}
