package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// startDevStack runs `approdo dev` in a private folder on free ports, sets the variables
// of its dev.env as `source .dev/dev.env` would, and returns the mailbox page's address
// and the database.
func startDevStack(t *testing.T) (mailPage string, db *pgxpool.Pool) {
	t.Helper()
	private, err := os.MkdirTemp("", "approdo-onboard-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(private, 0o700))
	dir := filepath.Join(private, "approdo", ".dev")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept %s for inspection", dir)
			return
		}
		if loc, err := os.ReadFile(filepath.Join(dir, devClusterLocationFile)); err == nil {
			os.RemoveAll(strings.TrimSpace(string(loc)))
			os.Remove(devClusterHome) // only if empty
		}
		os.RemoveAll(private)
	})
	apiPort, mailPagePort := freePort(t), freePort(t)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("APPRODO_DEV_DIR", dir)
	for variable, port := range map[string]int{"APPRODO_DEV_PG_PORT": freePort(t), "APPRODO_DEV_TEMPORAL_PORT": freePort(t),
		"APPRODO_DEV_TEMPORAL_UI_PORT": freePort(t), "APPRODO_DEV_SMTP_PORT": freePort(t), "APPRODO_DEV_MAIL_PAGE_PORT": mailPagePort,
		"APPRODO_DEV_IMAP_PORT": freePort(t)} {
		t.Setenv(variable, strconv.Itoa(port))
	}
	t.Setenv("HTTP_ADDR", fmt.Sprintf("127.0.0.1:%d", apiPort))
	t.Setenv("LOG_LEVEL", "warn")
	stop := startDev(t, fmt.Sprintf("http://127.0.0.1:%d", apiPort))
	t.Cleanup(func() { require.NoError(t, stop()) })
	for key, value := range devEnv(t, dir) {
		t.Setenv(key, value)
	}
	db, err = pgxpool.New(context.Background(), os.Getenv("DATABASE_URL"))
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return fmt.Sprintf("http://127.0.0.1:%d/", mailPagePort), db
}

// runCaptured runs an approdo command as the shell would, and returns what it printed.
func runCaptured(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = w
	read := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, r)
		read <- b.String()
	}()
	runErr := run(context.Background(), args)
	os.Stdout = stdout
	require.NoError(t, w.Close())
	return <-read, runErr
}

// TestOnboardSchoolsSendsCredentialsByPECOnceOnTheDevStack runs the commands on the
// whole dev stack (PostgreSQL, Temporal, the worker, the dev PEC provider): the
// credentials go by PEC and come back delivered by their receipts, with progress shown;
// run again, the command skips them all.
func TestOnboardSchoolsSendsCredentialsByPECOnceOnTheDevStack(t *testing.T) {
	mailPage, db := startDevStack(t)
	ctx := context.Background()

	out, err := runCaptured(t, "onboard", "schools")
	require.NoError(t, err)
	require.Contains(t, out, "onboarding 12/12 schools (100%)", "progress is shown")
	require.Contains(t, out, "Started 12 onboarding(s); 0 already had one")
	// Each school of the sample gets one PEC at its registry address, delivered (its
	// receipt came back to Approdo's PEC box and was matched).
	delivered := func(prefix string) int {
		var n int
		require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM account_message m JOIN app_user u ON u.id = m.user_id
			WHERE m.kind = 'credentials' AND m.channel = 'pec' AND m.delivered_at IS NOT NULL AND u.organisation LIKE $1`, prefix+"%").Scan(&n))
		return n
	}
	require.Eventually(t, func() bool { return delivered("school:") == 12 }, 90*time.Second, 500*time.Millisecond,
		"the 12 schools' credentials are delivered by PEC")
	require.Equal(t, 12, countOnPage(t, mailPage, "@pec.example.org"), "one PEC per school, at its PEC address")

	out, err = runCaptured(t, "onboard", "schools")
	require.NoError(t, err)
	require.Contains(t, out, "Started 0 onboarding(s); 12 already had one (running or done), skipped.")
	time.Sleep(2 * time.Second)
	require.Equal(t, 12, countOnPage(t, mailPage, "@pec.example.org"), "no second PEC")
	var accounts int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM app_user WHERE organisation LIKE 'school:%' AND role = 'admin'`).Scan(&accounts))
	require.Equal(t, 12, accounts, "no second account (the dev stack's demo people of two schools are operators)")

	// The hubs, at their host schools' institutional email.
	out, err = runCaptured(t, "onboard", "hubs")
	require.NoError(t, err)
	require.Contains(t, out, "Started 10 onboarding(s)", "6 CTI and 4 Poli START")
	require.Eventually(t, func() bool { return delivered("cti:") == 6 && delivered("polo_start:") == 4 }, 90*time.Second, 500*time.Millisecond)

	// The FAMI organisations need contacts; with a file, they are onboarded too.
	_, err = runCaptured(t, "onboard", "fami")
	require.ErrorContains(t, err, "-contacts")
	contacts := filepath.Join(t.TempDir(), "fami.csv")
	require.NoError(t, os.WriteFile(contacts, []byte("org,email,name\nprefettura:MI,sui.prefmi@pec.example.org,Prefettura di Milano\none_stop_shop:milano,sportello@pec.example.org,Sportello unico\norientation,orientamento@pec.example.org,Cerco Offro Scuola\n"), 0o600))
	out, err = runCaptured(t, "onboard", "fami", "-contacts", contacts)
	require.NoError(t, err)
	require.Contains(t, out, "Started 3 onboarding(s)")
	require.Eventually(t, func() bool { return countOnPage(t, mailPage, "@pec.example.org") == 15 }, 60*time.Second, 500*time.Millisecond)

	// Resending to a school gives it a second PEC with a new password.
	out, err = runCaptured(t, "onboard", "schools", "-resend", "MIIC90001A")
	require.NoError(t, err)
	require.Contains(t, out, "Asked 1 onboarding(s) to send new credentials.")
	require.Eventually(t, func() bool { return countOnPage(t, mailPage, "miic90001a@pec.example.org") == 2 }, 60*time.Second, 500*time.Millisecond)

	_, err = runCaptured(t, "onboard", "schools", "MIIC99999Z")
	require.ErrorContains(t, err, "MIIC99999Z", "a school not in the reference data is refused")
}
