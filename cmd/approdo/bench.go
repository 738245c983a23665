package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	temporallog "go.temporal.io/sdk/log"

	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/internal/surge"
	"github.com/approdo/approdo/internal/temporalconn"
)

// surgeReport is what `approdo bench surge` prints, and writes as JSON with -json.
type surgeReport struct {
	Machine     surge.Machine `json:"machine"`
	Stack       string        `json:"stack"`
	Cases       int           `json:"cases"`
	Concurrency int           `json:"concurrency"`
	// CasesPerSecond counts completed cases over the time until the last of them was
	// accepted and every one of their notices had settled (SettledSeconds; an email sent,
	// a PEC's delivery receipt recorded); BaselinePerSecond the bare workflows', and Ratio
	// the first over the second. AcceptedPerSecond stops the clock at the last
	// acceptance (ElapsedSeconds), leaving out the notices still under way then.
	CasesPerSecond    float64 `json:"cases_per_second"`
	BaselinePerSecond float64 `json:"baseline_per_second"`
	Ratio             float64 `json:"ratio"`
	AcceptedPerSecond float64 `json:"accepted_per_second"`
	SettledSeconds    float64 `json:"settled_seconds"`
	// UnsettledNotices counts the notices not settled when the wait gave up (settleLimit);
	// -1 when they could not be counted (a running stack whose database is unknown).
	UnsettledNotices int `json:"unsettled_notices"`
	Completed        int `json:"completed"`
	Failed           int `json:"failed"`
	// Refused counts filing attempts answered otherwise than 200/201/202, by status.
	Refused           map[string]int                 `json:"refused_filings"`
	Accepted202       int                            `json:"filings_received_in_registration"`
	Filing            surge.Latencies                `json:"filing_latency"`
	WholeCase         surge.Latencies                `json:"whole_case_latency"`
	BaselineWhole     surge.Latencies                `json:"baseline_latency"`
	BaselineWorkflows int                            `json:"baseline_workflows"`
	BaselineFailed    int                            `json:"baseline_failed"`
	Events            surge.Events                   `json:"events"`
	BaselineEvents    float64                        `json:"baseline_events"`
	Memory            map[string]surge.ProcessMemory `json:"memory"`
	ElapsedSeconds    float64                        `json:"elapsed_seconds"`
	BaselineSeconds   float64                        `json:"baseline_seconds"`
	// Overhead is the API's filing next to a direct UpdateWithStart (P4); Open the
	// memory with many open cases (P3). Each only when asked for.
	Overhead *filingOverhead `json:"filing_overhead,omitempty"`
	Open     *openCases      `json:"open_cases,omitempty"`
}

// filingOverhead compares the API's filing with a direct client.UpdateWithStartWorkflow
// of the same workflow, input and data converter, interleaved in one pool (issue 14, P4:
// the API's p99 at most 1.5 times the direct one's).
type filingOverhead struct {
	Filings      int             `json:"filings_each"`
	API          surge.Latencies `json:"api"`
	Direct       surge.Latencies `json:"direct"`
	APIFailed    int             `json:"api_failed"`
	DirectFailed int             `json:"direct_failed"`
	// RatioP50 and RatioP99 are the API's percentile over the direct one's.
	RatioP50 float64 `json:"ratio_p50"`
	RatioP99 float64 `json:"ratio_p99"`
	Seconds  float64 `json:"seconds"`
}

// openCases is the memory of the worker and the API with many cases left open, routed
// and waiting for the hub (issue 14, P3: at most 250 MB together with 10,000).
type openCases struct {
	Asked  int `json:"asked"`
	Filed  int `json:"filed"`
	Routed int `json:"routed"`
	// OpenInTotal counts every open enrolment case on the stack at the end, those of the
	// earlier phases included.
	OpenInTotal int                            `json:"open_in_total"`
	Memory      map[string]surge.ProcessMemory `json:"memory"`
	// WorkerPlusAPIMiB adds the two processes' RSS, at the end and at their peaks.
	WorkerPlusAPIEndMiB  float64 `json:"worker_plus_api_end_mib"`
	WorkerPlusAPIPeakMiB float64 `json:"worker_plus_api_peak_mib"`
	// StickyCacheSize is the worker's sticky cache, as it logged it (0: unknown).
	StickyCacheSize int     `json:"sticky_cache_size"`
	Seconds         float64 `json:"seconds"`
	LoadAfter       float64 `json:"load_after"`
}

// surgeOptions are what `approdo bench surge` is asked to run.
type surgeOptions struct {
	// N whole cases, C at a time, next to BaselineN bare workflows; Sample cases' events
	// are counted.
	N, C, BaselineN, Sample int
	// Overhead filings through the API and as many direct ones (0: none).
	Overhead int
	// Open cases filed and left open, to measure memory (0: none).
	Open int
}

// runBench is `approdo bench surge`.
func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "surge" {
		return fmt.Errorf("usage: approdo bench surge [-n N] [-c C] [-overhead N] [-open N] [-json FILE] [-api URL -stack DIR]")
	}
	flags := flag.NewFlagSet("bench surge", flag.ContinueOnError)
	n := flags.Int("n", 500, "whole cases to drive")
	c := flags.Int("c", 50, "cases at a time")
	baselineN := flags.Int("baseline-n", 0, "bare baseline workflows to run (default: as many as -n)")
	sample := flags.Int("sample", 20, "cases whose workflow histories are counted")
	jsonFile := flags.String("json", "", "also write the figures as JSON to this file (- for standard output)")
	apiURL := flags.String("api", "", "use the running stack whose API is at this URL (e.g. http://127.0.0.1:8080) instead of starting one")
	stackDir := flags.String("stack", ".dev", "with -api: the dev folder of that stack (dev.env, demo-tokens.env)")
	overhead := flags.Int("overhead", 100, "filings through the API and as many direct UpdateWithStarts, compared (0: none)")
	open := flags.Int("open", 0, "cases to file and leave open at the end, to measure the memory of the worker and the API (e.g. 10000)")
	workerPID := flags.Int("worker-pid", 0, "with -api: the worker's process, whose RSS is reported")
	retry := flags.Duration("retry", surge.DefaultRetry, "how long a driver waits before trying a step again (a 503, a case not yet recorded or routed)")
	apiPID := flags.Int("api-pid", 0, "with -api: the API's process, whose RSS is reported (the same as -worker-pid for `approdo dev`)")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	if *n < 1 || *c < 1 || *sample < 0 || *overhead < 0 || *open < 0 || *retry <= 0 {
		return fmt.Errorf("-n and -c must be at least 1, -sample, -overhead and -open not negative, -retry positive")
	}
	if *baselineN == 0 {
		*baselineN = *n
	}
	out := os.Stdout
	if *jsonFile == "-" {
		out = os.Stderr // the JSON alone goes to standard output
	}
	stack, err := openStack(ctx, out, *apiURL, *stackDir, *workerPID, *apiPID)
	if err != nil {
		return err
	}
	defer stack.close()
	stack.target.Retry = *retry
	report, err := benchSurge(ctx, out, stack, surgeOptions{N: *n, C: *c, BaselineN: *baselineN, Sample: *sample, Overhead: *overhead, Open: *open})
	if err != nil {
		return err
	}
	printSurgeReport(out, report)
	if *jsonFile != "" {
		data, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			return err
		}
		if *jsonFile == "-" {
			_, err = os.Stdout.Write(append(data, '\n'))
			return err
		}
		return os.WriteFile(*jsonFile, append(data, '\n'), 0o644)
	}
	return nil
}

// benchStack is the stack a benchmark or fault run drives: its API, the demo tokens, a
// Temporal client (for the baseline and the histories), Approdo's database as its
// owner, and the processes to watch.
type benchStack struct {
	name     string
	target   surge.Target
	temporal client.Client
	// sealed seals payloads as the API does (the direct filings of the overhead phase);
	// nil when the stack's payload key is unknown.
	sealed    client.Client
	taskQueue string
	ownerURL  string
	pids      map[string]int
	// prodlike is set when the run started the stack itself.
	prodlike *prodlike
}

func (s *benchStack) close() {
	if s.temporal != nil {
		s.temporal.Close()
	}
	if s.sealed != nil {
		s.sealed.Close()
	}
	if s.prodlike != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.prodlike.Stop(stopCtx)
	}
}

// openStack uses the running stack at apiURL, or starts the production-shaped one
// (`approdo prodlike`'s, with one worker and one API, Temporal on PostgreSQL) in a
// fresh folder under .dev/bench.
func openStack(ctx context.Context, out io.Writer, apiURL, stackDir string, workerPID, apiPID int) (*benchStack, error) {
	if apiURL != "" {
		return runningStack(ctx, apiURL, stackDir, workerPID, apiPID)
	}
	root, err := devtemporal.RepoRoot()
	if err != nil {
		return nil, fmt.Errorf("approdo bench runs from a checkout of the repository: %w", err)
	}
	bin := devtemporal.DefaultBinPath(root)
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("no Temporal dev server at %s: run `make devserver` first", bin)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, ".dev", "bench", time.Now().UTC().Format("20060102-150405"))
	fmt.Fprintf(out, "Starting the stack in %s (Temporal on PostgreSQL, one worker, one API, each a process)…\n", dir)
	p, err := startProdlike(ctx, prodlikeOptions{
		Approdo: []string{self}, ApprodoEnv: []string{"LOG_LEVEL=info"}, DevServerBin: bin, Dir: dir,
		RefdataFile: filepath.Join(root, "deploy", "refdata", "sample.yaml"),
		APIPorts:    []int{0}, Workers: 1, HeadlessTemporal: true, Out: out,
	})
	if err != nil {
		return nil, err
	}
	return prodlikeStack(ctx, p)
}

// prodlikeStack is a benchStack over a started production-shaped topology.
func prodlikeStack(ctx context.Context, p *prodlike) (*benchStack, error) {
	s := &benchStack{name: "prodlike: Temporal on PostgreSQL, 1 worker, 1 API", prodlike: p, ownerURL: p.OwnerURL,
		pids: map[string]int{"worker": p.Workers[0].PID(), "api": p.APIs[0].PID(), "temporal": p.temporal.PID()}}
	tokens, err := readEnvFile(p.TokensFile)
	if err != nil {
		s.close()
		return nil, err
	}
	s.target = surge.Target{API: p.APIURLs[0], Comune: tokens["APPRODO_TOKEN_COMUNE"], Hub: tokens["APPRODO_TOKEN_POLO"],
		School: tokens["APPRODO_TOKEN_SCHOOL_A"], SchoolCode: "MIIC90001A"}
	// The baseline and the direct filings compress their gRPC calls as the stack's
	// processes do, so that the ratio compares like with like.
	conn := p.temporal.Connection()
	conn.Compression = envValue(p.env, "TEMPORAL_GRPC_COMPRESSION")
	if s.temporal, err = dialBench(ctx, p.temporal.HostPort(), prodlikeNamespace, conn, ""); err != nil {
		s.close()
		return nil, err
	}
	s.taskQueue = prodlikeTaskQueue
	if s.sealed, err = dialBench(ctx, p.temporal.HostPort(), prodlikeNamespace, conn, envValue(p.env, "TEMPORAL_PAYLOAD_KEY")); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// runningStack reads a running dev stack's settings from its folder.
func runningStack(ctx context.Context, apiURL, dir string, workerPID, apiPID int) (*benchStack, error) {
	env, err := readEnvFile(filepath.Join(dir, "dev.env"))
	if err != nil {
		return nil, err
	}
	tokens, err := readEnvFile(filepath.Join(dir, "demo-tokens.env"))
	if err != nil {
		return nil, err
	}
	s := &benchStack{name: "running stack at " + apiURL, ownerURL: env["DATABASE_URL"], pids: map[string]int{}}
	if workerPID != 0 {
		s.pids["worker"] = workerPID
	}
	if apiPID != 0 && apiPID != workerPID {
		s.pids["api"] = apiPID
	}
	s.target = surge.Target{API: strings.TrimRight(apiURL, "/"), Comune: tokens["APPRODO_TOKEN_COMUNE"], Hub: tokens["APPRODO_TOKEN_POLO"],
		School: tokens["APPRODO_TOKEN_SCHOOL_A"], SchoolCode: "MIIC90001A"}
	conn := temporalconn.Settings{CAFile: env["TEMPORAL_TLS_CA_FILE"], CertFile: env["TEMPORAL_TLS_CERT_FILE"],
		KeyFile: env["TEMPORAL_TLS_KEY_FILE"], ServerName: env["TEMPORAL_TLS_SERVER_NAME"],
		Compression: cmp.Or(env["TEMPORAL_GRPC_COMPRESSION"], os.Getenv("TEMPORAL_GRPC_COMPRESSION"))}
	if s.temporal, err = dialBench(ctx, env["TEMPORAL_ADDRESS"], env["TEMPORAL_NAMESPACE"], conn, ""); err != nil {
		return nil, err
	}
	s.taskQueue = env["TEMPORAL_TASK_QUEUE"]
	if key := env["TEMPORAL_PAYLOAD_KEY"]; key != "" && s.taskQueue != "" {
		if s.sealed, err = dialBench(ctx, env["TEMPORAL_ADDRESS"], env["TEMPORAL_NAMESPACE"], conn, key); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// dialBench connects to Temporal. Without a payload key, it has no payload codec: the
// benchmark reads event counts, never payloads, and its baseline's payloads are its own.
// With the stack's key, it seals payloads as the API does, for the direct filings.
func dialBench(ctx context.Context, hostPort, namespace string, conn temporalconn.Settings, payloadKey string) (client.Client, error) {
	opts := client.Options{HostPort: hostPort, Namespace: namespace, Logger: quietSDKLog()}
	if err := conn.Apply(&opts); err != nil {
		return nil, err
	}
	if payloadKey != "" {
		codec, err := payloadcrypt.FromSettings(payloadcrypt.Settings{Key: payloadKey})
		if err != nil {
			return nil, err
		}
		opts.DataConverter = codec.DataConverter()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return client.DialContext(ctx, opts)
}

// envValue is the value of name in an environment (the last one, as exec does).
func envValue(env []string, name string) string {
	value := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			value = v
		}
	}
	return value
}

// readEnvFile reads the `export NAME=value  # comment` lines of a file the dev stack
// wrote (values shell-quoted with single quotes, or bare).
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(scanner.Text()), "export ")
		if !ok {
			continue
		}
		name, value, _ := strings.Cut(rest, "=")
		if strings.HasPrefix(value, "'") {
			if end := strings.Index(value[1:], "'"); end >= 0 {
				value = value[1 : end+1]
			}
		} else {
			value, _, _ = strings.Cut(value, " ")
		}
		vars[name] = value
	}
	return vars, scanner.Err()
}

// benchSurge runs the baseline, then the cases, on the same stack, and gathers the
// figures. The baseline goes first, so that the notices the cases leave behind do not
// slow it down.
func benchSurge(ctx context.Context, out io.Writer, s *benchStack, o surgeOptions) (surgeReport, error) {
	n, c, baselineN, sample := o.N, o.C, o.BaselineN, o.Sample
	r := surgeReport{Machine: surge.ThisMachine(), Stack: s.name, Cases: n, Concurrency: c}
	fmt.Fprintf(out, "Machine: %d CPUs, load %.2f. Stack: %s.\n", r.Machine.CPUs, r.Machine.LoadBefore, s.name)

	fmt.Fprintf(out, "Baseline: %d bare workflows (6 no-op activities, 3 updates), %d at a time…\n", baselineN, c)
	base, err := surge.RunBaseline(ctx, s.temporal, "surge-baseline-"+uuid.NewString(), baselineN, c, progressLine(out, "baseline workflows"))
	if err != nil {
		return r, err
	}
	r.BaselineSeconds = base.Elapsed.Seconds()
	r.BaselinePerSecond = float64(base.Completed) / base.Elapsed.Seconds()
	r.BaselineWhole, r.BaselineFailed, r.BaselineWorkflows = surge.Summarise(base.Whole), base.Failed, base.Workflows
	if base.FirstError != "" {
		fmt.Fprintf(out, "  %d baseline workflows failed; the first: %s\n", base.Failed, base.FirstError)
	}
	if r.BaselineEvents, err = surge.MeanEvents(ctx, s.temporal, base.IDs, max(sample, 1)); err != nil {
		return r, fmt.Errorf("count the baseline's events: %w", err)
	}

	fmt.Fprintf(out, "Cases: %d whole cases through the API (file as the comune, propose as the hub, accept as the school), %d at a time…\n", n, c)
	mem := surge.WatchMemory(s.pids, time.Second)
	run := surge.DriveCases(ctx, s.target, n, c, progressLine(out, "cases"))
	r.Memory = mem.Stop()
	r.ElapsedSeconds = run.Elapsed.Seconds()
	r.Completed, r.Failed, r.Refused, r.Accepted202 = run.Completed, run.Failed, run.Refused, run.Accepted202
	r.AcceptedPerSecond = float64(run.Completed) / run.Elapsed.Seconds()
	r.Filing, r.WholeCase = surge.Summarise(run.Filings), surge.Summarise(run.Whole)
	for _, e := range run.Errors {
		fmt.Fprintf(out, "  a case gave up: %s\n", e)
	}
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	settled, unsettled := run.Elapsed, -1
	if s.ownerURL != "" {
		fmt.Fprintln(out, "Waiting for the cases' notices to settle (emails sent, PEC receipts recorded)…")
		if settled, unsettled, err = waitNoticesSettled(ctx, out, s.ownerURL, run.CaseIDs, run.Started); err != nil {
			return r, err
		}
	}
	r.SettledSeconds, r.UnsettledNotices = settled.Seconds(), unsettled
	r.CasesPerSecond = float64(run.Completed) / settled.Seconds()
	if r.BaselinePerSecond > 0 {
		r.Ratio = r.CasesPerSecond / r.BaselinePerSecond
	}
	fmt.Fprintf(out, "Counting the events of %d cases' workflows…\n", min(sample, len(run.CaseIDs)))
	keys := func(ctx context.Context, caseID string) ([]string, error) { return noticeKeys(ctx, s.ownerURL, caseID) }
	if s.ownerURL == "" {
		keys = nil
	}
	if r.Events, err = surge.CaseEvents(ctx, s.temporal, run.CaseIDs, sample, keys); err != nil {
		return r, err
	}
	if o.Overhead > 0 {
		if r.Overhead, err = benchOverhead(ctx, out, s, o.Overhead, c); err != nil {
			return r, err
		}
	}
	if o.Open > 0 {
		if r.Open, err = benchOpen(ctx, out, s, o.Open, c); err != nil {
			return r, err
		}
	}
	r.Machine.LoadAfter = surge.LoadAverage()
	return r, nil
}

// benchOverhead files n requests through the API and n directly, interleaved, c at a
// time, and compares their latencies.
func benchOverhead(ctx context.Context, out io.Writer, s *benchStack, n, c int) (*filingOverhead, error) {
	if s.sealed == nil {
		fmt.Fprintln(out, "Filing overhead: skipped, the stack's payload key is unknown (TEMPORAL_PAYLOAD_KEY in its dev.env)")
		return nil, nil
	}
	fmt.Fprintf(out, "Filing overhead: %d filings through the API and %d direct UpdateWithStarts of the same workflow, interleaved, %d at a time…\n", n, n, c)
	cmp := surge.CompareFiling(ctx, s.target, surge.DirectFiler{Client: s.sealed, TaskQueue: s.taskQueue}, n, c, progressLine(out, "filings"))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if cmp.FirstAPIError != "" {
		fmt.Fprintf(out, "  %d filings through the API failed; the first: %s\n", cmp.APIFailed, cmp.FirstAPIError)
	}
	if cmp.FirstError != "" {
		fmt.Fprintf(out, "  %d direct filings failed; the first: %s\n", cmp.DirectFailed, cmp.FirstError)
	}
	o := &filingOverhead{Filings: n, API: surge.Summarise(cmp.API), Direct: surge.Summarise(cmp.Direct),
		APIFailed: cmp.APIFailed, DirectFailed: cmp.DirectFailed, Seconds: cmp.Elapsed.Seconds()}
	if o.Direct.P50 > 0 {
		o.RatioP50 = o.API.P50 / o.Direct.P50
	}
	if o.Direct.P99 > 0 {
		o.RatioP99 = o.API.P99 / o.Direct.P99
	}
	return o, nil
}

// benchOpen files n cases through the API and leaves them open, then waits (at most
// routedWithin) until they are routed, waiting for the hub, watching the RSS of the
// worker and the API all along.
func benchOpen(ctx context.Context, out io.Writer, s *benchStack, n, c int) (*openCases, error) {
	fmt.Fprintf(out, "Open cases: %d filed through the API, %d at a time, and left open, routed and waiting for the hub…\n", n, c)
	start := time.Now()
	mem := surge.WatchMemory(s.pids, time.Second)
	caseIDs, errs := surge.FileCases(ctx, s.target, n, c, progressLine(out, "open cases filed"))
	for _, e := range errs {
		fmt.Fprintf(out, "  a filing gave up: %s\n", e)
	}
	o := &openCases{Asked: n, Filed: len(caseIDs)}
	if s.ownerURL != "" {
		if err := waitRouted(ctx, out, s.ownerURL, caseIDs, routedWithin, o); err != nil {
			mem.Stop()
			return nil, err
		}
	}
	o.Memory = mem.Stop()
	o.Seconds = time.Since(start).Seconds()
	o.WorkerPlusAPIEndMiB = o.Memory["worker"].EndMiB + o.Memory["api"].EndMiB
	o.WorkerPlusAPIPeakMiB = o.Memory["worker"].PeakMiB + o.Memory["api"].PeakMiB
	if s.prodlike != nil {
		o.StickyCacheSize = stickyCacheSize(filepath.Join(s.prodlike.opts.Dir, "logs", s.prodlike.Workers[0].name+".log"))
	}
	o.LoadAfter = surge.LoadAverage()
	return o, nil
}

// routedWithin bounds the wait for the open cases to be routed after their filing.
const routedWithin = 10 * time.Minute

// waitRouted waits until every case is awaiting the hub's proposal in the read model, or
// within has passed, and counts the cases routed and every open case of the stack.
func waitRouted(ctx context.Context, out io.Writer, ownerURL string, caseIDs []string, within time.Duration, o *openCases) error {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	progress := progressLine(out, "open cases routed")
	deadline := time.Now().Add(within)
	for {
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM enrolment_case WHERE id::text = ANY($1) AND stage = 'awaiting_proposal'", caseIDs).Scan(&o.Routed); err != nil {
			return err
		}
		progress(o.Routed, len(caseIDs))
		if o.Routed == len(caseIDs) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	return conn.QueryRow(ctx, "SELECT count(*) FROM enrolment_case WHERE stage NOT IN ('enrolled', 'withdrawn')").Scan(&o.OpenInTotal)
}

// stickyCacheSize is the sticky cache size the worker logged when it started polling
// (the last start, after a restart), 0 if it cannot be told.
func stickyCacheSize(workerLog string) int {
	size := 0
	logLines(workerLog, 0, -1, "worker polling", func(e map[string]any) {
		if n, ok := e["sticky_cache_size"].(float64); ok {
			size = int(n)
		}
	})
	return size
}

// noticeKeys lists the keys of a case's notifications, as the database's owner.
func noticeKeys(ctx context.Context, ownerURL, caseID string) ([]string, error) {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT key FROM notification WHERE case_id = $1", caseID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// progressLine prints how far a run is, at most every two seconds, and at the end.
func progressLine(out io.Writer, what string) surge.Progress {
	var last time.Time
	start := time.Now()
	return func(done, total int) {
		if done != total && time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		elapsed := time.Since(start)
		fmt.Fprintf(out, "  %d/%d %s done in %s (%.2f/s)\n", done, total, what, elapsed.Round(100*time.Millisecond), float64(done)/elapsed.Seconds())
	}
}

func printSurgeReport(out io.Writer, r surgeReport) {
	refused := "none"
	if len(r.Refused) > 0 {
		var parts []string
		for status, count := range r.Refused {
			parts = append(parts, fmt.Sprintf("%s: %d", status, count))
		}
		sort.Strings(parts)
		refused = strings.Join(parts, ", ")
	}
	fmt.Fprintf(out, `
Surge benchmark (%s)
  machine            %d CPUs, load %.2f before, %.2f after, %s
  whole cases        %d of %d completed (%d gave up), %d at a time, in %.1f s
  cases/s            %.2f (the last notice settled after %.1f s; %s)
  accepted/s         %.2f (the clock stopped at the last acceptance, notices still under way)
  baseline/s         %.2f (%d bare workflows, %d failed, in %.1f s)
  ratio              %.2f of the baseline
  filing latency     %s
  whole case         %s
  baseline workflow  %s
  refused filings    %s
  received (202)     %d
  events per case    %.1f (own %.1f, %.1f in %.1f other workflows; %d cases sampled); baseline %.1f
`, r.Stack, r.Machine.CPUs, r.Machine.LoadBefore, r.Machine.LoadAfter, r.Machine.GoVersion,
		r.Completed, r.Cases, r.Failed, r.Concurrency, r.ElapsedSeconds,
		r.CasesPerSecond, r.SettledSeconds, unsettledText(r.UnsettledNotices), r.AcceptedPerSecond, r.BaselinePerSecond, r.BaselineWorkflows, r.BaselineFailed, r.BaselineSeconds, r.Ratio,
		r.Filing, r.WholeCase, r.BaselineWhole, refused, r.Accepted202,
		r.Events.PerCase, r.Events.Own, r.Events.Others, r.Events.OtherWorkflows, r.Events.Sampled, r.BaselineEvents)
	names := make([]string, 0, len(r.Memory))
	for name := range r.Memory {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m := r.Memory[name]
		fmt.Fprintf(out, "  RSS %-14s %.0f MiB at the end, %.0f MiB at the peak (pid %d)\n", name, m.EndMiB, m.PeakMiB, m.PID)
	}
	if o := r.Overhead; o != nil {
		fmt.Fprintf(out, "  filing, API       %s, %d failed\n", o.API, o.APIFailed)
		fmt.Fprintf(out, "  filing, direct    %s, %d failed (UpdateWithStart of the same workflow)\n", o.Direct, o.DirectFailed)
		fmt.Fprintf(out, "  filing overhead   API/direct %.2f at p50, %.2f at p99 (%d of each, interleaved, in %.1f s)\n", o.RatioP50, o.RatioP99, o.Filings, o.Seconds)
	}
	if o := r.Open; o != nil {
		fmt.Fprintf(out, "  open cases        %d filed of %d, %d routed (waiting for the hub); %d open on the stack in all; in %.1f s, load %.2f after\n",
			o.Filed, o.Asked, o.Routed, o.OpenInTotal, o.Seconds, o.LoadAfter)
		for _, name := range []string{"worker", "api"} {
			if m, ok := o.Memory[name]; ok {
				fmt.Fprintf(out, "  RSS %-14s %.0f MiB at the end, %.0f MiB at the peak, with the open cases\n", name, m.EndMiB, m.PeakMiB)
			}
		}
		fmt.Fprintf(out, "  worker + API      %.0f MiB at the end, %.0f MiB at the peaks; sticky cache %d workflows\n", o.WorkerPlusAPIEndMiB, o.WorkerPlusAPIPeakMiB, o.StickyCacheSize)
	}
}

// quietSDKLog keeps the SDK's warnings and errors of the benchmark's own client.
func quietSDKLog() temporallog.Logger {
	return temporallog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// unsettledText says how many notices had not settled when the wait ended.
func unsettledText(n int) string {
	switch {
	case n < 0:
		return "notices not counted: the stack's database is unknown"
	case n == 0:
		return "every notice settled"
	default:
		return fmt.Sprintf("%d notices still not settled after %s", n, settleLimit)
	}
}
