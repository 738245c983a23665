package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/config"
	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/devtls"
	"github.com/approdo/approdo/internal/logging"
	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/internal/pgcluster"
	"github.com/approdo/approdo/internal/progress"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

// devConfig holds the settings of `approdo dev` on top of Config. Ports default to the
// usual Temporal ones so that the temporal CLI works without flags.
type devConfig struct {
	Dir            string `env:"APPRODO_DEV_DIR" envDefault:".dev"`
	PostgresPort   int    `env:"APPRODO_DEV_PG_PORT" envDefault:"54329"`
	TemporalPort   int    `env:"APPRODO_DEV_TEMPORAL_PORT" envDefault:"7233"`
	TemporalUIPort int    `env:"APPRODO_DEV_TEMPORAL_UI_PORT" envDefault:"8233"`
	SMTPPort       int    `env:"APPRODO_DEV_SMTP_PORT" envDefault:"2525"`
	MailPagePort   int    `env:"APPRODO_DEV_MAIL_PAGE_PORT" envDefault:"8025"`
	IMAPPort       int    `env:"APPRODO_DEV_IMAP_PORT" envDefault:"1143"`
	// The dev mailbox acts as the PEC provider: PEC to these addresses are never
	// delivered, and get the 12-hour and 24-hour non-delivery notices after PECWarnAfter
	// and PECFailAfter (a shortened clock).
	PECUnreachable    []string      `env:"APPRODO_DEV_PEC_UNREACHABLE" envDefault:"protocollo@pec.comune.rozzano.example.org" envSeparator:","`
	PECWarnAfter      time.Duration `env:"APPRODO_DEV_PEC_WARN_AFTER" envDefault:"12s"`
	PECFailAfter      time.Duration `env:"APPRODO_DEV_PEC_FAIL_AFTER" envDefault:"24s"`
	TemporalRetention time.Duration `env:"APPRODO_DEV_TEMPORAL_RETENTION" envDefault:"720h"`
	// RefdataFile is loaded at every start (a no-op when unchanged); relative to the
	// repository.
	RefdataFile string `env:"APPRODO_DEV_REFDATA" envDefault:"deploy/refdata/sample.yaml"`

	// TemporalTLS is how the dev Temporal frontend is secured: mtls (the default, as in
	// production), tls, or none (plain text, e.g. for a temporal CLI without flags).
	TemporalTLS string `env:"APPRODO_DEV_TEMPORAL_TLS" envDefault:"mtls"`
}

// devDatabase is the database the dev stack creates in its private cluster.
const devDatabase = "approdo"

// runDev runs the whole stack in one process tree: a private PostgreSQL (unless
// DATABASE_URL is set), the Temporal dev server with its Web UI, migrations, the worker
// and the API. Ctrl-C stops everything in reverse order; data stays in the dev folder, so
// the next start finds its cases again.
func runDev(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	dev, err := env.ParseAs[devConfig]()
	if err != nil {
		return fmt.Errorf("read dev configuration: %w", err)
	}
	if cfg.DatabaseURL != "" {
		if err := checkLocalDatabase(cfg.DatabaseURL); err != nil {
			return err
		}
	}
	root, err := devtemporal.RepoRoot()
	if err != nil {
		return fmt.Errorf("approdo dev runs from a checkout of the repository: %w", err)
	}
	dir := dev.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	logDir := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", logDir, err)
	}
	say := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }

	// 1. The Temporal dev server binary, built from the nested module under deploy/.
	binPath := devtemporal.DefaultBinPath(root)
	say("Building the Temporal dev server (deploy/devserver); the first build compiles about 1,500 packages and takes 7 to 10 minutes, later ones seconds.")
	line := progress.NewLine(os.Stdout, "compiling", "packages")
	err = devtemporal.Build(ctx, filepath.Join(root, "deploy", "devserver"), binPath, line.Update)
	line.Done()
	if err != nil {
		return fmt.Errorf("build the Temporal dev server: %w", err)
	}

	// 2. PostgreSQL.
	if cfg.DatabaseURL == "" {
		binDir, err := pgcluster.FindBinDir()
		if err != nil {
			return err
		}
		place, err := placeDevCluster(dir)
		if err != nil {
			return err
		}
		say("Starting a private PostgreSQL cluster in %s (port %d)…", place.Dir, dev.PostgresPort)
		if place.Moved != "" {
			say("  It lives outside %s because %s; `make clean` removes it too.", dir, place.Moved)
		}
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{
			BinDir:   binDir,
			DataDir:  filepath.Join(place.Dir, "data"),
			Port:     dev.PostgresPort,
			LogFile:  filepath.Join(logDir, "postgres.log"),
			Progress: func(msg string) { say("  %s", msg) },
		})
		if err != nil {
			return fmt.Errorf("start PostgreSQL: %w", err)
		}
		defer stopWithTimeout("PostgreSQL", cluster.Stop)
		if err := createDatabaseIfMissing(ctx, cluster.URL("postgres"), devDatabase); err != nil {
			return err
		}
		cfg.DatabaseURL = cluster.URL(devDatabase)
	} else {
		say("Using the PostgreSQL at DATABASE_URL (%s).", config.MaskURL(cfg.DatabaseURL))
	}

	// 3. Temporal server and Web UI.
	say("Starting the Temporal server and Web UI (data in %s)…", filepath.Join(dir, "temporal"))
	if err := os.MkdirAll(filepath.Join(dir, "temporal"), 0o755); err != nil {
		return err
	}
	// The frontend serves TLS with a CA of this checkout, made at the first start and
	// kept in the dev folder, so that Approdo connects as it does in production.
	tlsFiles, mutualTLS, err := devTemporalTLS(dev.TemporalTLS, filepath.Join(dir, "tls"))
	if err != nil {
		return err
	}
	temporalServer, err := devtemporal.Start(ctx, devtemporal.Options{
		BinPath:   binPath,
		TLS:       tlsFiles,
		MutualTLS: mutualTLS,
		IP:        "127.0.0.1",
		Port:      dev.TemporalPort,
		UIPort:    dev.TemporalUIPort,
		DBFile:    filepath.Join(dir, "temporal", "temporal.db"),
		Retention: dev.TemporalRetention,
		LogFile:   filepath.Join(logDir, "temporal.log"),
		Namespace: cfg.TemporalNamespace,
		// The UI reads sealed payloads through the API's codec server, for UST people
		// logged in to the portal (its session cookie is sent along).
		CodecEndpoint: "http://" + cfg.HTTPAddr + api.CodecPath,
	})
	if err != nil {
		return fmt.Errorf("start Temporal: %w", err)
	}
	defer stopWithTimeout("Temporal", temporalServer.Stop)
	cfg.TemporalAddress = temporalServer.HostPort()
	conn := temporalServer.Connection()
	cfg.TemporalTLSCAFile, cfg.TemporalTLSCertFile, cfg.TemporalTLSKeyFile = conn.CAFile, conn.CertFile, conn.KeyFile
	cfg.TemporalTLSServerName, cfg.TemporalTLS, cfg.TemporalAPIKey = conn.ServerName, false, ""
	if cfg.TemporalUIURL == "" {
		cfg.TemporalUIURL = fmt.Sprintf("http://127.0.0.1:%d", dev.TemporalUIPort)
	}

	// 4. Schema and search attributes, at every start: both steps are idempotent.
	applied, err := store.MigrateReport(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	say("Database migrations: %d applied now.", len(applied))

	appLog := logging.New(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	if cfg.PayloadKey == "" {
		if cfg.PayloadKey, err = devPayloadKey(dir); err != nil {
			return err
		}
	}
	tc, err := dialTemporalSealed(ctx, cfg, appLog)
	if err != nil {
		return err
	}
	defer tc.Close()
	if err := searchattr.Ensure(ctx, tc, cfg.TemporalNamespace); err != nil {
		return err
	}
	say("Search attributes registered on namespace %q.", cfg.TemporalNamespace)
	// The dev server sets its own namespace retention (APPRODO_DEV_TEMPORAL_RETENTION);
	// the retention Schedule is the same as production's.
	if err := worker.EnsureRetentionSchedule(ctx, tc, cfg.TaskQueue, workflows.RetentionInput{Period: cfg.RetentionPeriod}); err != nil {
		return err
	}
	say("Retention scheduled daily (%s, period %s).", workflows.RetentionScheduleID, cfg.RetentionPeriod)

	pool, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	refdataFile := dev.RefdataFile
	if !filepath.IsAbs(refdataFile) {
		refdataFile = filepath.Join(root, refdataFile)
	}
	if err := importReferenceData(ctx, os.Stdout, store.New(pool), refdataFile); err != nil {
		return err
	}
	if err := pruneAuditLog(ctx, os.Stdout, store.New(pool), cfg.AuditRetention); err != nil {
		return err
	}
	tokensFile, err := seedDemoTokens(ctx, os.Stdout, store.New(pool), dir)
	if err != nil {
		return err
	}
	logins, err := seedDemoUsers(ctx, store.New(pool))
	if err != nil {
		return err
	}
	// The worker and the API log in as a role that is neither superuser nor owner and act
	// as the application role, under row-level security.
	appURL, err := store.AppLoginURL(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	appPool, err := store.OpenApp(ctx, appURL)
	if err != nil {
		return err
	}
	defer appPool.Close()

	// The dev mailbox: every notice the worker sends lands here, and nowhere else. It is
	// also the PEC provider, returning receipts to the PEC account's IMAP inbox.
	if cfg.PECFrom == "" {
		cfg.PECFrom = "approdo@pec.demo.approdo.invalid"
	}
	mailbox, err := devmail.Start(fmt.Sprintf("127.0.0.1:%d", dev.SMTPPort), devmail.Options{
		OnMessage: func(m devmail.Message) {
			if m.Receipt != "" {
				say("Dev mailbox: PEC receipt %s for %s", m.Receipt, strings.Join(m.To, ", "))
				return
			}
			say("Dev mailbox: %q for %s", m.Subject, strings.Join(m.To, ", "))
		},
		PEC: &devmail.PECProvider{
			Senders: []string{cfg.PECFrom}, Unreachable: dev.PECUnreachable,
			WarnAfter: dev.PECWarnAfter, FailAfter: dev.PECFailAfter,
		},
		// The PEC account, and the mail archive every email notice goes to as a Bcc.
		IMAPUsers: map[string]string{cfg.PECFrom: devPECPassword, devArchiveAddress: devArchivePassword},
	})
	if err != nil {
		return err
	}
	defer mailbox.Close()
	imapAddr, err := mailbox.ServeIMAP(fmt.Sprintf("127.0.0.1:%d", dev.IMAPPort))
	if err != nil {
		return fmt.Errorf("serve the dev mailbox over IMAP: %w", err)
	}
	mailPage := &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", dev.MailPagePort), Handler: mailbox.Handler(), ReadHeaderTimeout: 10 * time.Second}
	mailPageListener, err := net.Listen("tcp", mailPage.Addr)
	if err != nil {
		return fmt.Errorf("listen for the dev mailbox page: %w", err)
	}
	go func() { _ = mailPage.Serve(mailPageListener) }()
	defer mailPage.Close()
	cfg.SMTPHost, cfg.SMTPPort, cfg.SMTPTLS, cfg.SMTPUsername = "127.0.0.1", dev.SMTPPort, "none", ""
	// The same mailbox stands in for the PEC provider; the worker reads the receipts
	// from its IMAP side, often, and the dev clock is short.
	cfg.PECSMTPHost, cfg.PECSMTPPort, cfg.PECSMTPTLS, cfg.PECSMTPUsername = "127.0.0.1", dev.SMTPPort, "none", ""
	_, imapPort, _ := net.SplitHostPort(imapAddr)
	cfg.PECIMAPHost, cfg.PECIMAPTLS, cfg.PECIMAPUsername, cfg.PECIMAPPassword = "127.0.0.1", "none", cfg.PECFrom, devPECPassword
	cfg.PECIMAPPort, _ = strconv.Atoi(imapPort)
	// The mail archive: a notice whose sending a crash cut short is looked for there.
	cfg.MailArchiveAddress, cfg.MailArchiveIMAPHost, cfg.MailArchiveIMAPPort = devArchiveAddress, "127.0.0.1", cfg.PECIMAPPort
	cfg.MailArchiveIMAPTLS, cfg.MailArchiveIMAPUsername, cfg.MailArchiveIMAPPassword = "none", devArchiveAddress, devArchivePassword
	devDefault("MAIL_ARCHIVE_GRACE", &cfg.MailArchiveGrace, 10*time.Second)
	devDefault("PEC_POLL_INTERVAL", &cfg.PECPollInterval, 3*time.Second)
	devDefault("PEC_RECEIPT_TIMEOUT", &cfg.PECReceiptTimeout, 2*time.Minute)
	devDefault("ONBOARDING_REMINDER_EVERY", &cfg.OnboardingReminderEvery, 2*time.Minute)
	if cfg.USTEmail == "" {
		cfg.USTEmail = "ust@demo.approdo.invalid"
	}
	if cfg.OrientationEmail == "" {
		cfg.OrientationEmail = "orientamento@demo.approdo.invalid"
	}
	cfg.PublicURL = "http://" + cfg.HTTPAddr

	// 5. Worker and API, in this process.
	group, groupCtx := errgroup.WithContext(ctx)
	group.Go(func() error {
		return runWorkerUntilDone(groupCtx, cfg, appLog.With("process", "worker"), appPool, tc)
	})
	group.Go(func() error {
		return serveAPI(groupCtx, cfg, appLog.With("process", "api"), appPool, tc)
	})
	envFile, err := writeDevEnv(dir, cfg)
	if err != nil {
		return err
	}
	printDevBanner(cfg, temporalServer, logDir, tokensFile, "http://"+mailPage.Addr, envFile, logins)

	err = group.Wait()
	say("Stopping: API and worker, then Temporal, then PostgreSQL…")
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func createDatabaseIfMissing(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// stopWithTimeout stops a part of the stack, giving it a bounded time even after the
// signal that cancelled the main context.
func stopWithTimeout(what string, stop func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		slog.Error("stop failed", "part", what, "error", err)
	}
}

func printDevBanner(cfg config.Config, temporalServer *devtemporal.Server, logDir, tokensFile, mailPage, envFile string, logins []demoLogin) {
	api := "http://" + cfg.HTTPAddr
	query := url.QueryEscape(`Stage="awaiting_proposal"`)
	fmt.Printf(`
Approdo is running.

  Portal       %[1]s/   (the pages, in Italian; log in as a demo user, password %[2]q)
`, api, demoPassword)
	for _, l := range logins {
		fmt.Printf("                 %-52s %s, %s\n", l.Email, l.Organisation, l.Role)
	}
	fmt.Printf(`
  API          %[1]s   (health: /healthz, readiness: /readyz, spec: /api/v1/openapi.yaml)
  Temporal UI  %[2]s   (cases' data shows decoded to UST people logged in to the portal)
  Temporal     %[3]s   (namespace %[4]s, task queue %[5]s)
  PostgreSQL   %[6]s
  Mailbox      %[10]s   (every notice sent lands here; SMTP on 127.0.0.1:%[11]d)
  PEC          the mailbox is the PEC provider too: receipts go to %[12]s (IMAP %[13]s:%[14]d, password %[15]s)
  Logs         %[7]s  (PostgreSQL, Temporal; the API and worker log to this terminal)

Next steps:
  Load the demo tokens (UST, Comune di Milano, Polo START 1, CTI 22, two schools, the
  Prefettura, the one-stop shop for families, the orientation service):
    source %[9]s
  Open a case as the Comune di Milano:
    curl -i -X POST %[1]s/api/v1/enrolments -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $APPRODO_TOKEN_COMUNE" \
      -d '{"requestId":"'$(cat /proc/sys/kernel/random/uuid)'","comune":"015146","level":"primaria",
           "minor":{"givenName":"Olena","familyName":"Kovalenko","birthDate":"2017-04-12","sex":"F","citizenship":"UA"},
       "languages":["uk"],"guardian":{"name":"Iryna Kovalenko","phone":"+39 333 1234567","preferredLanguage":"uk"},
       "residence":{"address":"Via Padova 100","municipio":2},"origin":"ukrainian_refugee"}'
  Find it in the Temporal UI:
    %[2]s/namespaces/%[4]s/workflows?query=%[8]s
  Take it to enrolment (propose, decide, …): README.md, "Taking the case to enrolment".
  A family in reunification, sent by the Prefettura (README.md, "Family reunification"):
    curl -i -X POST %[1]s/api/v1/reunifications -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $APPRODO_TOKEN_PREFETTURA" \
      -d '{"reference":"PREF-DEMO-1","sponsor":{"givenName":"Ahmed","familyName":"Benali","phone":"+39 333 0000000","comune":"015146","municipio":2},
           "members":[{"givenName":"Amina","familyName":"Benali","birthDate":"2017-04-12","relation":"child"}],
           "nullaOsta":{"number":"NO-1","issuedOn":"2026-10-01"},"language":"ar"}'
  Give a comune its account, by PEC (README.md, "Onboarding the comuni"):
    source %[16]s && .dev/bin/approdo onboard comuni 015182

Press Ctrl-C to stop everything; the data stays for the next start.

`, api, temporalServer.UIURL(), devTemporalAddress(cfg), cfg.TemporalNamespace, cfg.TaskQueue,
		config.MaskURL(cfg.DatabaseURL), logDir, query, tokensFile, mailPage, cfg.SMTPPort,
		cfg.PECFrom, cfg.PECIMAPHost, cfg.PECIMAPPort, cfg.PECIMAPPassword, envFile)
}

// devPECPassword is the password of the dev mailbox's PEC account: loopback only.
const devPECPassword = "dev-pec"

// The dev mailbox's mail archive account (MAIL_ARCHIVE_*): loopback only.
const (
	devArchiveAddress  = "archivio@demo.approdo.invalid"
	devArchivePassword = "dev-archive"
)

// devDefault gives a duration the dev stack's short value unless the developer set the
// variable: on a laptop a day-long PEC timeout or a weekly reminder would never be seen.
func devDefault(variable string, value *time.Duration, short time.Duration) {
	if _, set := os.LookupEnv(variable); !set {
		*value = short
	}
}

// writeDevEnv writes the variables that point the approdo commands (onboard, org, token,
// user) at the dev stack, for `source`.
func writeDevEnv(dir string, cfg config.Config) (string, error) {
	path := filepath.Join(dir, "dev.env")
	content := fmt.Sprintf("# The dev stack's database (as its owner) and Temporal, for the approdo commands.\n"+
		"export DATABASE_URL=%s\nexport TEMPORAL_ADDRESS=%s\nexport TEMPORAL_NAMESPACE=%s\nexport TEMPORAL_TASK_QUEUE=%s\nexport TEMPORAL_PAYLOAD_KEY=%s\n",
		shellQuote(cfg.DatabaseURL), shellQuote(cfg.TemporalAddress), shellQuote(cfg.TemporalNamespace), shellQuote(cfg.TaskQueue), shellQuote(cfg.PayloadKey))
	// The TLS settings are always written, empty when off, so that sourcing the file
	// also clears those of an earlier run.
	content += fmt.Sprintf("export TEMPORAL_TLS_CA_FILE=%s\nexport TEMPORAL_TLS_CERT_FILE=%s\nexport TEMPORAL_TLS_KEY_FILE=%s\nexport TEMPORAL_TLS_SERVER_NAME=%s\n",
		shellQuote(cfg.TemporalTLSCAFile), shellQuote(cfg.TemporalTLSCertFile), shellQuote(cfg.TemporalTLSKeyFile), shellQuote(cfg.TemporalTLSServerName))
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// devTemporalTLS makes or reads the dev CA and certificates in dir for mode mtls or tls,
// and returns nil for none.
func devTemporalTLS(mode, dir string) (files *devtls.Files, mutual bool, err error) {
	switch mode {
	case "none":
		return nil, false, nil
	case "tls", "mtls":
	default:
		return nil, false, fmt.Errorf("APPRODO_DEV_TEMPORAL_TLS must be mtls, tls or none, not %q", mode)
	}
	f, err := devtls.Ensure(dir)
	if err != nil {
		return nil, false, err
	}
	return &f, mode == "mtls", nil
}

// devTemporalAddress is the banner's Temporal line: the address, and how it is secured.
func devTemporalAddress(cfg config.Config) string {
	switch {
	case cfg.TemporalTLSCertFile != "":
		return cfg.TemporalAddress + ", mutual TLS (certificates in " + filepath.Dir(cfg.TemporalTLSCAFile) + ")"
	case cfg.TemporalTLSCAFile != "":
		return cfg.TemporalAddress + ", TLS (CA " + cfg.TemporalTLSCAFile + ")"
	}
	return cfg.TemporalAddress
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// devPayloadKey reads the dev stack's payload key, making it at the first start: the
// workflows' payloads in .dev are sealed with it, so it must outlive a restart.
func devPayloadKey(dir string) (string, error) {
	path := filepath.Join(dir, "payload.key")
	if data, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(data)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	key := payloadcrypt.NewKey()
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}
