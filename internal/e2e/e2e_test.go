package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/approdo/approdo/activities"
	"github.com/approdo/approdo/activities/imports"
	"github.com/approdo/approdo/api"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/config"
	"github.com/approdo/approdo/internal/devmail"
	"github.com/approdo/approdo/internal/devtemporal"
	"github.com/approdo/approdo/internal/devtemporal/devtemporaltest"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/mailer"
	"github.com/approdo/approdo/internal/payloadcrypt"
	"github.com/approdo/approdo/internal/pecinbox"
	"github.com/approdo/approdo/internal/pecreceipts"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/searchattr"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/worker"
	"github.com/approdo/approdo/workflows"
)

var updateHistories = flag.Bool("update-histories", false, "re-record the workflow histories in workflows/testdata/histories")

const namespace = "default"

// temporalServer is the one Temporal server of this test binary; each test gets its own
// task queue on it, so tests do not see each other's workers.
var temporalServer *devtemporal.Server

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	srv, err := devtemporaltest.Start(ctx, devtemporaltest.Options{UI: true})
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

	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: namespace, Logger: sdkLogger})
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

// sdkLogger keeps the clients' and workers' warnings and drops their debug lines, which
// would bury a failing test's report under thousands of others.
var sdkLogger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

// payloadCodec seals the workflows' payloads as production does, with a key of this run.
// Histories recorded for the replay test (-update-histories) are left readable: the
// replayer has no key, and what it checks is the workflow code.
var payloadCodec = func() *payloadcrypt.Codec {
	key, err := payloadcrypt.ParseKey(payloadcrypt.NewKey())
	if err != nil {
		panic(err)
	}
	c, err := payloadcrypt.New(key)
	if err != nil {
		panic(err)
	}
	return c
}()

func dataConverter() converter.DataConverter {
	if *updateHistories {
		return converter.GetDefaultDataConverter()
	}
	return payloadCodec.DataConverter()
}

type bundle struct {
	ctx       context.Context
	pool      *pgxpool.Pool
	appPool   *pgxpool.Pool
	temporal  client.Client
	taskQueue string
	api       *httptest.Server
	worker    sdkworker.Worker
	policy    casework.Policy
	mailbox   *devmail.Server
	// imap is where the mailbox serves its IMAP accounts: the PEC sender's and the mail
	// archive's.
	imap string
	// tokens holds one API token per organisation, made on first use.
	tokensMu sync.Mutex
	tokens   map[string]string
}

// token returns a token acting for org, creating the organisation and the token the first
// time, as `approdo org create` and `approdo token create` do.
func (b *bundle) token(t *testing.T, org string) string {
	t.Helper()
	b.tokensMu.Lock()
	defer b.tokensMu.Unlock()
	if secret, ok := b.tokens[org]; ok {
		return secret
	}
	parsed, err := casework.ParseOrg(org)
	require.NoError(t, err)
	owner := store.New(b.pool)
	require.NoError(t, owner.CreateOrganisation(b.ctx, parsed, org))
	_, secret, err := owner.CreateToken(b.ctx, parsed, "e2e", store.RoleOperator, time.Hour)
	require.NoError(t, err)
	if b.tokens == nil {
		b.tokens = map[string]string{}
	}
	b.tokens[org] = secret
	return secret
}

type setupOptions struct {
	noWorker        bool
	registerTimeout time.Duration
	// policy replaces testPolicy, e.g. with a demo deadline of seconds.
	policy *casework.Policy
	// auth replaces the default limits of password login.
	auth api.AuthSettings
	// mail, when set, makes the worker send notifications to a loopback mailbox.
	mail *devmail.Options
	// temporalUI links UST's pages to the test server's Temporal Web UI, as the dev
	// stack does (TEMPORAL_UI_URL).
	temporalUI bool
	// trustedProxies are believed for X-Forwarded-For (TRUSTED_PROXIES); none by default.
	trustedProxies []string
	// temporal replaces the package's Temporal server, e.g. with one whose Web UI calls
	// this test's codec server; listener is where the API then listens, its address
	// known before the server started.
	temporal *devtemporal.Server
	listener net.Listener
	// logs, when set, gets every log line of the API, the worker, the activities and
	// the SDK, debug included, for the test that looks for personal data in them.
	logs io.Writer
}

func setup(t *testing.T, opts setupOptions) *bundle {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	pool, err := store.Open(ctx, url) // the owner's, for the reference data and the checks
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	// The API and the worker act as the application role, under row-level security, as
	// in production.
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	appPool, err := store.OpenApp(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(appPool.Close)
	clientLogger := sdkLogger
	if opts.logs != nil {
		clientLogger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(opts.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	temporalSrv := temporalServer
	if opts.temporal != nil {
		temporalSrv = opts.temporal
	}
	c, err := client.Dial(client.Options{HostPort: temporalSrv.HostPort(), Namespace: namespace, Logger: clientLogger, DataConverter: dataConverter()})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	b := &bundle{ctx: ctx, pool: pool, appPool: appPool, temporal: c, taskQueue: "e2e-" + uuid.NewString(), policy: testPolicy}
	if opts.policy != nil {
		b.policy = *opts.policy
	}
	b.loadSampleReferenceData(t)
	if opts.mail != nil {
		mailOpts := *opts.mail
		// Every email notice also goes to the mail archive, as in the dev stack.
		mailOpts.IMAPUsers = maps.Clone(mailOpts.IMAPUsers)
		if mailOpts.IMAPUsers == nil {
			mailOpts.IMAPUsers = map[string]string{}
		}
		mailOpts.IMAPUsers[mailArchive] = mailArchivePassword
		mb, err := devmail.Start("127.0.0.1:0", mailOpts)
		require.NoError(t, err)
		t.Cleanup(func() { _ = mb.Close() })
		b.mailbox = mb
		b.imap, err = mb.ServeIMAP("127.0.0.1:0")
		require.NoError(t, err)
		if opts.mail.PEC != nil {
			b.startPECPoller(t)
		}
	}
	if !opts.noWorker {
		b.startWorker(t)
	}
	log := slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if opts.logs != nil {
		log = slog.New(slog.NewTextHandler(io.MultiWriter(opts.logs, testLogWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var uiURL string
	if opts.temporalUI {
		uiURL = temporalSrv.UIURL()
	}
	handler := api.NewHandler(api.Dependencies{
		Temporal:        c,
		Store:           store.New(appPool),
		TaskQueue:       b.taskQueue,
		Log:             log,
		RegisterTimeout: opts.registerTimeout,
		Auth:            opts.auth,
		TemporalUIURL:   uiURL,
		TrustedProxies:  opts.trustedProxies,
		// The codec server of the Temporal Web UI, with the workflows' key.
		PayloadCodec:      payloadCodec,
		TemporalNamespace: namespace,
	})
	b.api = httptest.NewUnstartedServer(handler)
	if opts.listener != nil {
		b.api.Listener.Close()
		b.api.Listener = opts.listener
	}
	b.api.Start()
	t.Cleanup(b.api.Close)
	return b
}

// loadSampleReferenceData imports deploy/refdata/sample.yaml, as the dev stack does:
// cases are routed in it.
func (b *bundle) loadSampleReferenceData(t *testing.T) {
	t.Helper()
	root, err := devtemporal.RepoRoot()
	require.NoError(t, err)
	d, err := refdata.ParseFile(filepath.Join(root, "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)
	_, err = store.New(b.pool).ReplaceReferenceData(b.ctx, d, "sample")
	require.NoError(t, err)
}

func (b *bundle) startWorker(t *testing.T) {
	t.Helper()
	w := worker.New(b.temporal, b.taskQueue, sdkworker.Options{}, b.workerDeps(t))
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	b.worker = w
}

// workerDeps are the activities' dependencies, as the worker process builds them.
func (b *bundle) workerDeps(t *testing.T) worker.Dependencies {
	t.Helper()
	deps := worker.DependenciesOn(store.New(b.appPool), b.policy)
	deps.Imports = &imports.Imports{Store: store.New(b.appPool), Temporal: b.temporal, TaskQueue: b.taskQueue}
	if b.mailbox != nil {
		host, port, err := net.SplitHostPort(b.mailbox.Addr())
		require.NoError(t, err)
		p, err := strconv.Atoi(port)
		require.NoError(t, err)
		imapHost, imapPort, err := net.SplitHostPort(b.imap)
		require.NoError(t, err)
		ip, err := strconv.Atoi(imapPort)
		require.NoError(t, err)
		deps.Cases.Temporal, deps.Cases.TaskQueue = b.temporal, b.taskQueue
		deps.Delivery = &activities.Delivery{
			Store: deps.Cases.Store, Domain: "approdo.test",
			Mail: mailer.Account{Host: host, Port: p, TLS: mailer.TLSNone, From: "approdo@approdo.test", Timeout: 5 * time.Second},
			PEC:  mailer.Account{Host: host, Port: p, TLS: mailer.TLSNone, From: pecSender, Timeout: 5 * time.Second},
			UST:  "ust@approdo.test", Orientation: "orientamento@approdo.test", BaseURL: "https://approdo.test",
			ReceiptTimeout: time.Minute, AcceptanceGrace: 20 * time.Second,
			Archive: activities.MailArchive{
				Address: mailArchive, Grace: 5 * time.Second,
				IMAP: pecinbox.Account{Host: imapHost, Port: ip, TLS: pecinbox.TLSNone, Username: mailArchive, Password: mailArchivePassword},
			},
		}
		deps.Onboarding.Policy = activities.OnboardingPolicy{ReminderEvery: time.Hour, Reminders: 1}
	}
	return deps
}

// pecSender is the certified mailbox the tests' notices to comuni go from.
const pecSender = "approdo@pec.approdo.test"

// mailArchive is the mail archive of the tests' stacks (activities.MailArchive): every
// email notice goes there too, as a Bcc.
const (
	mailArchive         = "archivio@approdo.test"
	mailArchivePassword = "archive-password"
)

// addressedTo reports whether m was sent to to alone, besides the mail archive's copy.
func addressedTo(m devmail.Message, to string) bool {
	rcpt := slices.DeleteFunc(slices.Clone(m.To), func(r string) bool { return r == mailArchive })
	return len(rcpt) == 1 && rcpt[0] == to
}

// pecMail is a mailbox that is also the PEC provider, as in the dev stack: receipts for
// what pecSender sends go to its IMAP inbox; unreachable addresses get the non-delivery
// notices after a few hundred milliseconds.
func pecMail(unreachable ...string) *devmail.Options {
	return &devmail.Options{
		PEC:       &devmail.PECProvider{Senders: []string{pecSender}, Unreachable: unreachable, WarnAfter: 200 * time.Millisecond, FailAfter: 400 * time.Millisecond},
		IMAPUsers: map[string]string{pecSender: "pec-password"},
	}
}

// startPECPoller reads the PEC receipts from the mailbox's IMAP side, as the worker does.
func (b *bundle) startPECPoller(t *testing.T) {
	t.Helper()
	host, port, err := net.SplitHostPort(b.imap)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	handler := &pecreceipts.Handler{Store: store.New(b.appPool), Temporal: b.temporal, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	poller := &pecinbox.Poller{
		Account:  pecinbox.Account{Host: host, Port: p, TLS: pecinbox.TLSNone, Username: pecSender, Password: "pec-password"},
		Sink:     handler,
		Cursor:   handler,
		Interval: 200 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = poller.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

type response struct {
	status      int
	contentType string
	location    string
	body        []byte
}

// do sends a request as UST, which sees every case.
func (b *bundle) do(t *testing.T, method, path, contentType, body string) response {
	t.Helper()
	return b.doAs(t, "ust", method, path, contentType, body)
}

func (b *bundle) doAs(t *testing.T, org, method, path, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(b.ctx, method, b.api.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if org != "" {
		req.Header.Set("Authorization", "Bearer "+b.token(t, org))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), location: res.Header.Get("Location"), body: data}
}

// post files a request as the comune of residence it names.
func (b *bundle) post(t *testing.T, body map[string]any) response {
	t.Helper()
	data, err := json.Marshal(body)
	require.NoError(t, err)
	comune, _ := body["comune"].(string)
	return b.doAs(t, "comune:"+comune, http.MethodPost, "/api/v1/enrolments", "application/json", string(data))
}

func validBody() map[string]any {
	return map[string]any{
		"requestId": uuid.NewString(),
		"comune":    "015146",
		"level":     "primaria",
		"minor": map[string]any{
			"givenName": "Olena", "familyName": "Kovalenko", "birthDate": "2017-04-12",
			// A code of its own for each body: one minor has one open case, and two
			// different provisional codes are two minors (see minor_test.go).
			"sex": "F", "citizenship": "UA", "codiceFiscale": provisionalCodiceFiscale(),
		},
		"languages":      []string{"uk", "ru"},
		"priorSchooling": map[string]any{"years": 3, "lastClassAbroad": "3"},
		"specialNeeds":   map[string]any{"present": true, "note": "segue logopedia"},
		"guardian":       map[string]any{"name": "Iryna Kovalenko", "phone": "+39 333 1234567", "preferredLanguage": "uk"},
		"residence":      map[string]any{"address": "Via Padova 100", "municipio": 2},
		"origin":         "ukrainian_refugee",
	}
}

func decodeCase(t *testing.T, r response) api.EnrolmentCase {
	t.Helper()
	var c api.EnrolmentCase
	require.NoError(t, json.Unmarshal(r.body, &c), string(r.body))
	return c
}

func decodeProblem(t *testing.T, r response) api.Problem {
	t.Helper()
	require.Equal(t, "application/problem+json", r.contentType, string(r.body))
	var p api.Problem
	require.NoError(t, json.Unmarshal(r.body, &p), string(r.body))
	require.Equal(t, r.status, p.Status)
	return p
}

func (b *bundle) countCases(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM enrolment_case").Scan(&n))
	return n
}

func TestEnrolmentEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	body := validBody()

	created := b.post(t, body)
	require.Equal(t, http.StatusCreated, created.status, string(created.body))
	c := decodeCase(t, created)
	require.Equal(t, enrolment.CaseID("015146", body["requestId"].(string)), c.Id)
	require.Equal(t, "/api/v1/enrolments/"+c.Id, created.location)
	// The answer comes once the case is recorded; routing follows at once.
	require.Contains(t, []string{workflows.StageRegistered, "awaiting_proposal"}, c.Stage)
	require.Equal(t, "Olena", c.Minor.GivenName)
	require.Equal(t, "2017-04-12", c.Minor.BirthDate)
	require.Equal(t, enrolment.WorkflowID(c.Id), c.WorkflowId)
	require.Equal(t, body["minor"].(map[string]any)["codiceFiscale"], *c.Minor.CodiceFiscale)
	require.Equal(t, []string{"uk", "ru"}, *c.Languages)
	require.Equal(t, 2, *c.Residence.Municipio)
	require.Equal(t, "segue logopedia", *c.SpecialNeeds.Note)
	require.Equal(t, "uk", *c.Guardian.PreferredLanguage)
	require.Equal(t, "ukrainian_refugee", *c.Origin)
	require.NotNil(t, c.SuggestedClass, "a nine-year-old gets a suggested class")
	require.Equal(t, "primaria", c.SuggestedClass.Level)

	// Right after the 201 the case is readable: the API answered only once it was stored.
	got := b.do(t, http.MethodGet, created.location, "", "")
	require.Equal(t, http.StatusOK, got.status)
	require.Equal(t, c.Minor, decodeCase(t, got).Minor)
	// Then it is routed: Milano, primaria, municipio 2 goes to Polo START 1.
	require.Eventually(t, func() bool {
		return decodeCase(t, b.do(t, http.MethodGet, created.location, "", "")).Stage == "awaiting_proposal"
	}, 20*time.Second, 100*time.Millisecond)

	// The same request again is the same case.
	repeated := b.post(t, body)
	require.Equal(t, http.StatusOK, repeated.status, string(repeated.body))
	require.Equal(t, c.Id, decodeCase(t, repeated).Id)
	require.Equal(t, 1, b.countCases(t))

	// The same request ID with other data is a conflict, and changes nothing.
	changed := validBody()
	changed["requestId"] = body["requestId"]
	changed["minor"].(map[string]any)["givenName"] = "Oksana"
	conflict := b.post(t, changed)
	require.Equal(t, http.StatusConflict, conflict.status)
	p := decodeProblem(t, conflict)
	require.Equal(t, "requestId", (*p.Errors)[0].Field)
	got = b.do(t, http.MethodGet, created.location, "", "")
	require.Equal(t, "Olena", decodeCase(t, got).Minor.GivenName)

	// Supervisors find the case by stage, hub, comune and origin, through Temporal's
	// visibility and the Web UI.
	b.requireListedByTemporal(t, c.WorkflowId, `Stage="awaiting_proposal" AND HubID="polo_start:polo-1" AND ComuneIstat="015146" AND Origin="ukrainian_refugee"`)

	// Close the case by cancelling it and record its history for the replay test (the
	// whole journey is recorded by TestJourneyThroughTheAPI).
	require.NoError(t, b.temporal.CancelWorkflow(b.ctx, c.WorkflowId, ""))
	err := b.temporal.GetWorkflow(b.ctx, c.WorkflowId, "").Get(b.ctx, nil)
	require.Error(t, err, "a cancelled case ends with a cancellation")
	if *updateHistories {
		writeHistory(t, b.temporal, c.WorkflowId, "enrolment_routed_then_cancelled.json")
	}

	// A closed case still answers a repeated request, from the store.
	afterClose := b.post(t, body)
	require.Equal(t, http.StatusOK, afterClose.status, string(afterClose.body))
	require.Equal(t, c.Id, decodeCase(t, afterClose).Id)
	require.Equal(t, http.StatusConflict, b.post(t, changed).status)
	require.Equal(t, 1, b.countCases(t))
}

func TestInvalidInputGetsProblemDetails(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})

	missing := b.post(t, map[string]any{"comune": "999999", "level": "liceo", "minor": map[string]any{"birthDate": "2017-02-30", "sex": "F", "citizenship": "UA"},
		"languages": []string{"uk"}, "guardian": map[string]any{"name": "Iryna Kovalenko", "email": "iryna@example.org"},
		"residence": map[string]any{"address": "Via Roma 1"}, "origin": "ukrainian_refugee"})
	require.Equal(t, http.StatusBadRequest, missing.status)
	p := decodeProblem(t, missing)
	fields := map[string]string{}
	for _, e := range *p.Errors {
		fields[e.Field] = e.Reason
	}
	require.ElementsMatch(t, []string{"requestId", "comune", "level", "minor.givenName", "minor.familyName", "minor.birthDate"}, keys(fields))

	cases := map[string]struct {
		contentType, body string
		status            int
		field             string
	}{
		"not json":           {"application/json", `{"requestId":`, http.StatusBadRequest, "body"},
		"empty body":         {"application/json", ``, http.StatusBadRequest, "body"},
		"wrong type":         {"application/json", `{"requestId":"` + uuid.NewString() + `","comune":15146}`, http.StatusBadRequest, "comune"},
		"not a json request": {"text/plain", `hello`, http.StatusUnsupportedMediaType, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := b.do(t, http.MethodPost, "/api/v1/enrolments", tc.contentType, tc.body)
			require.Equal(t, tc.status, r.status, string(r.body))
			p := decodeProblem(t, r)
			if tc.field != "" {
				require.NotNil(t, p.Errors)
				require.Equal(t, tc.field, (*p.Errors)[0].Field)
			}
		})
	}

	tooBig := b.do(t, http.MethodPost, "/api/v1/enrolments", "application/json", `{"notes":"`+strings.Repeat("x", 2<<20)+`"}`)
	require.Equal(t, http.StatusRequestEntityTooLarge, tooBig.status)
	decodeProblem(t, tooBig)

	unknown := b.do(t, http.MethodGet, "/api/v1/enrolments/"+uuid.NewString(), "", "")
	require.Equal(t, http.StatusNotFound, unknown.status)
	decodeProblem(t, unknown)

	badID := b.do(t, http.MethodGet, "/api/v1/enrolments/not-a-case", "", "")
	require.Equal(t, http.StatusBadRequest, badID.status)
	require.Equal(t, "id", (*decodeProblem(t, badID).Errors)[0].Field)

	require.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, "/api/v1/nothing-here", "", "").status)
	require.Equal(t, http.StatusMethodNotAllowed, b.do(t, http.MethodDelete, "/api/v1/enrolments", "", "").status)

	require.Zero(t, b.countCases(t), "nothing invalid was stored")
}

func TestCaseSurvivesAMissingWorker(t *testing.T) {
	t.Parallel()
	// No worker polls at first, as when every worker has crashed or a surge keeps them
	// busy: the case's workflow holds the request but cannot record it in time. The
	// filer is told the request was received (202, with the case's address), never
	// "riprovare" for a request that was in fact received.
	b := setup(t, setupOptions{noWorker: true, registerTimeout: 2 * time.Second})
	body := validBody()
	caseID := enrolment.CaseID("015146", body["requestId"].(string))
	first := b.post(t, body)
	require.Equal(t, http.StatusAccepted, first.status, string(first.body))
	require.Equal(t, "/api/v1/enrolments/"+caseID, first.location)
	var received api.FilingReceived
	require.NoError(t, json.Unmarshal(first.body, &received), string(first.body))
	require.Equal(t, api.FilingReceived{Id: caseID, Href: first.location, Status: api.InRegistrazione, Detail: received.Detail}, received)
	require.Contains(t, received.Detail, "ricevuta")
	require.Zero(t, b.countCases(t))

	// The same request repeated meanwhile is answered the same way: still one workflow.
	again := b.post(t, body)
	require.Equal(t, http.StatusAccepted, again.status, string(again.body))
	require.Equal(t, first.location, again.location)

	// A worker comes back: the case the workflow already holds is recorded, its address
	// answers, and the retried request finds it. Exactly one case exists.
	b.startWorker(t)
	require.Eventually(t, func() bool {
		return b.do(t, http.MethodGet, first.location, "", "").status == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, caseID, decodeCase(t, b.do(t, http.MethodGet, first.location, "", "")).Id)
	retried := b.post(t, body)
	require.Contains(t, []int{http.StatusOK, http.StatusCreated}, retried.status, string(retried.body))
	require.Equal(t, caseID, decodeCase(t, retried).Id)
	require.Equal(t, 1, b.countCases(t))
}

func TestReadiness(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{noWorker: true})
	ready := b.do(t, http.MethodGet, "/readyz", "", "")
	require.Equal(t, http.StatusOK, ready.status, string(ready.body))
	require.JSONEq(t, `{"status":"ready","checks":{"postgres":"ok","temporal":"ok"}}`, string(ready.body))
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/healthz", "", "").status)

	// With the database gone, the process is alive but not ready.
	b.appPool.Close()
	notReady := b.do(t, http.MethodGet, "/readyz", "", "")
	require.Equal(t, http.StatusServiceUnavailable, notReady.status)
	require.Equal(t, "application/problem+json", notReady.contentType)
	require.Contains(t, string(notReady.body), `"postgres":"non raggiungibile"`)
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/healthz", "", "").status)
}

// testLogWriter sends the API's warnings and errors to the test's own log, shown when a
// test fails.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// writeHistory saves a workflow's history as JSON for the replay test in workflows/.
func writeHistory(t *testing.T, c client.Client, workflowID, name string) {
	t.Helper()
	root, err := devtemporal.RepoRoot()
	require.NoError(t, err)
	path := filepath.Join(root, "workflows", "testdata", "histories", name)
	// A committed history is the record of a path that cases started by an earlier
	// release may still take: the replay test must keep replaying it. Never overwritten;
	// the new code's path is recorded under a new name.
	if _, err := os.Stat(path); err == nil {
		t.Logf("kept %s: a committed history is never overwritten (record a new path under a new name)", path)
		return
	}
	var history historypb.History
	iter := c.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	for iter.HasNext() {
		event, err := iter.Next()
		require.NoError(t, err)
		history.Events = append(history.Events, event)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&history)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, append(bytes.TrimSpace(data), '\n'), 0o644))
	t.Logf("wrote %s", path)
}

// testPolicy is the case policy of the end-to-end tests: the defaults of the configuration.
var testPolicy = func() casework.Policy {
	p, err := config.Config{
		ProposalDays: 5, DecisionDays: 5, ReminderDays: 1, MaxProposals: 3,
		FollowUpDays: []int{30, 90}, AttendanceDays: 5, LocalHolidays: "12-07",
	}.CasePolicy()
	if err != nil {
		panic(err)
	}
	return p
}()
