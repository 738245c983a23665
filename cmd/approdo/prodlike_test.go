package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/devtemporal/devtemporaltest"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/worker"
)

// actAsApprodoEnv, set in its environment, makes this test binary act as the approdo
// command: startProdlike runs it for the workers, the APIs and migrate, so that the test
// needs no separate build of cmd/approdo.
const actAsApprodoEnv = "APPRODO_TEST_ACT_AS_APPRODO"

func init() {
	if os.Getenv(actAsApprodoEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "approdo:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestProdlikeJourneySurvivesAWorkerKill runs the production-shaped topology (Temporal on
// PostgreSQL, two workers and two APIs, each a process), drives an enrolment through both
// APIs in turn, and SIGKILLs the worker that is in the middle of sending the comune's
// PEC: the other worker finishes the journey, the PEC is not sent twice, and the case,
// its read model and its notices are all there.
func TestProdlikeJourneySurvivesAWorkerKill(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin, err := devtemporaltest.Binary(ctx)
	require.NoError(t, err)

	// The mailbox holds the comune's PEC before answering, until the worker sending it
	// has been killed: the one moment where a crash could lose or double a notice.
	held := make(chan devmail.Message, 1)
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(releaseAll)
	hold := func(m devmail.Message) {
		if m.From == prodlikePECFrom && m.Receipt == "" && strings.Contains(m.Subject, "Iscrizione confermata") {
			select {
			case held <- m:
				<-release
			default: // a second copy, if any, goes through and is caught below
			}
		}
	}

	dir := t.TempDir()
	const retention = 1000 * time.Hour // not the server's default (720h): migrate sets it
	p, err := startProdlike(ctx, prodlikeOptions{
		Approdo:           []string{os.Args[0]},
		ApprodoEnv:        []string{actAsApprodoEnv + "=1", "LOG_LEVEL=info"},
		DevServerBin:      bin,
		Dir:               dir,
		RefdataFile:       filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"),
		APIPorts:          []int{0, 0},
		Workers:           2,
		TemporalRetention: retention,
		HeadlessTemporal:  true,
		Ephemeral:         true,
		Mail:              devmail.Options{Hold: hold},
		Out:               testWriter{t},
	})
	require.NoError(t, err)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stopCtx, stopCancel := context.WithTimeout(context.Background(), time.Minute)
			defer stopCancel()
			_ = p.Stop(stopCtx)
		}
		if t.Failed() {
			for _, name := range []string{"worker-1", "worker-2", "api-1", "api-2", "migrate"} {
				if data, err := os.ReadFile(filepath.Join(dir, "logs", name+".log")); err == nil {
					t.Logf("--- %s.log (end) ---\n%s", name, lastLines(string(data), 15))
				}
			}
		}
	})
	require.Len(t, p.Workers, 2)
	require.Len(t, p.APIs, 2)

	// approdo migrate set the namespace's retention from TEMPORAL_RETENTION.
	// Only over mutual TLS: plain text is refused, and so is TLS without a client
	// certificate.
	opts := client.Options{HostPort: p.temporal.HostPort(), Namespace: prodlikeNamespace, Logger: quietSDKLogger()}
	refused := func(what string) {
		dialCtx, dialCancel := context.WithTimeout(ctx, 10*time.Second)
		defer dialCancel()
		c, err := client.DialContext(dialCtx, opts)
		if err == nil {
			c.Close()
		}
		require.Error(t, err, what)
	}
	refused("plain text is refused")
	anonymous := p.temporal.Connection()
	anonymous.CertFile, anonymous.KeyFile = "", ""
	require.NoError(t, anonymous.Apply(&opts))
	refused("TLS without a client certificate is refused")
	opts.ConnectionOptions = client.ConnectionOptions{}
	require.NoError(t, p.temporal.Connection().Apply(&opts))
	tc, err := client.DialContext(ctx, opts)
	require.NoError(t, err)
	defer tc.Close()
	ns, err := tc.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: prodlikeNamespace})
	require.NoError(t, err)
	require.Equal(t, retention, ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())

	api := func(i int) string { return p.APIURLs[i%2] }
	comune, polo, school, ust := demoToken(t, dir, "APPRODO_TOKEN_COMUNE"), demoToken(t, dir, "APPRODO_TOKEN_POLO"),
		demoToken(t, dir, "APPRODO_TOKEN_SCHOOL_A"), demoToken(t, dir, "APPRODO_TOKEN_UST")

	// The comune files through API 1…
	body := fmt.Sprintf(`{"requestId":%q,"comune":"015146","level":"primaria",
		"minor":{"givenName":"Olena","familyName":"Kovalenko","birthDate":"2017-04-12","sex":"F","citizenship":"UA"},
		"languages":["uk"],"guardian":{"name":"Iryna Kovalenko","phone":"+39 333 1234567","email":"iryna@example.org","preferredLanguage":"uk"},
		"residence":{"address":"Via Padova 100","municipio":2},"origin":"ukrainian_refugee"}`, uuid.NewString())
	status, created := call(t, api(0), comune, http.MethodPost, "/api/v1/enrolments", body)
	require.Equal(t, http.StatusCreated, status, string(created))
	var c struct {
		ID       string `json:"id"`
		Stage    string `json:"stage"`
		School   string `json:"school"`
		Timeline []struct {
			Kind string `json:"kind"`
		} `json:"timeline"`
	}
	require.NoError(t, json.Unmarshal(created, &c))
	id := c.ID

	// …it is routed, as API 2 shows; the hub proposes through API 2, the school accepts
	// through API 1.
	require.Eventually(t, func() bool {
		s, data := call(t, api(1), ust, http.MethodGet, "/api/v1/enrolments/"+id, "")
		return s == http.StatusOK && json.Unmarshal(data, &c) == nil && c.Stage == "awaiting_proposal"
	}, 30*time.Second, 200*time.Millisecond, "the case is routed to its hub")
	status, data := call(t, api(1), polo, http.MethodPost, "/api/v1/enrolments/"+id+"/proposal", `{"school":"MIIC90001A"}`)
	require.Equal(t, http.StatusOK, status, string(data))
	status, data = call(t, api(0), school, http.MethodPost, "/api/v1/enrolments/"+id+"/decision",
		fmt.Sprintf(`{"accept":true,"section":"A","startDate":%q}`, time.Now().Format(time.DateOnly)))
	require.Equal(t, http.StatusOK, status, string(data))

	// The acceptance sends the comune a PEC. Whichever worker is sending it is killed
	// while the provider holds its reply.
	var pecMsg devmail.Message
	select {
	case pecMsg = <-held:
	case <-time.After(60 * time.Second):
		t.Fatalf("no PEC to the comune was sent; mailbox: %v", subjects(p.mailbox.Messages()))
	}
	var victim, survivor *child
	var survivorHealth string
	require.Eventually(t, func() bool {
		for i, w := range p.Workers {
			if connectedTo(t, w.PID(), p.opts.SMTPPort) {
				victim, survivor, survivorHealth = w, p.Workers[1-i], p.WorkerHealthURLs[1-i]
				return true
			}
		}
		return false
	}, 5*time.Second, 50*time.Millisecond, "one of the workers holds the SMTP connection")
	// The other notices of the acceptance (hub, school, family) go out meanwhile: wait for
	// them. Ordinary email has no acceptance receipt, so a worker killed between the
	// server's answer and its record sends it once more, by design ("No duplicates"); the
	// PEC is the message this test cuts short.
	require.Eventually(t, func() bool {
		var unsent int
		err := p.ownerQuery(ctx, "SELECT count(*) FROM notification WHERE case_id = $1 AND sent_at IS NULL", []any{id}, &unsent)
		return err == nil && unsent == 1
	}, 30*time.Second, 100*time.Millisecond, "only the held PEC is left to send")
	t.Logf("killing %s (pid %d) in the middle of sending the PEC; %s (pid %d) carries on", victim.name, victim.PID(), survivor.name, survivor.PID())
	require.NoError(t, victim.Kill())
	<-victim.exited
	require.ErrorContains(t, victim.err, "killed")
	releaseAll()
	res, err := http.Get(survivorHealth + worker.ReadyPath)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the surviving worker's readiness probe still answers")

	// The journey is complete and nothing is lost, through the surviving worker.
	require.Eventually(t, func() bool {
		var unsent, sent int
		err := p.ownerQuery(ctx, `SELECT count(*) FILTER (WHERE sent_at IS NULL), count(*) FILTER (WHERE sent_at IS NOT NULL)
			FROM notification WHERE case_id = $1`, []any{id}, &unsent, &sent)
		return err == nil && unsent == 0 && sent >= 2
	}, 90*time.Second, 500*time.Millisecond, "every notice of the case is recorded as sent")
	status, data = call(t, api(1), ust, http.MethodGet, "/api/v1/enrolments/"+id, "")
	require.Equal(t, http.StatusOK, status, string(data))
	require.NoError(t, json.Unmarshal(data, &c))
	require.Equal(t, "enrolled", c.Stage)
	require.Equal(t, "MIIC90001A", c.School)
	var kinds []string
	for _, e := range c.Timeline {
		kinds = append(kinds, e.Kind)
	}
	require.Equal(t, []string{"filed", "routed", "proposed", "accepted"}, kinds, "each step recorded once")
	var stage, dbSchool string
	require.NoError(t, p.ownerQuery(ctx, "SELECT stage, school FROM enrolment_case WHERE id = $1", []any{id}, &stage, &dbSchool))
	require.Equal(t, []string{"enrolled", "MIIC90001A"}, []string{stage, dbSchool}, "the read model matches")

	// Temporal's visibility on PostgreSQL finds the case by Approdo's search attributes.
	query := fmt.Sprintf("%s = 'enrolled' AND WorkflowId = '%s'", searchattr.Stage.GetName(), enrolment.WorkflowID(id))
	require.Eventually(t, func() bool {
		res, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: prodlikeNamespace, Query: query})
		return err == nil && len(res.GetExecutions()) == 1
	}, 20*time.Second, 200*time.Millisecond, "visibility lists the case by %s", query)

	// Every notice reached the mailbox exactly once: the hub's, the school's, the
	// family's, and the comune's PEC that was being sent when its worker died.
	byID := map[string]int{}
	for _, m := range p.mailbox.Messages() {
		if m.Receipt == "" {
			byID[m.MessageID]++
		}
	}
	var keys []string
	rows, err := p.ownerRows(ctx, "SELECT key FROM notification WHERE case_id = $1", id)
	require.NoError(t, err)
	keys = rows
	for id, n := range byID {
		require.Equal(t, 1, n, "message %s was sent %d times", id, n)
	}
	require.Equal(t, 1, byID[pecMsg.MessageID], "the PEC cut short was not sent again")
	survivorLog, err := os.ReadFile(filepath.Join(dir, "logs", survivor.name+".log"))
	require.NoError(t, err)
	require.Contains(t, string(survivorLog), "An attempt cut short had reached the provider: not sending again",
		"the surviving worker took over the PEC and found it had reached the provider")
	require.GreaterOrEqual(t, len(byID), len(keys), "every notification has its message")
	family := 0
	for _, m := range p.mailbox.Messages() {
		// To the family, and to the mail archive (a Bcc the family does not see).
		if slices.Equal(m.To, []string{"iryna@example.org", prodlikeArchive}) {
			family++
		}
	}
	require.Equal(t, 1, family, "the family is told once")

	// Ctrl-C: everything stops, every port is free again.
	stopCtx, stopCancel := context.WithTimeout(ctx, time.Minute)
	defer stopCancel()
	stopped = true
	require.NoError(t, p.Stop(stopCtx))
	ports := append([]int{p.opts.PostgresPort, p.opts.TemporalPort, p.opts.SMTPPort, p.opts.IMAPPort, p.opts.MailPagePort}, p.opts.APIPorts...)
	for _, port := range ports {
		require.True(t, portClosed(port), "port %d still answers", port)
	}
	for _, c := range append(p.Workers, p.APIs...) {
		select {
		case <-c.exited:
		default:
			t.Fatalf("%s (pid %d) still runs", c.name, c.PID())
		}
	}
	require.NoDirExists(t, p.pgDir, "PostgreSQL's data is thrown away")
}

// call sends a request with a bearer token and returns the status and the body.
func call(t *testing.T, base, token, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, data
}

// connectedTo tells whether process pid has an established TCP connection to port on
// 127.0.0.1, from the kernel's socket table and the process's open files.
func connectedTo(t *testing.T, pid, port int) bool {
	t.Helper()
	f, err := os.Open("/proc/net/tcp")
	require.NoError(t, err)
	defer f.Close()
	inodes := map[string]bool{}
	want := fmt.Sprintf("0100007F:%04X", port)
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if len(fields) > 9 && fields[2] == want && fields[3] == "01" {
			inodes["socket:["+fields[9]+"]"] = true
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && inodes[target] {
			return true
		}
	}
	return false
}

func subjects(ms []devmail.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject+" → "+strings.Join(m.To, ","))
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ownerQuery reads one row as the database's owner.
func (p *prodlike) ownerQuery(ctx context.Context, sql string, args []any, dest ...any) error {
	conn, err := pgx.Connect(ctx, p.OwnerURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql, args...).Scan(dest...)
}

// ownerRows reads one text column as the database's owner.
func (p *prodlike) ownerRows(ctx context.Context, sql string, args ...any) ([]string, error) {
	conn, err := pgx.Connect(ctx, p.OwnerURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// quietSDKLogger drops the SDK client's lines.
func quietSDKLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
}
