package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/approdo/approdo/internal/devtemporal"
)

func freePort(t *testing.T) int {
	t.Helper()
	port, err := devtemporal.FreePort("127.0.0.1")
	require.NoError(t, err)
	return port
}

// startDev runs `approdo dev` in this process, as `make dev` does, and returns a function
// that presses Ctrl-C and waits for it to finish.
func startDev(t *testing.T, apiURL string) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"dev"}) }()
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			done <- err
			return true // stop waiting: the failure is reported below
		default:
		}
		res, err := http.Get(apiURL + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 3*time.Minute, 200*time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("approdo dev stopped early: %v", err)
	default:
	}
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(90 * time.Second):
			return errors.New("approdo dev did not stop within 90s of Ctrl-C")
		}
	}
}

func portClosed(port int) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return true
	}
	conn.Close()
	return false
}

// TestDevStackStopsCleanlyAndKeepsItsData is the README's first command, end to end: the
// stack comes up, takes a case, stops on Ctrl-C with every part gone, and a second start
// finds the case again.
//
// Its dev folder is that of a checkout below a private (0700) folder, as a clone in
// root's home folder has: run as root, the stack must still start, with its PostgreSQL
// where the postgres user can reach it. (The stack runs from this checkout, whose
// binaries it reuses; only the dev folder, the one thing PostgreSQL must reach, is moved.)
func TestDevStackStopsCleanlyAndKeepsItsData(t *testing.T) {
	private, err := os.MkdirTemp("", "approdo-dev-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(private, 0o700), "private whatever the umask")
	dir := filepath.Join(private, "approdo", ".dev")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept %s for inspection (logs/ has the Temporal and PostgreSQL logs)", dir)
			return
		}
		// As `make clean` does.
		if loc, err := os.ReadFile(filepath.Join(dir, devClusterLocationFile)); err == nil {
			os.RemoveAll(strings.TrimSpace(string(loc)))
			os.Remove(devClusterHome) // only if empty
		}
		os.RemoveAll(private)
	})

	pgPort, temporalPort, uiPort, apiPort, smtpPort, mailPagePort, imapPort := freePort(t), freePort(t), freePort(t), freePort(t), freePort(t), freePort(t), freePort(t)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("APPRODO_DEV_DIR", dir)
	t.Setenv("APPRODO_DEV_PG_PORT", strconv.Itoa(pgPort))
	t.Setenv("APPRODO_DEV_TEMPORAL_PORT", strconv.Itoa(temporalPort))
	t.Setenv("APPRODO_DEV_TEMPORAL_UI_PORT", strconv.Itoa(uiPort))
	t.Setenv("HTTP_ADDR", fmt.Sprintf("127.0.0.1:%d", apiPort))
	t.Setenv("APPRODO_DEV_SMTP_PORT", strconv.Itoa(smtpPort))
	t.Setenv("APPRODO_DEV_MAIL_PAGE_PORT", strconv.Itoa(mailPagePort))
	t.Setenv("APPRODO_DEV_IMAP_PORT", strconv.Itoa(imapPort))
	t.Setenv("LOG_LEVEL", "warn")
	apiURL := fmt.Sprintf("http://127.0.0.1:%d", apiPort)

	stop := startDev(t, apiURL)
	// The Web UI reads payloads through the API's codec server, sending the browser's
	// cookies (TestTemporalUIDecodesForUST, in internal/e2e, shows it in a browser).
	codec := uiCodecSettings(t, uiPort)
	require.Equal(t, apiURL+"/codec", codec.Endpoint)
	require.True(t, codec.IncludeCredentials)
	body := fmt.Sprintf(`{"requestId":%q,"comune":"015146","level":"primaria",
		"minor":{"givenName":"Olena","familyName":"Kovalenko","birthDate":"2017-04-12","sex":"F","citizenship":"UA"},
		"languages":["uk"],"guardian":{"name":"Iryna Kovalenko","phone":"+39 333 1234567"},
		"residence":{"address":"Via Padova 100","municipio":2},"origin":"ukrainian_refugee"}`, uuid.NewString())
	req, err := http.NewRequest(http.MethodPost, apiURL+"/api/v1/enrolments", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+demoToken(t, dir, "APPRODO_TOKEN_COMUNE"))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode, string(answer))
	location := res.Header.Get("Location")
	require.NotEmpty(t, location)
	clusterDir := filepath.Join(dir, "postgres")
	if os.Geteuid() == 0 {
		clusterDir = filepath.Join(devClusterHome, devClusterKey(dir))
		recorded, err := os.ReadFile(filepath.Join(dir, devClusterLocationFile))
		require.NoError(t, err, "the cluster outside the dev folder is recorded, for the next start and `make clean`")
		require.Equal(t, clusterDir+"\n", string(recorded))
		require.NoDirExists(t, filepath.Join(dir, "postgres"))
	}
	require.FileExists(t, filepath.Join(clusterDir, "data", "PG_VERSION"))

	require.NoError(t, stop(), "Ctrl-C stops the stack without error")
	for _, port := range []int{pgPort, temporalPort, uiPort, apiPort, smtpPort, mailPagePort, imapPort} {
		require.True(t, portClosed(port), "port %d still answers after the stack stopped", port)
	}

	stop = startDev(t, apiURL)
	req, err = http.NewRequest(http.MethodGet, apiURL+location, nil)
	require.NoError(t, err)
	// The demo tokens are renewed at every start; the old one no longer works.
	req.Header.Set("Authorization", "Bearer "+demoToken(t, dir, "APPRODO_TOKEN_COMUNE"))
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	answer, _ = io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the case filed before the restart is still there: %s", answer)

	// The comuni are onboarded by PEC with the command the banner gives: every comune of
	// the reference data gets its credentials, once, however often the command runs.
	env := devEnv(t, dir)
	for key, value := range env {
		t.Setenv(key, value)
	}
	// The stack's Temporal serves mutual TLS only, with the dev CA of the dev folder:
	// the commands below connect with the client certificate dev.env names, and a
	// client in plain text is refused.
	require.Equal(t, filepath.Join(dir, "tls", "client.pem"), env["TEMPORAL_TLS_CERT_FILE"])
	key, err := os.Stat(env["TEMPORAL_TLS_KEY_FILE"])
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), key.Mode().Perm())
	_, err = client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", temporalPort)})
	require.Error(t, err, "a client in plain text is refused")
	mailPage := fmt.Sprintf("http://127.0.0.1:%d/", mailPagePort)
	require.NoError(t, run(context.Background(), []string{"onboard", "comuni"}))
	// Each PEC sent to a comune is a row of the mailbox page; the receipts go to Approdo.
	require.Eventually(t, func() bool { return countOnPage(t, mailPage, "protocollo@pec.comune.") == 12 },
		60*time.Second, 500*time.Millisecond, "the 12 comuni of the sample get their credentials by PEC")
	require.NoError(t, run(context.Background(), []string{"onboard", "comuni", "015182"}))
	time.Sleep(2 * time.Second)
	require.Equal(t, 12, countOnPage(t, mailPage, "protocollo@pec.comune."), "a comune already onboarding is left alone")
	require.Error(t, run(context.Background(), []string{"onboard", "comuni", "999999"}), "an unknown comune is refused")
	require.NoError(t, stop())
}

// uiCodec is what the Web UI's settings say of its codec server.
type uiCodec struct {
	Endpoint           string
	IncludeCredentials bool
}

// uiCodecSettings are the codec server settings the dev stack's Web UI gives its pages.
func uiCodecSettings(t *testing.T, uiPort int) uiCodec {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/settings", uiPort))
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var settings struct{ Codec *uiCodec }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&settings))
	require.NotNil(t, settings.Codec, "the UI has a codec server")
	return *settings.Codec
}

// devEnv reads the variables of the dev stack's dev.env, as `source` would.
func devEnv(t *testing.T, dir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "dev.env"))
	require.NoError(t, err)
	vars := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "export "); ok {
			key, value, _ := strings.Cut(rest, "=")
			vars[key] = strings.Trim(value, "'")
		}
	}
	require.Contains(t, vars, "DATABASE_URL")
	return vars
}

// countOnPage counts the occurrences of text on a page.
func countOnPage(t *testing.T, url, text string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return strings.Count(string(body), text)
}

// demoToken reads one token of the dev stack's demo-tokens.env, as `source` would.
func demoToken(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "demo-tokens.env"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "export "+name+"="); ok {
			secret, _, _ := strings.Cut(rest, " ")
			return secret
		}
	}
	t.Fatalf("%s not in demo-tokens.env", name)
	return ""
}
