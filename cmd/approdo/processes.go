package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	temporallog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/activities/imports"
	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/config"
	"github.com/approdo/approdo/internal/logging"
	"github.com/approdo/approdo/internal/mailer"
	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/internal/pecinbox"
	"github.com/approdo/approdo/internal/pecreceipts"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

// setup reads the configuration and builds the logger every process starts with.
func setup(process string) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load()
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, startLog(os.Stderr, process, cfg), nil
}

// longRunning are the processes that serve until stopped. Their first log line is the
// configuration they run with, for whoever reads their logs later; a one-shot command
// (org create, token create, migrate, …) has a person waiting for its result, so it logs
// its configuration at debug level only (LOG_LEVEL=debug shows it).
var longRunning = map[string]bool{"api": true, "worker": true}

// startLog returns the process's logger, having logged the configuration (secrets
// masked by config.Config's LogValue).
func startLog(w io.Writer, process string, cfg config.Config) *slog.Logger {
	log := logging.New(w, cfg.LogLevel, cfg.LogFormat).With("process", process)
	level := slog.LevelDebug
	if longRunning[process] {
		level = slog.LevelInfo
	}
	log.Log(context.Background(), level, "starting", "config", cfg)
	return log
}

// setupWithDatabase is setup for the processes that need PostgreSQL. The caller closes
// the pool.
//
// open is store.OpenApp for the API and the worker, whose every query row-level security
// checks, and store.Open for the owner's tasks (the reference data import).
func setupWithDatabase(ctx context.Context, process string, open func(context.Context, string) (*pgxpool.Pool, error)) (config.Config, *slog.Logger, *pgxpool.Pool, error) {
	cfg, log, err := setup(process)
	if err != nil {
		return config.Config{}, nil, nil, err
	}
	if err := cfg.RequireDatabase(); err != nil {
		return config.Config{}, nil, nil, err
	}
	pool, err := open(ctx, cfg.DatabaseURL)
	if err != nil {
		return config.Config{}, nil, nil, err
	}
	return cfg, log, pool, nil
}

func runAPI(ctx context.Context) error {
	cfg, log, pool, err := setupWithDatabase(ctx, "api", store.OpenApp)
	if err != nil {
		return err
	}
	defer pool.Close()
	tc, err := dialTemporalSealed(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	return serveAPI(ctx, cfg, log, pool, tc)
}

func serveAPI(ctx context.Context, cfg config.Config, log *slog.Logger, pool *pgxpool.Pool, tc client.Client) error {
	listener, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	codec, err := payloadCodec(cfg)
	if err != nil {
		return err
	}
	handler := api.NewHandler(api.Dependencies{
		Temporal:  tc,
		Store:     store.New(pool),
		TaskQueue: cfg.TaskQueue,
		Log:       log,
		Auth: api.AuthSettings{
			SessionTTL: cfg.SessionTTL, MaxFailures: cfg.AuthMaxFailures, AccountMaxFailures: cfg.AuthAccountMaxFailures,
			Lockout: cfg.AuthLockout, AttemptsPerMinute: cfg.AuthAttemptsPerMinute, MaxConcurrentHashes: cfg.AuthMaxConcurrentHashes,
		},
		TrustedProxies:    cfg.TrustedProxies,
		RegisterTimeout:   cfg.RegisterTimeout,
		TemporalUIURL:     cfg.TemporalUIURL,
		TemporalNamespace: cfg.TemporalNamespace,
		MonitoringMinCell: cfg.MonitoringMinCell,
		// The codec server of the Temporal Web UI opens the sealed payloads for UST.
		PayloadCodec: codec,
	})
	log.Info("api listening", "addr", listener.Addr().String())
	return api.Serve(ctx, listener, handler, cfg.ShutdownTimeout, log)
}

func runWorker(ctx context.Context) error {
	cfg, log, pool, err := setupWithDatabase(ctx, "worker", store.OpenApp)
	if err != nil {
		return err
	}
	defer pool.Close()
	tc, err := dialTemporalSealed(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	return runWorkerUntilDone(ctx, cfg, log, pool, tc)
}

func runWorkerUntilDone(ctx context.Context, cfg config.Config, log *slog.Logger, pool *pgxpool.Pool, tc client.Client) error {
	policy, err := cfg.CasePolicy()
	if err != nil {
		return err
	}
	deps := worker.DependenciesOn(store.New(pool), policy)
	deps.Log = log
	deps.Onboarding.Policy = activities.OnboardingPolicy{ReminderEvery: cfg.OnboardingReminderEvery, Reminders: cfg.OnboardingReminders}
	deps.Journeys.Policy = cfg.JourneyPolicy()
	if deps.Interventions.Policy, err = cfg.InterventionPolicy(); err != nil {
		return err
	}
	deps.Imports = &imports.Imports{Store: store.New(pool), Temporal: tc, TaskQueue: cfg.TaskQueue}
	if cfg.SMTPHost != "" {
		deps.Cases.Temporal, deps.Cases.TaskQueue = tc, cfg.TaskQueue
		deps.Delivery = &activities.Delivery{
			Store: deps.Cases.Store,
			Mail: mailer.Account{
				Host: cfg.SMTPHost, Port: cfg.SMTPPort, TLS: mailer.TLS(cfg.SMTPTLS),
				Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.MailFrom,
			},
			PEC: mailer.Account{
				Host: cfg.PECSMTPHost, Port: cfg.PECSMTPPort, TLS: mailer.TLS(cfg.PECSMTPTLS),
				Username: cfg.PECSMTPUsername, Password: cfg.PECSMTPPassword, From: cfg.PECFrom,
			},
			Domain: cfg.MailDomain, UST: cfg.USTEmail, Orientation: cfg.OrientationEmail, BaseURL: cfg.PublicURL,
			ReceiptTimeout: cfg.PECReceiptTimeout, AcceptanceGrace: cfg.PECAcceptanceGrace,
			Archive: activities.MailArchive{
				Address: cfg.MailArchiveAddress, Grace: cfg.MailArchiveGrace,
				IMAP: pecinbox.Account{
					Host: cfg.MailArchiveIMAPHost, Port: cfg.MailArchiveIMAPPort, TLS: cfg.MailArchiveIMAPTLS,
					Username: cfg.MailArchiveIMAPUsername, Password: cfg.MailArchiveIMAPPassword, Mailbox: cfg.MailArchiveIMAPMailbox,
				},
			},
		}
		if cfg.MailArchiveAddress == "" {
			log.Warn("MAIL_ARCHIVE_ADDRESS is not set: an email notice whose sending a crash cut short is sent again, and may arrive twice")
		}
	} else {
		log.Warn("SMTP_HOST is not set: notifications wait in the outbox and are not sent")
	}
	// The cache is the process's, shared by its workers; it is sized before the first
	// one is made (config.WorkerStickyCacheSize says why this size).
	sdkworker.SetStickyWorkflowCacheSize(cfg.WorkerStickyCacheSize)
	w := worker.New(tc, cfg.TaskQueue, sdkworker.Options{WorkerStopTimeout: cfg.ShutdownTimeout}, deps)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	log.Info("worker polling", "task_queue", cfg.TaskQueue, "namespace", cfg.TemporalNamespace, "sticky_cache_size", cfg.WorkerStickyCacheSize)
	healthDone, err := serveWorkerHealth(ctx, cfg, log, pool, tc)
	if err != nil {
		w.Stop()
		return err
	}
	pollerDone := make(chan struct{})
	if cfg.PECIMAPHost != "" {
		poller := &pecinbox.Poller{
			Account: pecinbox.Account{
				Host: cfg.PECIMAPHost, Port: cfg.PECIMAPPort, TLS: cfg.PECIMAPTLS,
				Username: cfg.PECIMAPUsername, Password: cfg.PECIMAPPassword, Mailbox: cfg.PECIMAPMailbox,
			},
			Interval: cfg.PECPollInterval,
			Log:      log.With("part", "pec-inbox"),
		}
		handler := &pecreceipts.Handler{Store: store.New(pool), Temporal: tc, Log: log.With("part", "pec-inbox")}
		poller.Sink, poller.Cursor = handler, handler
		go func() {
			defer close(pollerDone)
			_ = poller.Run(ctx)
		}()
		log.Info("PEC mailbox polled for receipts", "every", cfg.PECPollInterval.String())
	} else {
		close(pollerDone)
		log.Warn("PEC_IMAP_HOST is not set: PEC receipts are not read, and every PEC counts as not delivered after PEC_RECEIPT_TIMEOUT")
	}
	<-ctx.Done()
	<-pollerDone
	<-healthDone
	log.Info("worker stopping", "timeout", cfg.ShutdownTimeout.String())
	// Stop waits for running activities up to WorkerStopTimeout; whatever is cut short is
	// retried by Temporal on the next worker, so no case is lost.
	w.Stop()
	return nil
}

func runMigrate(ctx context.Context) error {
	cfg, log, err := setup("migrate")
	if err != nil {
		return err
	}
	if err := cfg.RequireDatabase(); err != nil {
		return err
	}
	applied, err := store.MigrateReport(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	log.Info("database migrated", "applied", len(applied))
	// Sealed: the retention Schedule's input is a payload the worker would refuse unsealed.
	tc, err := dialTemporalSealed(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	if err := searchattr.Ensure(ctx, tc, cfg.TemporalNamespace); err != nil {
		return err
	}
	log.Info("search attributes registered", "namespace", cfg.TemporalNamespace)
	// Temporal keeps closed workflows' histories (sealed payloads, minors' data among
	// them) for TEMPORAL_RETENTION; the retention workflow pseudonymises PostgreSQL's
	// records after RETENTION_PERIOD, which the configuration keeps longer.
	if err := worker.SetNamespaceRetention(ctx, tc, cfg.TemporalNamespace, cfg.TemporalRetention); err != nil {
		return err
	}
	log.Info("namespace retention set", "namespace", cfg.TemporalNamespace, "retention", cfg.TemporalRetention)
	if err := worker.EnsureRetentionSchedule(ctx, tc, cfg.TaskQueue, workflows.RetentionInput{Period: cfg.RetentionPeriod}); err != nil {
		return err
	}
	log.Info("retention scheduled", "schedule", workflows.RetentionScheduleID, "period", cfg.RetentionPeriod)
	return nil
}

// payloadCodec is the keyring of TEMPORAL_PAYLOAD_KEY (seals) and
// TEMPORAL_PAYLOAD_DECRYPT_KEYS (only open), refusing unsealed payloads but in workflows
// started before TEMPORAL_PAYLOAD_PLAIN_BEFORE.
func payloadCodec(cfg config.Config) (*payloadcrypt.Codec, error) {
	return payloadcrypt.FromSettings(payloadcrypt.Settings{
		Key:         cfg.PayloadKey,
		DecryptKeys: cfg.PayloadDecryptKeys,
		PlainBefore: cfg.PayloadPlainBefore,
	})
}

// dialTemporalSealed connects to the Temporal frontend, giving up after a while rather
// than hanging a process whose cluster is not there, for a process that reads or writes
// workflow payloads (the api, the worker, onboard, migrate): they are sealed with
// TEMPORAL_PAYLOAD_KEY, which is required.
func dialTemporalSealed(ctx context.Context, cfg config.Config, log *slog.Logger) (client.Client, error) {
	codec, err := payloadCodec(cfg)
	if err != nil {
		return nil, err
	}
	opts := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    temporallog.NewStructuredLogger(log.With("component", "temporal-sdk")),
	}
	// TLS, mutual TLS and the API key, as TEMPORAL_TLS* and TEMPORAL_API_KEY say.
	if err := cfg.TemporalConnection().Apply(&opts); err != nil {
		return nil, err
	}
	opts.DataConverter = codec.DataConverter()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return tc, nil
}
