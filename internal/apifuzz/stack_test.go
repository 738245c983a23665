package apifuzz_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/config"
	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/devtemporal/devtemporaltest"
	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
)

const namespace = "default"

// temporalServer is the one Temporal dev server of this test binary (of each fuzz
// worker process); every fuzz target uses a task queue of its own on it.
var temporalServer *devtemporal.Server

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv, err := devtemporaltest.Start(ctx, devtemporaltest.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start Temporal dev server:", err)
		return 1
	}
	defer func() {
		stopCtx, stopCancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer stopCancel()
		_ = srv.Stop(stopCtx)
	}()
	temporalServer = srv
	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: namespace, Logger: quietSDK})
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial Temporal:", err)
		return 1
	}
	err = searchattr.Ensure(ctx, c, namespace)
	c.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "register search attributes:", err)
		return 1
	}
	return pgtest.Run(m, store.Migrate)
}

// quietSDK drops the SDK's lines below errors: a fuzzing run makes millions of requests.
var quietSDK = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))

// The organisations of the sample reference data (deploy/refdata/sample.yaml) that send
// the bodies.
const (
	orgUST         = "ust"
	orgComune      = "comune:015146"
	orgHub         = "polo_start:polo-1"
	schoolA        = "MIIC90001A"
	orgSchool      = "school:" + schoolA
	orgPrefettura  = "prefettura:milano"
	orgOneStopShop = "one_stop_shop:milano"
	orgOrientation = "orientation"
)

// stack is what a fuzz target sends its bodies to: the production router over a fresh
// database and the shared Temporal server, with a worker of its own.
type stack struct {
	handler http.Handler
	// owner reads the tables past row-level security, for the counts.
	owner  *pgxpool.Pool
	tokens map[string]string
}

func newStack(tb testing.TB) *stack {
	tb.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(tb)
	owner, err := store.Open(ctx, url)
	must(tb, err)
	tb.Cleanup(owner.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	must(tb, err)
	appPool, err := store.OpenApp(ctx, appURL)
	must(tb, err)
	tb.Cleanup(appPool.Close)

	root, err := devtemporal.RepoRoot()
	must(tb, err)
	data, err := refdata.ParseFile(filepath.Join(root, "deploy", "refdata", "sample.yaml"))
	must(tb, err)
	_, err = store.New(owner).ReplaceReferenceData(ctx, data, "sample")
	must(tb, err)

	codec := newCodec(tb)
	c, err := client.Dial(client.Options{HostPort: temporalServer.HostPort(), Namespace: namespace, Logger: quietSDK, DataConverter: codec.DataConverter()})
	must(tb, err)
	tb.Cleanup(c.Close)
	taskQueue := "fuzz-" + uuid.NewString()
	w := worker.New(c, taskQueue, sdkworker.Options{}, worker.DependenciesOn(store.New(appPool), policy(tb)))
	must(tb, w.Start())
	tb.Cleanup(w.Stop)

	s := &stack{owner: owner, tokens: map[string]string{}}
	s.handler = api.NewHandler(api.Dependencies{
		Temporal: c, Store: store.New(appPool), TaskQueue: taskQueue,
		// Errors would be logged for every refused body; a 5xx fails the target anyway.
		Log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		PayloadCodec: codec, TemporalNamespace: namespace,
	})
	for _, org := range []string{orgUST, orgComune, orgHub, orgSchool, orgPrefettura, orgOneStopShop, orgOrientation} {
		parsed, err := casework.ParseOrg(org)
		must(tb, err)
		must(tb, store.New(owner).CreateOrganisation(ctx, parsed, org))
		// Admins, so that the organisation's own operations (users, tokens) get past the
		// role check to their bodies.
		_, secret, err := store.New(owner).CreateToken(ctx, parsed, "fuzz", store.RoleAdmin, 24*time.Hour)
		must(tb, err)
		s.tokens[org] = secret
	}
	return s
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func newCodec(tb testing.TB) *payloadcrypt.Codec {
	key, err := payloadcrypt.ParseKey(payloadcrypt.NewKey())
	must(tb, err)
	c, err := payloadcrypt.New(key)
	must(tb, err)
	return c
}

// policy is the configuration's default case policy: no deadline falls due while fuzzing.
func policy(tb testing.TB) casework.Policy {
	p, err := config.Config{
		ProposalDays: 5, DecisionDays: 5, ReminderDays: 1, MaxProposals: 3,
		FollowUpDays: []int{30, 90}, AttendanceDays: 5, LocalHolidays: "12-07",
	}.CasePolicy()
	must(tb, err)
	return p
}

// answer is one response of the router.
type answer struct {
	status      int
	contentType string
	location    string
	body        []byte
}

// send serves one request in-process through the router, as org ("" sends no token).
func (s *stack) send(method, path, org string, body []byte) answer {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if org != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[org])
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	return answer{status: rec.Code, contentType: rec.Header().Get("Content-Type"), location: rec.Header().Get("Location"), body: rec.Body.Bytes()}
}

// sendJSON is send for the fixtures, which must succeed.
func (s *stack) sendJSON(tb testing.TB, method, path, org string, v any, want int) answer {
	tb.Helper()
	data, err := json.Marshal(v)
	must(tb, err)
	a := s.send(method, path, org, data)
	if a.status != want {
		tb.Fatalf("%s %s as %s: %d, want %d: %s", method, path, org, a.status, want, a.body)
	}
	return a
}

// eventually polls cond for up to 30 seconds.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writtenTables are the tables a request could add rows to, directly or through the
// workflow it starts or moves. The audit log is not among them: refused requests are
// audited on purpose.
var writtenTables = []string{
	"enrolment_case", "case_event", "notification", "reunification_journey", "intervention",
	"dropout_referral", "organisation", "app_user", "api_token", "user_session",
	"password_token", "account_message", "family_import", "family_import_row",
}

var countQuery = func() string {
	parts := make([]string, len(writtenTables))
	for i, t := range writtenTables {
		parts[i] = "(SELECT count(*) FROM " + t + ")::text"
	}
	return "SELECT concat_ws(',', " + strings.Join(parts, ", ") + ")"
}()

// counts are the rows of writtenTables, as "n,n,…".
func (s *stack) counts(tb testing.TB) string {
	tb.Helper()
	var got string
	must(tb, s.owner.QueryRow(context.Background(), countQuery).Scan(&got))
	return got
}

// settle waits until the work an accepted request started (the workflow's activities,
// its notices) stops adding rows, so that the next request's counts are its own.
func (s *stack) settle(tb testing.TB) {
	tb.Helper()
	last := s.counts(tb)
	stable := 0
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		time.Sleep(150 * time.Millisecond)
		now := s.counts(tb)
		if now == last {
			stable++
			if stable == 3 {
				return
			}
			continue
		}
		last, stable = now, 0
	}
	tb.Fatalf("rows still being added 20 s after an accepted request")
}

// operation is one operation of the API with a JSON body, and who sends it.
type operation struct {
	id     string // operationId in api/openapi.yaml
	org    string
	path   string // may hold {subject}, the fixture the target made for this operation
	method string
	valid  any // a body the operation accepts, the first seed
}

// target is a fuzz target's operations and the subjects they act on.
type target struct {
	ops      []operation
	subjects map[string]string // operation id → the ID in its path
}

// pick chooses the operation an input names; any byte names one.
func (tg *target) pick(op uint8) operation { return tg.ops[int(op)%len(tg.ops)] }

// check sends body to the operation op names and fails on a 5xx, a 4xx that is not a
// problem naming its reason, or a refused request that left rows behind.
func (s *stack) check(t *testing.T, tg *target, op uint8, body []byte) {
	o := tg.pick(op)
	path := strings.ReplaceAll(o.path, "{subject}", tg.subjects[o.id])
	before := s.counts(t)
	a := s.send(o.method, path, o.org, body)
	switch {
	case a.status >= 500:
		t.Fatalf("%s answered %d to %q: %s", o.id, a.status, body, a.body)
	case a.status >= 400:
		if err := problemNamesItsReason(a); err != nil {
			t.Fatalf("%s answered %d to %q: %v: %s", o.id, a.status, body, err, a.body)
		}
		if after := s.counts(t); after != before {
			t.Fatalf("%s refused %q with %d but rows changed (%s): %s → %s", o.id, body, a.status, strings.Join(writtenTables, ","), before, after)
		}
	case a.status >= 200 && a.status < 300:
		s.settle(t)
	default:
		t.Fatalf("%s answered %d to %q: %s", o.id, a.status, body, a.body)
	}
}

// problemNamesItsReason checks a 4xx: RFC 9457 problem+json with the answer's status and a
// title, and, for a 400, every refused field named with its reason.
func problemNamesItsReason(a answer) error {
	if a.contentType != "application/problem+json" {
		return fmt.Errorf("content type %q", a.contentType)
	}
	var p api.Problem
	if err := json.Unmarshal(a.body, &p); err != nil {
		return fmt.Errorf("not a problem: %w", err)
	}
	if p.Status != a.status {
		return fmt.Errorf("problem status %d", p.Status)
	}
	if strings.TrimSpace(p.Title) == "" {
		return fmt.Errorf("no title")
	}
	if a.status == http.StatusBadRequest || a.status == http.StatusUnprocessableEntity {
		if p.Errors == nil || len(*p.Errors) == 0 {
			return fmt.Errorf("no field named")
		}
		for _, e := range *p.Errors {
			if strings.TrimSpace(e.Field) == "" || strings.TrimSpace(e.Reason) == "" {
				return fmt.Errorf("a field error without field or reason")
			}
		}
	}
	return nil
}

// fuzz runs a target: its operations' subjects are made once, then every input is checked.
func fuzz(f *testing.F, tg *target, prepare func(testing.TB, *stack, *target)) {
	s := newStack(f)
	if prepare != nil {
		prepare(f, s, tg)
		// A fixture is visible (its read model row) before its workflow has queued all
		// its notices: wait until nothing more is written, or the first inputs would see
		// the fixture's own rows arrive as rows written by a refused request.
		s.settle(f)
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		s.check(t, tg, op, body)
	})
}

// parallel runs fn for each key at once and waits: the fixtures' cases take a second or
// two each to be recorded and routed.
func parallel(tb testing.TB, keys []string, fn func(key string) (string, error)) map[string]string {
	tb.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[string]string{}
	var firstErr error
	for _, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := fn(k)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", k, err)
			}
			out[k] = v
		}()
	}
	wg.Wait()
	must(tb, firstErr)
	return out
}
