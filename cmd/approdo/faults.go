package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/approdo/approdo/activities"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/pgcluster"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/surge"
	"github.com/approdo/approdo/workflows"
)

// faultSizes are the sizes of the fault suite: the long one of `make faults`, and the
// short one `make test` runs on two cores.
type faultSizes struct {
	// Cases are driven Concurrency at a time while Kills SIGKILLs hit the worker (R1).
	Cases, Concurrency, Kills int
	// PGCases are driven while PostgreSQL is stopped for PGDown, then started again (R2).
	PGCases int
	PGDown  time.Duration
	// SMTPCases are driven while the SMTP server is down for SMTPDown (R2).
	SMTPCases int
	SMTPDown  time.Duration
	// IMAPCases are driven while the IMAP server the PEC poller reads receipts from is
	// down for IMAPDown (R2), or longer until a PEC has left meanwhile (imapDownAtMost). IMAPDown stays under the stack's PEC_RECEIPT_TIMEOUT (5m):
	// longer, a PEC rightly counts as not delivered.
	IMAPCases int
	IMAPDown  time.Duration
	// Settle bounds the wait, after the surge, for every case and notice to be done.
	Settle time.Duration
}

var (
	longFaults  = faultSizes{Cases: 1000, Concurrency: 50, Kills: 20, PGCases: 200, PGDown: 30 * time.Second, SMTPCases: 100, SMTPDown: 5 * time.Minute, IMAPCases: 100, IMAPDown: 3 * time.Minute, Settle: 15 * time.Minute}
	shortFaults = faultSizes{Cases: 30, Concurrency: 10, Kills: 3, PGCases: 20, PGDown: 8 * time.Second, SMTPCases: 10, SMTPDown: 10 * time.Second, IMAPCases: 10, IMAPDown: 10 * time.Second, Settle: 3 * time.Minute}
)

// faultFigures are what a fault run found; the suite passes when every count of a
// problem is 0.
type faultFigures struct {
	Name string `json:"name"`
	// Cases filed; Completed taken to enrolment through the API.
	Cases, Completed int
	// Lost are filed cases missing from the read model or not enrolled there;
	// Mismatched those whose read model differs from their workflow's state.
	Lost, Mismatched int
	// Duplicates are notices that reached the mailbox more than once; Unsent the
	// notifications still waiting when the settling time ran out.
	Duplicates, Unsent int
	Kills              int `json:",omitempty"`
	// FromArchive are the email notices whose sending a kill cut short and that the
	// worker found in the mail archive, so did not send again (activities.MailArchive):
	// without the archive each would have been a duplicate or a guess.
	FromArchive int `json:",omitempty"`
	// DownAnswers counts the answers to a filing while PostgreSQL was down, by status and
	// content type; WrongDownAnswers those that were not 503 problem+json.
	DownAnswers      map[string]int `json:",omitempty"`
	WrongDownAnswers int
	// PEC is what became of the cases' PEC notices (the IMAP outage only).
	PEC      *pecFigures `json:",omitempty"`
	Elapsed  time.Duration
	Problems []string
}

func (f faultFigures) ok() bool {
	return f.Lost == 0 && f.Mismatched == 0 && f.Duplicates == 0 && f.Unsent == 0 && f.WrongDownAnswers == 0 &&
		f.Completed == f.Cases && len(f.Problems) == 0 && f.PEC.ok()
}

func (f faultFigures) print(out io.Writer) {
	verdict := "PASS"
	if !f.ok() {
		verdict = "FAIL"
	}
	fmt.Fprintf(out, "%s %s: %d cases, %d completed, %d lost, %d duplicate notices, %d mismatches, %d notices unsent",
		verdict, f.Name, f.Cases, f.Completed, f.Lost, f.Duplicates, f.Mismatched, f.Unsent)
	if f.Kills > 0 {
		fmt.Fprintf(out, ", %d worker kills, %d notices cut short found in the mail archive and not sent again", f.Kills, f.FromArchive)
	}
	if f.DownAnswers != nil {
		fmt.Fprintf(out, ", answers while PostgreSQL was down %v (%d not 503 problem+json)", f.DownAnswers, f.WrongDownAnswers)
	}
	if f.PEC != nil {
		fmt.Fprintf(out, ", %d PEC notices (%d sent while IMAP was down), %d receipts unread, %d not delivered, %d delivery workflows not ended delivered, the poller failed %d polls while IMAP was down and read %d receipts after",
			f.PEC.Notices, f.PEC.SentWhileDown, f.PEC.ReceiptsUnread, f.PEC.NotDelivered, f.PEC.WorkflowsNotDelivered, f.PEC.FailedPolls, f.PEC.ReceiptsReadAfter)
	}
	fmt.Fprintf(out, ", %s\n", f.Elapsed.Round(time.Second))
	for _, p := range f.Problems {
		fmt.Fprintf(out, "  problem: %s\n", p)
	}
}

// runFaults is `approdo faults [-short]`.
func runFaults(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("faults", flag.ContinueOnError)
	short := flags.Bool("short", false, "the short version, as make test runs it")
	if err := flags.Parse(args); err != nil {
		return err
	}
	sizes := longFaults
	if *short {
		sizes = shortFaults
	}
	root, err := devtemporal.RepoRoot()
	if err != nil {
		return fmt.Errorf("approdo faults runs from a checkout of the repository: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	figures, err := faultSuite(ctx, os.Stdout, prodlikeOptions{
		Approdo: []string{self}, ApprodoEnv: []string{"LOG_LEVEL=info"}, DevServerBin: devtemporal.DefaultBinPath(root),
		Dir:         filepath.Join(root, ".dev", "faults", time.Now().UTC().Format("20060102-150405")),
		RefdataFile: filepath.Join(root, "deploy", "refdata", "sample.yaml"),
	}, sizes)
	if err != nil {
		return err
	}
	for _, f := range figures {
		if !f.ok() {
			return errors.New("the fault suite found problems")
		}
	}
	return nil
}

// faultSuite starts a production-shaped stack (one worker, one API, Temporal on
// PostgreSQL) and runs R1 and R2's PostgreSQL restart on it, one after the other.
func faultSuite(ctx context.Context, out io.Writer, o prodlikeOptions, sizes faultSizes) ([]faultFigures, error) {
	o.APIPorts, o.Workers, o.HeadlessTemporal, o.Out = []int{0}, 1, true, out
	fmt.Fprintf(out, "Starting the stack in %s…\n", o.Dir)
	p, err := startProdlike(ctx, o)
	if err != nil {
		return nil, err
	}
	s, err := prodlikeStack(ctx, p)
	if err != nil {
		return nil, err
	}
	defer s.close()
	var figures []faultFigures
	r1, err := workerKills(ctx, out, s, sizes)
	if err != nil {
		return figures, err
	}
	r1.print(out)
	figures = append(figures, r1)
	r2, err := postgresRestart(ctx, out, s, sizes)
	if err != nil {
		return figures, err
	}
	r2.print(out)
	figures = append(figures, r2)
	r3, err := smtpOutage(ctx, out, s, sizes)
	if err != nil {
		return figures, err
	}
	r3.print(out)
	figures = append(figures, r3)
	r4, err := imapOutage(ctx, out, s, sizes)
	if err != nil {
		return figures, err
	}
	r4.print(out)
	figures = append(figures, r4)
	return figures, nil
}

// smtpOutage is R2's second part: the SMTP server (ordinary mail and PEC alike) is down
// for SMTPDown from the start of SMTPCases cases; once it is back, every notice must be
// delivered, once.
func smtpOutage(ctx context.Context, out io.Writer, s *benchStack, sizes faultSizes) (faultFigures, error) {
	f := faultFigures{Name: fmt.Sprintf("R2 (the SMTP server down for %s during %d cases)", sizes.SMTPDown, sizes.SMTPCases)}
	fmt.Fprintf(out, "%s…\n", f.Name)
	start := time.Now()
	mailbox := s.prodlike.mailbox
	before := len(mailbox.Messages())
	if err := mailbox.StopSMTP(); err != nil {
		return f, err
	}
	back := make(chan error, 1)
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(sizes.SMTPDown):
		}
		fmt.Fprintln(out, "  the SMTP server is back")
		back <- mailbox.StartSMTP()
	}()
	run := surge.DriveCases(ctx, s.target, sizes.SMTPCases, sizes.Concurrency, progressLine(out, "cases"))
	if err := <-back; err != nil {
		return f, err
	}
	f.Cases, f.Completed = sizes.SMTPCases, run.Completed
	f.Problems = append(f.Problems, run.Errors...)
	if err := checkCases(ctx, s, run.CaseIDs, before, sizes.Settle, &f); err != nil {
		return f, err
	}
	f.Elapsed = time.Since(start)
	return f, nil
}

// pecFigures are what became of the PEC notices of the cases driven during the IMAP
// outage: notices to the comune, which Approdo sends by PEC and whose delivery receipts
// the worker's poller reads from the provider's IMAP server.
type pecFigures struct {
	Notices int
	// SentWhileDown were sent while IMAP was down: their receipts could only be read
	// once it was back.
	SentWhileDown int
	// ReceiptsUnread have no delivery receipt recorded (pec_message.delivered_at), or no
	// delivery on their outbox row; NotDelivered were marked not delivered (e.g. no
	// receipt in time); WorkflowsNotDelivered are delivery workflows that did not
	// complete with Stage "delivered".
	ReceiptsUnread, NotDelivered, WorkflowsNotDelivered int
	// FailedPolls are the poller's failed polls logged while IMAP was down;
	// ReceiptsReadAfter the receipts its polls logged once it was back. The worker must
	// have gone on running (PollerStopped otherwise).
	FailedPolls, ReceiptsReadAfter int
	PollerStopped                  bool
}

func (p *pecFigures) ok() bool {
	return p == nil || (p.ReceiptsUnread == 0 && p.NotDelivered == 0 && p.WorkflowsNotDelivered == 0 && !p.PollerStopped && p.Notices > 0)
}

// imapOutage is R2's third part: the IMAP server of the PEC provider is down for
// IMAPDown from the start of IMAPCases cases, whose comune is notified by PEC. The
// provider's receipts pile up in the mailbox meanwhile; once IMAP is back, the poller
// must read them, and every PEC notice must end delivered, none for lack of a receipt.
func imapOutage(ctx context.Context, out io.Writer, s *benchStack, sizes faultSizes) (faultFigures, error) {
	f := faultFigures{Name: fmt.Sprintf("R2 (the IMAP server down for %s during %d cases)", sizes.IMAPDown, sizes.IMAPCases), PEC: &pecFigures{}}
	fmt.Fprintf(out, "%s…\n", f.Name)
	start := time.Now()
	p := s.prodlike
	mailbox := p.mailbox
	before := len(mailbox.Messages())
	worker := p.Workers[0]
	workerLog := filepath.Join(p.opts.Dir, "logs", worker.name+".log")
	downFrom := logSize(workerLog)
	if err := mailbox.StopIMAP(); err != nil {
		return f, err
	}
	stopped := time.Now()
	var downUntil int64
	var back time.Time
	backErr := make(chan error, 1)
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(sizes.IMAPDown):
		}
		// The outage proves something only if PEC notices left while it lasted; on a
		// loaded machine the cases may not have got that far in IMAPDown, so it lasts
		// until one has, within imapDownAtMost.
		waitForPECSentSince(ctx, s.ownerURL, stopped, imapDownAtMost-time.Since(stopped))
		downUntil, back = logSize(workerLog), time.Now()
		fmt.Fprintln(out, "  the IMAP server is back")
		backErr <- mailbox.StartIMAP()
	}()
	run := surge.DriveCases(ctx, s.target, sizes.IMAPCases, sizes.Concurrency, progressLine(out, "cases"))
	if err := <-backErr; err != nil {
		return f, err
	}
	f.Cases, f.Completed = sizes.IMAPCases, run.Completed
	f.Problems = append(f.Problems, run.Errors...)
	if err := checkCases(ctx, s, run.CaseIDs, before, sizes.Settle, &f); err != nil {
		return f, err
	}
	if err := checkPECDelivered(ctx, s, run.CaseIDs, stopped, back, sizes.Settle, &f); err != nil {
		return f, err
	}
	logLines(workerLog, downFrom, downUntil, "PEC mailbox poll failed", func(map[string]any) { f.PEC.FailedPolls++ })
	logLines(workerLog, downUntil, -1, "PEC mailbox polled", func(e map[string]any) {
		if n, ok := e["receipts"].(float64); ok {
			f.PEC.ReceiptsReadAfter += int(n)
		}
	})
	if p.Workers[0] != worker || !anyRunning([]*child{worker}) {
		f.PEC.PollerStopped = true
		f.Problems = append(f.Problems, "the worker, and its PEC poller, stopped during the IMAP outage")
	}
	f.Elapsed = time.Since(start)
	return f, nil
}

// imapDownAtMost bounds the IMAP outage when it waits for a PEC to leave: well under the
// stack's PEC_RECEIPT_TIMEOUT (5m), past which a PEC rightly counts as not delivered.
const imapDownAtMost = 3*time.Minute + 30*time.Second

// waitForPECSentSince waits, at most within, until a notice to a comune (a PEC) has been
// sent since the given time. Errors only end the wait: the figures say what happened.
func waitForPECSentSince(ctx context.Context, ownerURL string, since time.Time, within time.Duration) {
	deadline := time.Now().Add(within)
	conn, err := connectRetrying(ctx, ownerURL, within)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	for time.Now().Before(deadline) {
		var sent bool
		err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notification WHERE recipient LIKE 'comune:%' AND sent_at >= $1)`, since).Scan(&sent)
		if err != nil || sent {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// checkPECDelivered waits (at most settle) until every PEC notice of the cases has an
// outcome, then counts those whose delivery receipt was not read, those not delivered,
// and the delivery workflows that did not end delivered.
func checkPECDelivered(ctx context.Context, s *benchStack, caseIDs []string, down, back time.Time, settle time.Duration, f *faultFigures) error {
	conn, err := connectRetrying(ctx, s.ownerURL, time.Minute)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	// Notices to a comune go by PEC (activities.Delivery); their delivery workflows wait
	// for the receipts.
	const pecNotices = `FROM notification n LEFT JOIN pec_message m ON m.message_id = n.message_id
		WHERE n.case_id::text = ANY($1) AND n.recipient LIKE 'comune:%'`
	deadline := time.Now().Add(settle)
	for {
		var waiting int
		if err := conn.QueryRow(ctx, `SELECT count(*) `+pecNotices+` AND n.delivered_at IS NULL AND n.undelivered IS NULL`, caseIDs).Scan(&waiting); err != nil {
			return err
		}
		if waiting == 0 || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	rows, err := conn.Query(ctx, `SELECT n.key, n.sent_at, n.delivered_at IS NOT NULL AND m.delivered_at IS NOT NULL, coalesce(n.undelivered, '') `+pecNotices, caseIDs)
	if err != nil {
		return err
	}
	type notice struct {
		key         string
		sentAt      *time.Time
		receipt     bool
		undelivered string
	}
	notices, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (notice, error) {
		var n notice
		return n, row.Scan(&n.key, &n.sentAt, &n.receipt, &n.undelivered)
	})
	if err != nil {
		return err
	}
	pf := f.PEC
	pf.Notices = len(notices)
	for _, n := range notices {
		if n.sentAt != nil && !n.sentAt.Before(down) && n.sentAt.Before(back) {
			pf.SentWhileDown++
		}
		if !n.receipt {
			pf.ReceiptsUnread++
		}
		if n.undelivered != "" {
			pf.NotDelivered++
			if len(f.Problems) < 10 {
				f.Problems = append(f.Problems, fmt.Sprintf("a PEC notice was marked not delivered: %s", n.undelivered))
			}
		}
		wid := activities.NoticeWorkflowID(n.key)
		desc, err := describeOnceEnded(ctx, s, wid, deadline)
		if err != nil {
			pf.WorkflowsNotDelivered++
			f.Problems = append(f.Problems, fmt.Sprintf("PEC delivery workflow %s: %v", wid, err))
			continue
		}
		info := desc.GetWorkflowExecutionInfo()
		var stage string
		if p := info.GetSearchAttributes().GetIndexedFields()[searchattr.Stage.GetName()]; p != nil {
			_ = converter.GetDefaultDataConverter().FromPayload(p, &stage)
		}
		if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED || stage != workflows.StageDelivered {
			pf.WorkflowsNotDelivered++
			if len(f.Problems) < 10 {
				f.Problems = append(f.Problems, fmt.Sprintf("PEC delivery workflow %s is %s with Stage %q", wid, info.GetStatus(), stage))
			}
		}
	}
	if pf.Notices == 0 {
		f.Problems = append(f.Problems, "the cases sent no PEC notice: the outage tested nothing")
	}
	return nil
}

// describeOnceEnded describes a workflow once it has ended, or as it is at the deadline
// (a minute from now at the least): a delivery workflow records the receipt on the row a
// moment before it completes.
func describeOnceEnded(ctx context.Context, s *benchStack, wid string, deadline time.Time) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	deadline = later(deadline, time.Now().Add(time.Minute))
	for {
		desc, err := s.temporal.DescribeWorkflowExecution(ctx, wid, "")
		if err != nil || desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING || time.Now().After(deadline) {
			return desc, err
		}
		select {
		case <-ctx.Done():
			return desc, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// logSize is how long a log file is now (0 if it cannot be read).
func logSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// logLines calls each with the JSON log lines of a file between two offsets (to the end
// for -1) whose message is msg.
func logLines(path string, from, to int64, msg string, each func(map[string]any)) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if to < 0 || to > int64(len(data)) {
		to = int64(len(data))
	}
	if from > to {
		return
	}
	for line := range strings.SplitSeq(string(data[from:to]), "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) == nil && entry["msg"] == msg {
			each(entry)
		}
	}
}

// workerKills is R1: the worker is SIGKILLed Kills times while Cases cases are driven
// (evenly over their progress), and started again at once, as a supervisor would.
func workerKills(ctx context.Context, out io.Writer, s *benchStack, sizes faultSizes) (faultFigures, error) {
	f := faultFigures{Name: fmt.Sprintf("R1 (%d SIGKILLs of the worker during %d cases)", sizes.Kills, sizes.Cases)}
	fmt.Fprintf(out, "%s…\n", f.Name)
	start := time.Now()
	before := len(s.prodlike.mailbox.Messages())
	// The worker started again after a kill logs to the same file.
	workerLog := filepath.Join(s.prodlike.opts.Dir, "logs", s.prodlike.Workers[0].name+".log")
	logFrom := logSize(workerLog)
	kill := make(chan struct{}, sizes.Kills)
	var next = 1
	var mu sync.Mutex
	progress := progressLine(out, "cases")
	var killErr error
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for range kill {
			if err := restartWorker(ctx, s); err != nil {
				killErr = err
				return
			}
			f.Kills++
			fmt.Fprintf(out, "  worker killed and started again (%d/%d)\n", f.Kills, sizes.Kills)
		}
	}()
	run := surge.DriveCases(ctx, s.target, sizes.Cases, sizes.Concurrency, func(done, total int) {
		progress(done, total)
		mu.Lock()
		defer mu.Unlock()
		// Kill i comes when i/(Kills+1) of the cases are done.
		for next <= sizes.Kills && done*(sizes.Kills+1) >= next*total {
			kill <- struct{}{}
			next++
		}
	})
	close(kill)
	<-killed
	if killErr != nil {
		return f, killErr
	}
	f.Cases, f.Completed = sizes.Cases, run.Completed
	f.Problems = append(f.Problems, run.Errors...)
	if err := checkCases(ctx, s, run.CaseIDs, before, sizes.Settle, &f); err != nil {
		return f, err
	}
	logLines(workerLog, logFrom, -1, "An attempt cut short is in the mail archive: not sending again", func(map[string]any) { f.FromArchive++ })
	f.Elapsed = time.Since(start)
	return f, nil
}

// restartWorker SIGKILLs the worker and starts a new one in its place, waiting until it
// polls.
func restartWorker(ctx context.Context, s *benchStack) error {
	p := s.prodlike
	old := p.Workers[0]
	old.stopping.Store(true) // expected: not reported as a death
	if err := old.Kill(); err != nil {
		return err
	}
	<-old.exited
	healthPort, err := devtemporal.FreePort("127.0.0.1")
	if err != nil {
		return err
	}
	w, err := p.startChild(old.name, filepath.Join(p.opts.Dir, "logs", old.name+".log"), `"worker polling"`, []string{"worker"},
		"DATABASE_URL="+p.appURL, "WORKER_HEALTH_ADDR="+hostPort(healthPort))
	if err != nil {
		return err
	}
	p.Workers[0] = w
	s.pids["worker"] = w.PID()
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return w.waitLine(waitCtx)
}

// postgresRestart is R2's first part: PostgreSQL (Approdo's database and Temporal's) is
// stopped while cases are driven, and started again after PGDown. While it is down, a
// filing must be answered 503 problem+json; afterwards every case must be complete.
func postgresRestart(ctx context.Context, out io.Writer, s *benchStack, sizes faultSizes) (faultFigures, error) {
	f := faultFigures{Name: fmt.Sprintf("R2 (PostgreSQL stopped for %s during %d cases)", sizes.PGDown, sizes.PGCases), DownAnswers: map[string]int{}}
	fmt.Fprintf(out, "%s…\n", f.Name)
	start := time.Now()
	before := len(s.prodlike.mailbox.Messages())
	third := make(chan struct{})
	var once sync.Once
	progress := progressLine(out, "cases")
	var run surge.CaseRun
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		run = surge.DriveCases(ctx, s.target, sizes.PGCases, sizes.Concurrency, func(done, total int) {
			progress(done, total)
			if done*3 >= total {
				once.Do(func() { close(third) })
			}
		})
	}()
	select {
	case <-third:
	case <-driven:
	}
	p := s.prodlike
	fmt.Fprintln(out, "  stopping PostgreSQL…")
	stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err := p.cluster.Stop(stopCtx)
	cancel()
	if err != nil {
		return f, fmt.Errorf("stop PostgreSQL: %w", err)
	}
	p.cluster = nil
	downUntil := time.Now().Add(sizes.PGDown)
	for time.Now().Before(downUntil) {
		status, contentType := probeFiling(ctx, s.target)
		key := fmt.Sprintf("%d %s", status, contentType)
		f.DownAnswers[key]++
		if status != http.StatusServiceUnavailable || contentType != "application/problem+json" {
			f.WrongDownAnswers++
		}
		select {
		case <-ctx.Done():
			return f, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	fmt.Fprintln(out, "  starting PostgreSQL again…")
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{
		DataDir: filepath.Join(p.pgDir, "data"), Port: p.opts.PostgresPort, Ephemeral: p.opts.Ephemeral,
		LogFile: filepath.Join(p.opts.Dir, "logs", "postgres.log"),
	})
	if err != nil {
		return f, fmt.Errorf("start PostgreSQL again: %w", err)
	}
	p.cluster = cluster
	<-driven
	f.Cases, f.Completed = sizes.PGCases, run.Completed
	f.Problems = append(f.Problems, run.Errors...)
	if err := checkCases(ctx, s, run.CaseIDs, before, sizes.Settle, &f); err != nil {
		return f, err
	}
	f.Elapsed = time.Since(start)
	return f, nil
}

// probeFiling files one request and says how it was answered ("network" errors as 0).
func probeFiling(ctx context.Context, t surge.Target) (int, string) {
	reqCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	status, contentType, err := postFiling(reqCtx, t)
	if err != nil {
		return 0, "network"
	}
	return status, contentType
}

func postFiling(ctx context.Context, t surge.Target) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.API+"/api/v1/enrolments",
		strings.NewReader(surge.RequestBody(fmt.Sprintf("%x", time.Now().UnixNano()))))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+t.Comune)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), nil
}

// checkCases waits (at most settle) until every case is enrolled in the read model and
// every notification of theirs is sent, then counts what is lost, mismatched, unsent, and
// the notices that reached the mailbox (after its first `before` messages) more than once.
func checkCases(ctx context.Context, s *benchStack, caseIDs []string, before int, settle time.Duration, f *faultFigures) error {
	conn, err := connectRetrying(ctx, s.ownerURL, time.Minute)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(settle)
	var stages map[string]string
	for {
		stages = map[string]string{}
		rows, err := conn.Query(ctx, "SELECT id::text, stage FROM enrolment_case WHERE id::text = ANY($1)", caseIDs)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, stage string
			if err := rows.Scan(&id, &stage); err != nil {
				return err
			}
			stages[id] = stage
		}
		if err := rows.Err(); err != nil {
			return err
		}
		f.Lost = 0
		for _, id := range caseIDs {
			if stages[id] != "enrolled" {
				f.Lost++
			}
		}
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM notification WHERE case_id::text = ANY($1) AND sent_at IS NULL", caseIDs).Scan(&f.Unsent); err != nil {
			return err
		}
		if (f.Lost == 0 && f.Unsent == 0) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	// The read model against each workflow's own state: its Stage search attribute,
	// which the workflow sets in the same transition as the projection.
	for _, id := range caseIDs {
		desc, err := s.temporal.DescribeWorkflowExecution(ctx, enrolment.WorkflowID(id), "")
		if err != nil {
			f.Mismatched++
			f.Problems = append(f.Problems, fmt.Sprintf("case %s: describe its workflow: %v", id, err))
			continue
		}
		var stage string
		if p := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[searchattr.Stage.GetName()]; p != nil {
			_ = converter.GetDefaultDataConverter().FromPayload(p, &stage)
		}
		if stage != stages[id] {
			f.Mismatched++
			if len(f.Problems) < 10 {
				f.Problems = append(f.Problems, fmt.Sprintf("case %s: the workflow says %q, the read model %q", id, stage, stages[id]))
			}
		}
	}
	byID := map[string]int{}
	for _, m := range s.prodlike.mailbox.Messages()[before:] {
		if m.Receipt == "" {
			byID[m.MessageID]++
		}
	}
	for id, n := range byID {
		if n > 1 {
			f.Duplicates += n - 1
			if len(f.Problems) < 10 {
				f.Problems = append(f.Problems, fmt.Sprintf("message %s reached the mailbox %d times", id, n))
			}
		}
	}
	return nil
}

// connectRetrying connects to PostgreSQL, retrying for a while (it may be starting).
func connectRetrying(ctx context.Context, url string, within time.Duration) (*pgx.Conn, error) {
	deadline := time.Now().Add(within)
	for {
		conn, err := pgx.Connect(ctx, url)
		if err == nil || time.Now().After(deadline) {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
