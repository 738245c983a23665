// Package config is Approdo's configuration: one struct, read once from environment
// variables by the command that starts a process. Every variable is listed in the README.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/temporalconn"
)

// Config holds every setting of the api, worker and migrate processes.
type Config struct {
	// DatabaseURL is the PostgreSQL connection URL. The dev stack starts its own cluster
	// when it is empty; the production processes require it.
	DatabaseURL string `env:"DATABASE_URL"`

	// PayloadKey (base64 of 32 random bytes) seals what the workflows keep in Temporal:
	// minors' data. Required by the api, the worker and onboard; `dev` makes one.
	PayloadKey string `env:"TEMPORAL_PAYLOAD_KEY"`
	// PayloadDecryptKeys (comma-separated) only open payloads: the previous keys after a
	// rotation, the next one while it is rolled out. PayloadPlainBefore (RFC 3339) lets
	// workflows started before it hold unsealed payloads. Both read by payloadcrypt.
	PayloadDecryptKeys string `env:"TEMPORAL_PAYLOAD_DECRYPT_KEYS"`
	PayloadPlainBefore string `env:"TEMPORAL_PAYLOAD_PLAIN_BEFORE"`

	TemporalAddress   string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233"`
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default"`
	TaskQueue         string `env:"TEMPORAL_TASK_QUEUE" envDefault:"approdo"`
	// How every process connects to the Temporal frontend: TLS (on when TEMPORAL_TLS is
	// true or any other of these is set), a private CA, a client certificate for mutual
	// TLS, the name to verify, an API key. See TemporalConnection.
	TemporalTLS           bool   `env:"TEMPORAL_TLS"`
	TemporalTLSCAFile     string `env:"TEMPORAL_TLS_CA_FILE"`
	TemporalTLSCertFile   string `env:"TEMPORAL_TLS_CERT_FILE"`
	TemporalTLSKeyFile    string `env:"TEMPORAL_TLS_KEY_FILE"`
	TemporalTLSServerName string `env:"TEMPORAL_TLS_SERVER_NAME"`
	TemporalAPIKey        string `env:"TEMPORAL_API_KEY"`
	// TemporalGRPCCompression is none (the default) or gzip: see temporalconn.Settings.
	TemporalGRPCCompression string `env:"TEMPORAL_GRPC_COMPRESSION" envDefault:"none"`

	// TemporalUIURL is the Temporal Web UI the supervisors use, for the portal's links from
	// a case to its workflow; empty hides them. The dev stack sets its own.
	TemporalUIURL string `env:"TEMPORAL_UI_URL"`

	// HTTPAddr is where the API listens. Loopback by default: exposing it is a decision
	// for whoever deploys it, behind a TLS-terminating proxy.
	HTTPAddr string `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// WorkerHealthAddr is where the worker answers its orchestrator's probes (/healthz,
	// /readyz); empty, the default, serves nothing. A pod's own port or loopback: the
	// answers are for the orchestrator, not for users.
	WorkerHealthAddr string `env:"WORKER_HEALTH_ADDR"`
	// WorkerStickyCacheSize bounds how many workflows a worker keeps in memory between
	// their tasks (Temporal's sticky cache; the SDK's default is 10,000, about 100 KiB
	// each for a case). A case is busy for seconds at each human step and then waits for
	// days: the cache need only hold those in flight, and a case evicted from it is
	// replayed from its history (tens of events, milliseconds) at its next step. 500
	// holds five times the cases of 100 concurrent filers; 1,000 put the worker and the
	// API exactly at their 250 MB budget with 10,000 open cases, with nothing to spare
	// (README, "Performance").
	WorkerStickyCacheSize int `env:"WORKER_STICKY_CACHE_SIZE" envDefault:"500"`
	// RegisterTimeout bounds how long POST /api/v1/enrolments waits for the new case to be
	// recorded before answering 503 (the caller then retries the same request).
	RegisterTimeout time.Duration `env:"API_REGISTER_TIMEOUT" envDefault:"15s"`

	// ShutdownTimeout is how long a process waits for work in flight on SIGINT/SIGTERM.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`

	// The case policy: deadlines in working days on the Italian calendar, the proposal
	// limit and the follow-up checks. Each case fixes the values in force when it is
	// routed, so a change applies to new cases only. LOCAL_HOLIDAYS are the holidays
	// besides the national ones of the offices the reference data gives no comune: the
	// orientation service (in Milano, hence 12-07), and cases routed before routing
	// returned each office's calendar; hubs and schools follow their own comune's.
	ProposalDays   int    `env:"CASE_PROPOSAL_DAYS" envDefault:"5"`
	DecisionDays   int    `env:"CASE_DECISION_DAYS" envDefault:"5"`
	ReminderDays   int    `env:"CASE_REMINDER_DAYS" envDefault:"1"`
	MaxProposals   int    `env:"CASE_MAX_PROPOSALS" envDefault:"3"`
	FollowUpDays   []int  `env:"CASE_FOLLOWUP_DAYS" envDefault:"30,90" envSeparator:","`
	AttendanceDays int    `env:"CASE_ATTENDANCE_DAYS" envDefault:"5"`
	LocalHolidays  string `env:"LOCAL_HOLIDAYS" envDefault:"12-07"`
	// DemoDeadline makes every deadline this fixed duration instead of working days, for
	// demonstrations and end-to-end tests only (e.g. 2m). Empty in production.
	DemoDeadline time.Duration `env:"CASE_DEMO_DEADLINE"`

	// Password login: session length, lockout after repeated failures (per account and
	// client address, and per account for unknown addresses), attempts per client address
	// per minute, and argon2 hashes computed at once (19 MiB each).
	SessionTTL              time.Duration `env:"SESSION_TTL" envDefault:"12h"`
	AuthMaxFailures         int           `env:"AUTH_MAX_FAILURES" envDefault:"5"`
	AuthAccountMaxFailures  int           `env:"AUTH_ACCOUNT_MAX_FAILURES" envDefault:"20"`
	AuthLockout             time.Duration `env:"AUTH_LOCKOUT" envDefault:"15m"`
	AuthAttemptsPerMinute   int           `env:"AUTH_ATTEMPTS_PER_MINUTE" envDefault:"20"`
	AuthMaxConcurrentHashes int           `env:"AUTH_MAX_CONCURRENT_HASHES" envDefault:"4"`
	// TrustedProxies are the reverse proxies (addresses or CIDR ranges) whose
	// X-Forwarded-For gives the client address. None by default.
	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`

	// Mail: the SMTP account notices are sent from. Without SMTP_HOST notifications wait
	// in the outbox table. PublicURL is where recipients reach the API, for the links.
	SMTPHost     string `env:"SMTP_HOST"`
	SMTPPort     int    `env:"SMTP_PORT" envDefault:"587"`
	SMTPTLS      string `env:"SMTP_TLS" envDefault:"starttls"`
	SMTPUsername string `env:"SMTP_USERNAME"`
	SMTPPassword string `env:"SMTP_PASSWORD"`
	MailFrom     string `env:"MAIL_FROM" envDefault:"approdo@approdo.invalid"`
	MailDomain   string `env:"MAIL_DOMAIN" envDefault:"approdo.invalid"`
	// The PEC mailbox comuni are notified from (implicit TLS on 465 by default).
	PECSMTPHost     string `env:"PEC_SMTP_HOST"`
	PECSMTPPort     int    `env:"PEC_SMTP_PORT" envDefault:"465"`
	PECSMTPTLS      string `env:"PEC_SMTP_TLS" envDefault:"implicit"`
	PECSMTPUsername string `env:"PEC_SMTP_USERNAME"`
	PECSMTPPassword string `env:"PEC_SMTP_PASSWORD"`
	PECFrom         string `env:"PEC_FROM"`
	// The PEC mailbox's IMAP side, polled for receipts; without PEC_IMAP_HOST no receipt
	// is read and every PEC counts as not delivered once PEC_RECEIPT_TIMEOUT passes.
	PECIMAPHost     string `env:"PEC_IMAP_HOST"`
	PECIMAPPort     int    `env:"PEC_IMAP_PORT" envDefault:"993"`
	PECIMAPTLS      string `env:"PEC_IMAP_TLS" envDefault:"implicit"`
	PECIMAPUsername string `env:"PEC_IMAP_USERNAME"`
	PECIMAPPassword string `env:"PEC_IMAP_PASSWORD"`
	PECIMAPMailbox  string `env:"PEC_IMAP_MAILBOX" envDefault:"INBOX"`
	// PECPollInterval is the pause between two reads of the PEC mailbox.
	PECPollInterval time.Duration `env:"PEC_POLL_INTERVAL" envDefault:"1m"`
	// PECReceiptTimeout is how long a PEC waits for its delivery receipt before it counts
	// as not delivered (the rules give providers 24 hours).
	PECReceiptTimeout time.Duration `env:"PEC_RECEIPT_TIMEOUT" envDefault:"24h"`
	// PECAcceptanceGrace is how long a PEC whose sending was cut short waits for the
	// provider's acceptance receipt before it is sent again.
	PECAcceptanceGrace time.Duration `env:"PEC_ACCEPTANCE_GRACE" envDefault:"10m"`
	// The mail archive: every email notice also goes, as a Bcc, to MAIL_ARCHIVE_ADDRESS,
	// the system's own copy of what it sent; its IMAP account is searched by Message-ID
	// for a notice whose sending was cut short (the worker killed), which is sent again
	// only if it is not there after MAIL_ARCHIVE_GRACE. Without MAIL_ARCHIVE_ADDRESS such a
	// notice is simply sent again, and may arrive twice.
	MailArchiveAddress      string        `env:"MAIL_ARCHIVE_ADDRESS"`
	MailArchiveIMAPHost     string        `env:"MAIL_ARCHIVE_IMAP_HOST"`
	MailArchiveIMAPPort     int           `env:"MAIL_ARCHIVE_IMAP_PORT" envDefault:"993"`
	MailArchiveIMAPTLS      string        `env:"MAIL_ARCHIVE_IMAP_TLS" envDefault:"implicit"`
	MailArchiveIMAPUsername string        `env:"MAIL_ARCHIVE_IMAP_USERNAME"`
	MailArchiveIMAPPassword string        `env:"MAIL_ARCHIVE_IMAP_PASSWORD"`
	MailArchiveIMAPMailbox  string        `env:"MAIL_ARCHIVE_IMAP_MAILBOX" envDefault:"INBOX"`
	MailArchiveGrace        time.Duration `env:"MAIL_ARCHIVE_GRACE" envDefault:"5m"`
	// The onboarding of a comune reminds it every OnboardingReminderEvery to log in, up to
	// OnboardingReminders times, then alerts UST.
	OnboardingReminderEvery time.Duration `env:"ONBOARDING_REMINDER_EVERY" envDefault:"168h"`
	OnboardingReminders     int           `env:"ONBOARDING_REMINDERS" envDefault:"3"`
	// The reunification journey's deadlines: the law changes, so every one is a setting.
	ReunificationContactAttempts   int           `env:"REUNIFICATION_CONTACT_ATTEMPTS" envDefault:"3"`
	ReunificationInterviewReminder time.Duration `env:"REUNIFICATION_INTERVIEW_REMINDER" envDefault:"24h"`
	ReunificationNullaOstaValidity time.Duration `env:"REUNIFICATION_NULLA_OSTA_VALIDITY" envDefault:"4392h"`
	ReunificationPermessoDays      int           `env:"REUNIFICATION_PERMESSO_DAYS" envDefault:"8"`
	ReunificationFollowUpEvery     time.Duration `env:"REUNIFICATION_FOLLOWUP_EVERY" envDefault:"720h"`
	ReunificationFollowUps         int           `env:"REUNIFICATION_FOLLOWUPS" envDefault:"3"`
	ReunificationMaxDuration       time.Duration `env:"REUNIFICATION_MAX_DURATION" envDefault:"8760h"`

	// The orientation service's intervention deadlines, in working days (the reminder and
	// local holidays are the case policy's).
	InterventionTakeChargeDays int `env:"INTERVENTION_TAKE_CHARGE_DAYS" envDefault:"5"`
	InterventionInterviewDays  int `env:"INTERVENTION_INTERVIEW_DAYS" envDefault:"10"`
	InterventionReviewDays     int `env:"INTERVENTION_REVIEW_DAYS" envDefault:"5"`

	USTEmail         string `env:"UST_EMAIL"`
	OrientationEmail string `env:"ORIENTATION_EMAIL"`
	PublicURL        string `env:"PUBLIC_URL" envDefault:"http://127.0.0.1:8080"`

	// MonitoringMinCell is the smallest count a monitoring figure (table, chart, export,
	// API count) shows as it is, to every reader, UST included: smaller ones (but 0) are
	// shown as "<MonitoringMinCell". 1 shows every count.
	MonitoringMinCell int `env:"MONITORING_MIN_CELL" envDefault:"4"`

	// AuditRetention is how long audit log entries are kept; at least six months, the
	// minimum for administrators' access logs.
	AuditRetention time.Duration `env:"AUDIT_RETENTION" envDefault:"8784h"`

	// RetentionPeriod is how long after a case, journey, intervention or import closes its
	// personal data is kept; the retention workflow, run daily by a Schedule that
	// `approdo migrate` makes, then pseudonymises it.
	RetentionPeriod time.Duration `env:"RETENTION_PERIOD" envDefault:"17520h"`
	// TemporalRetention is the namespace retention `approdo migrate` sets: how long
	// Temporal keeps a closed workflow's history, sealed payloads included. It must be
	// shorter than RetentionPeriod, so that no history outlives the data it was about.
	TemporalRetention time.Duration `env:"TEMPORAL_RETENTION" envDefault:"720h"`

	LogLevel  slog.Level `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string     `env:"LOG_FORMAT" envDefault:"auto"`
}

// Load reads the configuration from the environment and checks it.
func Load() (Config, error) {
	cfg, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("read configuration: %w", namedByVariable(err))
	}
	return cfg, cfg.check()
}

// namedByVariable rewrites the library's parse errors, which name the Go field, to name
// the environment variable the operator actually set.
func namedByVariable(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	fields := reflect.TypeFor[Config]()
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := fields.FieldByName(pe.Name); ok {
				name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
				msgs = append(msgs, fmt.Sprintf("%s: %v", name, pe.Err))
				continue
			}
		}
		msgs = append(msgs, e.Error())
	}
	return errors.New(strings.Join(msgs, "; "))
}

func (c Config) check() error {
	switch c.LogFormat {
	case "auto", "json", "text":
	default:
		return fmt.Errorf("LOG_FORMAT must be auto, json or text, not %q", c.LogFormat)
	}
	for name, d := range map[string]time.Duration{"API_REGISTER_TIMEOUT": c.RegisterTimeout, "SHUTDOWN_TIMEOUT": c.ShutdownTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s must be a positive duration such as 15s", name)
		}
	}
	if _, err := c.CasePolicy(); err != nil {
		return err
	}
	if c.SessionTTL <= 0 || c.AuthLockout <= 0 || c.AuthMaxFailures < 1 || c.AuthAccountMaxFailures < 1 ||
		c.AuthAttemptsPerMinute < 1 || c.AuthMaxConcurrentHashes < 1 {
		return fmt.Errorf("SESSION_TTL, AUTH_LOCKOUT, AUTH_MAX_FAILURES, AUTH_ACCOUNT_MAX_FAILURES, AUTH_ATTEMPTS_PER_MINUTE and AUTH_MAX_CONCURRENT_HASHES must be positive")
	}
	for i, p := range c.TrustedProxies {
		p = strings.TrimSpace(p)
		c.TrustedProxies[i] = p
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("TRUSTED_PROXIES must list IP addresses or CIDR ranges, not %q", p)
		}
	}
	for _, m := range []struct{ name, mode, hostName, host string }{
		{"SMTP_TLS", c.SMTPTLS, "SMTP_HOST", c.SMTPHost},
		{"PEC_SMTP_TLS", c.PECSMTPTLS, "PEC_SMTP_HOST", c.PECSMTPHost},
		{"PEC_IMAP_TLS", c.PECIMAPTLS, "PEC_IMAP_HOST", c.PECIMAPHost},
		{"MAIL_ARCHIVE_IMAP_TLS", c.MailArchiveIMAPTLS, "MAIL_ARCHIVE_IMAP_HOST", c.MailArchiveIMAPHost},
	} {
		switch m.mode {
		case "implicit", "starttls":
		case "none":
			// Passwords and minors' data would cross the network in clear text.
			if m.host != "" && !isLoopback(m.host) {
				return fmt.Errorf("%s=none is allowed only for a loopback %s (127.0.0.1, ::1, localhost), not %q: use implicit or starttls", m.name, m.hostName, m.host)
			}
		default:
			return fmt.Errorf("%s must be implicit, starttls or none, not %q", m.name, m.mode)
		}
	}
	if c.PECPollInterval <= 0 || c.PECReceiptTimeout <= 0 || c.PECAcceptanceGrace <= 0 || c.OnboardingReminderEvery <= 0 || c.OnboardingReminders < 0 {
		return fmt.Errorf("PEC_POLL_INTERVAL, PEC_RECEIPT_TIMEOUT, PEC_ACCEPTANCE_GRACE and ONBOARDING_REMINDER_EVERY must be positive, ONBOARDING_REMINDERS not negative")
	}
	if c.MailArchiveAddress != "" && c.MailArchiveIMAPHost == "" {
		// An archive that cannot be searched settles nothing.
		return fmt.Errorf("MAIL_ARCHIVE_ADDRESS needs MAIL_ARCHIVE_IMAP_HOST (and its account) to look for a notice whose sending was cut short")
	}
	if c.MailArchiveGrace <= 0 {
		return fmt.Errorf("MAIL_ARCHIVE_GRACE must be a positive duration such as 5m")
	}
	if c.ReunificationContactAttempts < 1 || c.ReunificationInterviewReminder <= 0 || c.ReunificationNullaOstaValidity <= 0 ||
		c.ReunificationPermessoDays < 1 || c.ReunificationFollowUpEvery <= 0 || c.ReunificationFollowUps < 1 || c.ReunificationMaxDuration <= 0 {
		return fmt.Errorf("the REUNIFICATION_* settings must be positive")
	}
	if c.InterventionTakeChargeDays < 1 || c.InterventionInterviewDays < 1 || c.InterventionReviewDays < 1 {
		return fmt.Errorf("INTERVENTION_TAKE_CHARGE_DAYS, INTERVENTION_INTERVIEW_DAYS and INTERVENTION_REVIEW_DAYS must be at least 1")
	}
	if c.WorkerStickyCacheSize < 1 {
		return fmt.Errorf("WORKER_STICKY_CACHE_SIZE must be at least 1, not %d", c.WorkerStickyCacheSize)
	}
	if c.MonitoringMinCell < 1 {
		return fmt.Errorf("MONITORING_MIN_CELL must be at least 1 (1 shows every count), not %d", c.MonitoringMinCell)
	}
	if c.AuditRetention < MinAuditRetention {
		return fmt.Errorf("AUDIT_RETENTION must be at least %s (six months), not %s", MinAuditRetention, c.AuditRetention)
	}
	if c.TemporalRetention < 24*time.Hour {
		return fmt.Errorf("TEMPORAL_RETENTION must be at least 24h (Temporal's minimum), not %s", c.TemporalRetention)
	}
	if c.RetentionPeriod <= c.TemporalRetention {
		return fmt.Errorf("RETENTION_PERIOD (%s) must be longer than TEMPORAL_RETENTION (%s): workflow histories would outlive the data", c.RetentionPeriod, c.TemporalRetention)
	}
	if c.TemporalAddress == "" || c.TemporalNamespace == "" || c.TaskQueue == "" {
		return fmt.Errorf("TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_TASK_QUEUE must not be empty")
	}
	if err := c.TemporalConnection().Check(temporalTLSVariables); err != nil {
		return err
	}
	return nil
}

// isLoopback tells a host that never leaves the machine: localhost, 127.0.0.0/8 or ::1.
// Other names are not resolved: what a name resolves to can change after the check.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// temporalTLSVariables names the variables behind temporalconn.Settings, for its errors.
var temporalTLSVariables = map[string]string{
	"CAFile": "TEMPORAL_TLS_CA_FILE", "CertFile": "TEMPORAL_TLS_CERT_FILE", "KeyFile": "TEMPORAL_TLS_KEY_FILE",
	"Compression": "TEMPORAL_GRPC_COMPRESSION",
}

// TemporalConnection is how processes connect to the Temporal frontend.
func (c Config) TemporalConnection() temporalconn.Settings {
	return temporalconn.Settings{
		TLS: c.TemporalTLS, CAFile: c.TemporalTLSCAFile, CertFile: c.TemporalTLSCertFile, KeyFile: c.TemporalTLSKeyFile,
		ServerName: c.TemporalTLSServerName, APIKey: c.TemporalAPIKey, Compression: c.TemporalGRPCCompression,
	}
}

// InterventionPolicy returns the deadlines of the orientation service's interventions:
// its own days, with the case policy's reminder, local holidays and demo deadline.
func (c Config) InterventionPolicy() (casework.InterventionPolicy, error) {
	cp, err := c.CasePolicy()
	if err != nil {
		return casework.InterventionPolicy{}, err
	}
	return casework.InterventionPolicy{
		TakeChargeDays: c.InterventionTakeChargeDays, InterviewDays: c.InterventionInterviewDays, ReviewDays: c.InterventionReviewDays,
		ReminderDays: cp.ReminderDays, LocalHolidays: cp.LocalHolidays, DemoDeadline: cp.DemoDeadline,
	}, nil
}

// JourneyPolicy returns the reunification journey's policy the configuration sets.
func (c Config) JourneyPolicy() casework.JourneyPolicy {
	return casework.JourneyPolicy{
		MaxContactAttempts: c.ReunificationContactAttempts, InterviewReminder: c.ReunificationInterviewReminder,
		NullaOstaValidity: c.ReunificationNullaOstaValidity, PermessoDays: c.ReunificationPermessoDays,
		FollowUpEvery: c.ReunificationFollowUpEvery, FollowUps: c.ReunificationFollowUps, MaxDuration: c.ReunificationMaxDuration,
	}
}

// CasePolicy returns the case policy the configuration sets, or says which variable is
// wrong.
func (c Config) CasePolicy() (casework.Policy, error) {
	for name, days := range map[string]int{"CASE_PROPOSAL_DAYS": c.ProposalDays, "CASE_DECISION_DAYS": c.DecisionDays, "CASE_ATTENDANCE_DAYS": c.AttendanceDays, "CASE_MAX_PROPOSALS": c.MaxProposals} {
		if days < 1 || days > 365 {
			return casework.Policy{}, fmt.Errorf("%s must be between 1 and 365, not %d", name, days)
		}
	}
	// A reminder on or before the day a task opens would be sent at once: it must come
	// after the task opens, so before the shortest deadline.
	if shortest := min(c.ProposalDays, c.DecisionDays, c.AttendanceDays); c.ReminderDays < 0 || c.ReminderDays >= shortest {
		return casework.Policy{}, fmt.Errorf("CASE_REMINDER_DAYS must be 0 (no reminder) or fewer than the shortest deadline (%d working days), not %d", shortest, c.ReminderDays)
	}
	prev := 0
	for _, d := range c.FollowUpDays {
		if d <= prev || d > 3650 {
			return casework.Policy{}, fmt.Errorf("CASE_FOLLOWUP_DAYS must be increasing numbers of days after the start date, e.g. 30,90")
		}
		prev = d
	}
	holidays, err := calendar.ParseMonthDays(c.LocalHolidays)
	if err != nil {
		return casework.Policy{}, fmt.Errorf("LOCAL_HOLIDAYS: %w", err)
	}
	p := casework.Policy{
		ProposalDays:   c.ProposalDays,
		DecisionDays:   c.DecisionDays,
		ReminderDays:   c.ReminderDays,
		MaxProposals:   c.MaxProposals,
		FollowUpDays:   c.FollowUpDays,
		AttendanceDays: c.AttendanceDays,
		DemoDeadline:   c.DemoDeadline,
	}
	if c.DemoDeadline < 0 {
		return casework.Policy{}, fmt.Errorf("CASE_DEMO_DEADLINE must be a positive duration such as 2m, or empty")
	}
	for _, h := range holidays {
		p.LocalHolidays = append(p.LocalHolidays, casework.MonthDay{Month: h.Month, Day: h.Day})
	}
	return p, nil
}

// MinAuditRetention is six months (183 days): access logs of administrators must be kept
// at least that long.
const MinAuditRetention = 183 * 24 * time.Hour

// RequireDatabase fails when no database is configured, for processes that cannot start
// their own.
func (c Config) RequireDatabase() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is required")
	}
	return nil
}

// LogValue lets the whole configuration be logged at start-up with the database password
// masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", MaskURL(c.DatabaseURL)),
		slog.String("temporal_address", c.TemporalAddress),
		slog.Any("temporal_connection", c.TemporalConnection()),
		slog.String("temporal_namespace", c.TemporalNamespace),
		slog.String("task_queue", c.TaskQueue),
		slog.String("http_addr", c.HTTPAddr),
		slog.String("worker_health_addr", c.WorkerHealthAddr),
		slog.Int("worker_sticky_cache_size", c.WorkerStickyCacheSize),
		slog.Duration("register_timeout", c.RegisterTimeout),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Int("case_proposal_days", c.ProposalDays),
		slog.Int("case_decision_days", c.DecisionDays),
		slog.Int("case_reminder_days", c.ReminderDays),
		slog.Int("case_max_proposals", c.MaxProposals),
		slog.Any("case_followup_days", c.FollowUpDays),
		slog.Int("case_attendance_days", c.AttendanceDays),
		slog.String("local_holidays", c.LocalHolidays),
		slog.Duration("case_demo_deadline", c.DemoDeadline),
		slog.Duration("session_ttl", c.SessionTTL),
		slog.Int("auth_max_failures", c.AuthMaxFailures),
		slog.Duration("auth_lockout", c.AuthLockout),
		slog.Int("auth_attempts_per_minute", c.AuthAttemptsPerMinute),
		slog.Int("auth_account_max_failures", c.AuthAccountMaxFailures),
		slog.Int("auth_max_concurrent_hashes", c.AuthMaxConcurrentHashes),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.String("smtp_host", c.SMTPHost),
		slog.Int("smtp_port", c.SMTPPort),
		slog.String("smtp_tls", c.SMTPTLS),
		slog.String("mail_from", c.MailFrom),
		slog.String("pec_smtp_host", c.PECSMTPHost),
		slog.String("pec_from", c.PECFrom),
		slog.Bool("mail_archive", c.MailArchiveAddress != ""),
		slog.String("mail_archive_imap_host", c.MailArchiveIMAPHost),
		slog.Duration("audit_retention", c.AuditRetention),
		slog.Duration("retention_period", c.RetentionPeriod),
		slog.Duration("temporal_retention", c.TemporalRetention),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
	)
}

// keywordPassword is the password of a keyword/value connection string (libpq's
// `host=… password=secret` or `password='a secret'`), quoted or not.
var keywordPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)

// MaskURL hides the password of a connection URL, or of a keyword/value connection
// string (`host=db user=approdo password=…`).
func MaskURL(raw string) string {
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") {
		return keywordPassword.ReplaceAllString(raw, "${1}xxxxx")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Unparseable: it may still hold a secret, so show nothing of it.
		return "(unparseable)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
