package config_test

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/config"
)

func TestLoadDefaults(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	cfg, err := config.Load()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7233", cfg.TemporalAddress)
	require.Equal(t, "approdo", cfg.TaskQueue)
	require.Equal(t, 20*time.Second, cfg.ShutdownTimeout)
	require.Equal(t, 17520*time.Hour, cfg.RetentionPeriod, "24 months")
	require.Equal(t, 720*time.Hour, cfg.TemporalRetention)
	require.Error(t, cfg.RequireDatabase())
}

func TestLoadRejectsBadValues(t *testing.T) {
	t.Setenv("LOG_FORMAT", "xml")
	_, err := config.Load()
	require.ErrorContains(t, err, "LOG_FORMAT")

	t.Setenv("LOG_FORMAT", "json")
	t.Setenv("SHUTDOWN_TIMEOUT", "soon")
	_, err = config.Load()
	require.ErrorContains(t, err, "SHUTDOWN_TIMEOUT")

	t.Setenv("SHUTDOWN_TIMEOUT", "-1s")
	_, err = config.Load()
	require.ErrorContains(t, err, "SHUTDOWN_TIMEOUT")
}

func TestLoggedConfigMasksThePassword(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://approdo:s3cret@db.example:5432/approdo?sslmode=require")
	cfg, err := config.Load()
	require.NoError(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", cfg)
	require.NotContains(t, buf.String(), "s3cret")
	require.Contains(t, buf.String(), "approdo:xxxxx@db.example")
}

func TestMaskURLHidesQueryPasswords(t *testing.T) {
	t.Parallel()
	require.NotContains(t, config.MaskURL("postgres://db/approdo?user=a&password=hunter2"), "hunter2")
	require.Equal(t, "(unparseable)", config.MaskURL("postgres://a:b@[::1"))
}

func TestCasePolicyComesFromTheEnvironment(t *testing.T) {
	t.Setenv("CASE_PROPOSAL_DAYS", "7")
	t.Setenv("CASE_MAX_PROPOSALS", "2")
	t.Setenv("CASE_FOLLOWUP_DAYS", "15,45,120")
	t.Setenv("LOCAL_HOLIDAYS", "12-07,10-04")
	cfg, err := config.Load()
	require.NoError(t, err)
	p, err := cfg.CasePolicy()
	require.NoError(t, err)
	require.Equal(t, 7, p.ProposalDays)
	require.Equal(t, 5, p.DecisionDays, "the default")
	require.Equal(t, 1, p.ReminderDays)
	require.Equal(t, 2, p.MaxProposals)
	require.Equal(t, []int{15, 45, 120}, p.FollowUpDays)
	require.Equal(t, []casework.MonthDay{{Month: time.December, Day: 7}, {Month: time.October, Day: 4}}, p.LocalHolidays)
	require.Zero(t, p.DemoDeadline)
}

func TestCasePolicyRejectsBadValues(t *testing.T) {
	for name, tc := range map[string]struct{ variable, value string }{
		"no days":                {"CASE_DECISION_DAYS", "0"},
		"reminder after due":     {"CASE_REMINDER_DAYS", "5"},
		"follow-ups not sorted":  {"CASE_FOLLOWUP_DAYS", "90,30"},
		"not a holiday":          {"LOCAL_HOLIDAYS", "31-12"},
		"no proposal at all":     {"CASE_MAX_PROPOSALS", "0"},
		"negative demo":          {"CASE_DEMO_DEADLINE", "-2m"},
		"short audit retention":  {"AUDIT_RETENTION", "720h"},
		"temporal under a day":   {"TEMPORAL_RETENTION", "12h"},
		"histories outlive data": {"RETENTION_PERIOD", "720h"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(tc.variable, tc.value)
			_, err := config.Load()
			require.ErrorContains(t, err, tc.variable)
		})
	}
}

func TestMaskURLHidesKeywordPasswords(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"host=db user=approdo password=hunter2 dbname=approdo",
		"host=db PASSWORD = hunter2",
		`host=db password='hunter2 with spaces \' and a quote' sslmode=require`,
	} {
		masked := config.MaskURL(dsn)
		require.NotContains(t, masked, "hunter2", dsn)
		require.Contains(t, masked, "host=db", dsn)
	}
	require.Contains(t, config.MaskURL(`password='x' sslmode=require`), "sslmode=require")
}

func TestTrustedProxiesAreAddressesOrRanges(t *testing.T) {
	t.Setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,::1")
	cfg, err := config.Load()
	require.NoError(t, err)
	require.Equal(t, []string{"10.0.0.0/8", "192.168.1.7", "::1"}, cfg.TrustedProxies)
	t.Setenv("TRUSTED_PROXIES", "proxy.example.org")
	_, err = config.Load()
	require.ErrorContains(t, err, "TRUSTED_PROXIES")
}

func TestTrustedProxiesDefaultToNone(t *testing.T) {
	t.Setenv("TRUSTED_PROXIES", "")
	cfg, err := config.Load()
	require.NoError(t, err)
	require.Empty(t, cfg.TrustedProxies)
}

func TestTheMailArchiveNeedsItsIMAPAccount(t *testing.T) {
	t.Setenv("MAIL_ARCHIVE_ADDRESS", "archivio@ust-milano.example.it")
	_, err := config.Load()
	require.ErrorContains(t, err, "MAIL_ARCHIVE_IMAP_HOST")

	t.Setenv("MAIL_ARCHIVE_IMAP_HOST", "imap.example.it")
	t.Setenv("MAIL_ARCHIVE_IMAP_TLS", "none")
	_, err = config.Load()
	require.ErrorContains(t, err, "MAIL_ARCHIVE_IMAP_TLS=none is allowed only for a loopback")

	t.Setenv("MAIL_ARCHIVE_IMAP_TLS", "implicit")
	t.Setenv("MAIL_ARCHIVE_IMAP_PASSWORD", "s3cret")
	cfg, err := config.Load()
	require.NoError(t, err)
	require.Equal(t, 993, cfg.MailArchiveIMAPPort)
	require.Equal(t, 5*time.Minute, cfg.MailArchiveGrace)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", cfg)
	require.NotContains(t, buf.String(), "s3cret")
	require.Contains(t, buf.String(), `"mail_archive":true`)

	t.Setenv("MAIL_ARCHIVE_GRACE", "0s")
	_, err = config.Load()
	require.ErrorContains(t, err, "MAIL_ARCHIVE_GRACE")
}
