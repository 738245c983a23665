package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/approdo/approdo/internal/devmail"
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

// TestOnboardSchoolsOfTheMinistrysRealExtractOnTheDevStack onboards schools of the
// Ministry's real registry of the paritarie on the whole dev stack. In it 155 schools
// share 49 PEC addresses (their managing body's): each such school gets its own account,
// logging in with its codice meccanografico, and its own credentials at the shared
// address, naming it; a school with no PEC is skipped as needing a named contact; run
// again, the command skips them all. It onboards a subset, named on the command line:
// the first three shared addresses with all their schools, three schools with a PEC of
// their own and two with none (all 709 would take minutes of the dev PEC provider).
func TestOnboardSchoolsOfTheMinistrysRealExtractOnTheDevStack(t *testing.T) {
	mailPage, db := startDevStack(t)
	ctx := context.Background()
	sources := filepath.Join("..", "..", "deploy", "refdata", "sources")
	paritarie := filepath.Join(sources, "scuole-paritarie-milano-202324.csv")
	_, err := runCaptured(t, "refdata", "import", "-comuni", filepath.Join(sources, "istat-comuni-015.csv"),
		"-ambiti", filepath.Join(sources, "ambiti-015.csv"), "-schools", paritarie,
		"-municipi", filepath.Join(sources, "milano-cap-municipio.csv"), filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)

	// The subset, read from the file.
	cols, records := csvFile(t, paritarie, ',')
	byPEC, names := map[string][]string{}, map[string]string{}
	var noPEC []string
	for _, r := range records {
		names[r[cols["CODICESCUOLA"]]] = r[cols["DENOMINAZIONESCUOLA"]]
		code, address := r[cols["CODICESCUOLA"]], strings.ToLower(r[cols["INDIRIZZOPECSCUOLA"]])
		if address == "non disponibile" {
			noPEC = append(noPEC, code)
			continue
		}
		byPEC[address] = append(byPEC[address], code)
	}
	addresses := slices.Sorted(maps.Keys(byPEC))
	var codes, own []string
	shared := map[string][]string{}
	for _, a := range addresses {
		switch {
		case len(byPEC[a]) > 1 && len(shared) < 3:
			shared[a] = byPEC[a]
			codes = append(codes, byPEC[a]...)
		case len(byPEC[a]) == 1 && len(own) < 3:
			own = append(own, byPEC[a][0])
		}
	}
	codes = append(append(codes, own...), noPEC[:2]...)
	sharing := len(codes) - len(own) - 2
	withPEC := len(codes) - 2
	require.Len(t, shared, 3)

	out, err := runCaptured(t, append([]string{"onboard", "schools"}, codes...)...)
	require.NoError(t, err)
	require.Contains(t, out, fmt.Sprintf("%d schools share 3 PEC addresses", sharing), "the sharing is said")
	require.Contains(t, out, fmt.Sprintf("onboarding %d/%d schools (100%%)", withPEC, withPEC), "progress is shown")
	require.Contains(t, out, fmt.Sprintf("Started %d onboarding(s); 0 already had one", withPEC))
	require.Contains(t, out, fmt.Sprintf("2 need a named contact (no PEC in the registry, no contact), skipped: school:%s school:%s", noPEC[0], noPEC[1]))

	var delivered int
	require.Eventually(t, func() bool {
		require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM account_message m JOIN app_user u ON u.id = m.user_id
			WHERE m.kind = 'credentials' AND m.channel = 'pec' AND m.delivered_at IS NOT NULL AND u.organisation LIKE 'school:%'`).Scan(&delivered))
		return delivered == withPEC
	}, 120*time.Second, 500*time.Millisecond, "every credentials PEC is delivered, its receipt matched by its Message-ID")
	texts := mailTexts(t, mailPage)
	for address, schools := range shared {
		require.Equal(t, len(schools), countOnPage(t, mailPage, address), "one PEC per school at the shared %s", address)
		for _, code := range schools {
			var login, mailbox string
			require.NoError(t, db.QueryRow(ctx, `SELECT email, coalesce(mailbox, '') FROM app_user WHERE organisation = $1 AND role = 'admin'`, "school:"+code).Scan(&login, &mailbox))
			require.Equal(t, strings.ToLower(code), login, "a school sharing a PEC logs in with its code")
			require.Equal(t, address, mailbox)
			require.Equal(t, 1, countIn(texts, "Utente: "+strings.ToLower(code)+"\n"), "its own message gives its login")
			require.Equal(t, 1, countIn(texts, "Spett.le "+names[code]+",\n"), "and names it")
		}
	}
	for _, code := range own {
		var login string
		require.NoError(t, db.QueryRow(ctx, `SELECT email FROM app_user WHERE organisation = $1 AND role = 'admin'`, "school:"+code).Scan(&login))
		require.Equal(t, byPEC[strings.ToLower(login)], []string{code}, "a school with a PEC of its own logs in with it")
	}

	out, err = runCaptured(t, append([]string{"onboard", "schools"}, codes...)...)
	require.NoError(t, err)
	require.Contains(t, out, fmt.Sprintf("Started 0 onboarding(s); %d already had one (running or done), skipped.", withPEC))
	time.Sleep(2 * time.Second)
	for address, schools := range shared {
		require.Equal(t, len(schools), countOnPage(t, mailPage, address), "no second PEC at %s", address)
	}
	var accounts int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM app_user WHERE organisation LIKE 'school:%' AND role = 'admin'`).Scan(&accounts))
	require.Equal(t, withPEC, accounts, "no second account")
}

// mailTexts returns the text of every message of the dev mailbox, decoded.
func mailTexts(t *testing.T, mailPage string) []string {
	t.Helper()
	var texts []string
	for i := 0; ; i++ {
		res, err := http.Get(fmt.Sprintf("%smessages/%d", mailPage, i))
		require.NoError(t, err)
		raw, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		if res.StatusCode == http.StatusNotFound {
			return texts
		}
		text, err := devmail.PlainText(raw)
		require.NoError(t, err)
		texts = append(texts, strings.ReplaceAll(text, "\r\n", "\n"))
	}
}

// countIn counts the texts that contain s.
func countIn(texts []string, s string) int {
	n := 0
	for _, text := range texts {
		if strings.Contains(text, s) {
			n++
		}
	}
	return n
}
