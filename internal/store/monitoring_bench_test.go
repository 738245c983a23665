package store_test

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

//go:embed testdata/million_cases.sql
var millionCasesSQL string

// minSamples is the fewest timings a query's percentiles are taken from; the quick
// queries get as many as the benchmark time allows.
const minSamples = 10

// BenchmarkMonitoringAtAMillionCases loads 1,000,000 cases once and times every dashboard,
// list and inbox query two ways on the same data: through the store as the application
// role (row-level security on, "store") and as hand-written SQL run by the owner, for
// whom no policy applies ("sql"). It reports the p50 and p99 of both, in milliseconds,
// and their ratio.
//
// The hand-written lists and inbox select the store's columns in the store's order and
// decode every row with the store's own scanning (store.ScanSummaryForBench,
// store.ScanTaskItemForBench) into the same structs: what the comparison measures is the
// database's side (the policy evaluated per row, the plan), not the decoding, which is the
// same Go code on both sides. The dashboards are aggregates of a few rows: their
// hand-written timing reads them without decoding.
func BenchmarkMonitoringAtAMillionCases(b *testing.B) {
	ctx := context.Background()
	url, reused := benchDatabase(b)
	owner, err := pgxpool.New(ctx, url)
	require.NoError(b, err)
	b.Cleanup(owner.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(b, err)
	appPool, err := store.OpenApp(ctx, appURL)
	require.NoError(b, err)
	b.Cleanup(appPool.Close)
	app := store.New(appPool)
	now := loadMillionCases(ctx, b, owner, reused)

	figures, err := os.ReadFile("queries/select_figures.sql")
	require.NoError(b, err)
	// The hand-written figures: the same aggregate with the reader's condition written in.
	handFigures := func(where string) string {
		return strings.Replace(string(figures), "/*scope*/", where, 1)
	}
	const listColumns = `SELECT id::text, stage, comune, level, coalesce(hub, ''), coalesce(school, ''), coalesce(origin, ''),
		proposal_count, escalated, coalesce(escalation_reason, ''), dropout_risk,
		coalesce(task_kind, ''), coalesce(task_owner, ''), task_since, task_due_at, task_reminder_at,
		task_reminded, task_escalated, created_at, updated_at FROM enrolment_case c `
	// c.id, the column: a bare "id" would name the output's id::text, which the list index
	// does not order.
	const order = ` ORDER BY c.created_at DESC, c.id DESC LIMIT 51`

	type query struct {
		name  string
		store func(context.Context) error
		sql   string
		args  []any
		// decode reads the hand-written SQL's rows as the store reads its own; nil, the
		// rows are read and dropped.
		decode func(pgx.Rows) error
		// agree, if set, checks after the first timing that both gave the same rows: the
		// hand-written SQL is the store's query, not a cheaper one.
		agree func(*testing.B)
	}
	var queries []query
	readers := []struct{ name, org, where string }{
		{"ust", "ust", ""},
		{"milano", "comune:015146", "AND (c.filed_by = '015146' OR c.comune = '015146')"},
	}
	period := store.Period{From: now.AddDate(-1, 0, 0)}
	for _, r := range readers {
		for _, by := range store.Dimensions {
			queries = append(queries, query{
				name: fmt.Sprintf("dashboard/%s/%s", by, r.name),
				store: func(ctx context.Context) error {
					_, err := app.MonitoringFigures(store.WithOrg(ctx, r.org), by, period, now)
					return err
				},
				sql:  handFigures(r.where),
				args: []any{pgx.NamedArgs{"by": string(by), "from": period.From, "to": nil, "now": now}},
			})
		}
	}
	lists := []struct{ name, org, where string }{
		{"ust", "ust", ""},
		{"milano", "comune:015146", "WHERE (filed_by = '015146' OR comune = '015146')"},
		{"polo_start_1", "polo_start:1", "WHERE hub = 'polo_start:1'"},
		// A school's three ways united, each from its index, as the store's scope does: an
		// OR of them would walk every case newest first.
		{"school", "school:MIIC000042", "WHERE c.id IN (SELECT id FROM enrolment_case WHERE school = 'MIIC000042' " +
			"UNION ALL SELECT id FROM enrolment_case WHERE filed_by = 'school:MIIC000042' " +
			"UNION ALL SELECT case_id FROM case_event WHERE kind = 'proposed' AND school = 'MIIC000042')"},
	}
	for _, l := range lists {
		var viaStore, viaSQL []store.CaseSummary
		queries = append(queries, query{
			name: "list/" + l.name,
			store: func(ctx context.Context) (err error) {
				viaStore, _, err = app.ListCases(store.WithOrg(ctx, l.org), store.CaseFilter{Now: now})
				return err
			},
			sql: listColumns + l.where + order,
			decode: func(rows pgx.Rows) (err error) {
				viaSQL, err = pgx.CollectRows(rows, store.ScanSummaryForBench)
				return err
			},
			agree: func(b *testing.B) {
				// The store cuts its page+1 rows to the page; the order is total.
				require.NotEmpty(b, viaStore)
				require.Equal(b, viaStore, viaSQL[:min(len(viaSQL), len(viaStore))])
			},
		})
	}
	// Polo START 1's inbox is empty in the million cases (none of its cases awaits a
	// proposal), so it times the query's reach only; CTI 21's holds 33,333 open tasks, of
	// which the inbox reads and decodes 100.
	inboxes := []struct {
		name  string
		owner casework.Org
		empty bool
	}{
		{"polo_start_1", casework.Org{Kind: casework.OrgPoloStart, Code: "1"}, true},
		{"cti_21", casework.Org{Kind: casework.OrgCTI, Code: "21"}, false},
	}
	for _, in := range inboxes {
		var viaStore, viaSQL []store.TaskItem
		queries = append(queries, query{
			name: "inbox/" + in.name,
			store: func(ctx context.Context) (err error) {
				viaStore, err = app.ListTasks(store.WithOrg(ctx, in.owner.String()), in.owner, now, 100)
				return err
			},
			sql: `SELECT id::text, stage, comune, level, task_kind, task_owner, task_since, task_due_at, task_reminder_at,
			task_reminded, task_escalated FROM enrolment_case
			WHERE task_kind IS NOT NULL AND task_owner = '` + in.owner.String() + `' ORDER BY task_due_at, created_at LIMIT 100`,
			decode: func(rows pgx.Rows) (err error) {
				viaSQL, err = pgx.CollectRows(rows, store.ScanTaskItemForBench)
				return err
			},
			agree: func(b *testing.B) {
				// Tasks due at the same time may come in either order: the same number of
				// tasks, decoded into the same type.
				require.Equal(b, in.empty, len(viaStore) == 0)
				require.Len(b, viaSQL, len(viaStore))
			},
		})
	}

	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			hand := func() error {
				rows, err := owner.Query(ctx, q.sql, q.args...)
				if err != nil {
					return err
				}
				if q.decode != nil {
					return q.decode(rows)
				}
				for rows.Next() {
				}
				return rows.Err()
			}
			var viaStore, viaSQL []time.Duration
			sample := func() {
				t := time.Now()
				require.NoError(b, q.store(ctx))
				viaStore = append(viaStore, time.Since(t))
				t = time.Now()
				require.NoError(b, hand())
				viaSQL = append(viaSQL, time.Since(t))
			}
			sample() // warm both plans and caches
			if q.agree != nil {
				q.agree(b)
			}
			viaStore, viaSQL = nil, nil
			for b.Loop() {
				sample()
			}
			for len(viaStore) < minSamples {
				sample()
			}
			sp50, sp99 := percentiles(viaStore)
			hp50, hp99 := percentiles(viaSQL)
			b.ReportMetric(ms(sp50), "store-p50-ms")
			b.ReportMetric(ms(sp99), "store-p99-ms")
			b.ReportMetric(ms(hp50), "sql-p50-ms")
			b.ReportMetric(ms(hp99), "sql-p99-ms")
			b.ReportMetric(ms(sp99)/ms(hp99), "p99-ratio")
		})
	}
}

// EnvBenchDatabase names a database the benchmark keeps its million cases in between
// runs: loading them takes minutes, timing the queries seconds. Unset, each run loads them
// into a fresh test database that goes at the end.
const EnvBenchDatabase = "APPRODO_BENCH_DATABASE_URL"

// benchDatabase is the database to time in, migrated, and whether it is one kept between
// runs (EnvBenchDatabase).
func benchDatabase(b *testing.B) (url string, kept bool) {
	url = os.Getenv(EnvBenchDatabase)
	if url == "" {
		return pgtest.NewDatabase(b), false
	}
	require.NoError(b, store.Migrate(context.Background(), url))
	return url, true
}

// loadMillionCases loads the million cases filed before now and returns now; in a kept
// database that holds them already, it returns the now they were loaded at (kept in the
// table bench_loaded, which only such a database has).
func loadMillionCases(ctx context.Context, b *testing.B, owner *pgxpool.Pool, kept bool) time.Time {
	if kept {
		_, err := owner.Exec(ctx, "CREATE TABLE IF NOT EXISTS bench_loaded (now timestamptz NOT NULL)")
		require.NoError(b, err)
		var now time.Time
		err = owner.QueryRow(ctx, "SELECT now FROM bench_loaded").Scan(&now)
		if err == nil {
			b.Logf("reusing the million cases loaded at %s", now.Format(time.RFC3339))
			return now.UTC()
		}
		require.ErrorIs(b, err, pgx.ErrNoRows)
		var cases int
		require.NoError(b, owner.QueryRow(ctx, "SELECT count(*) FROM enrolment_case").Scan(&cases))
		require.Zero(b, cases, "%s names a database with cases of its own", EnvBenchDatabase)
	}
	now := time.Now().UTC().Truncate(time.Second)
	start := time.Now()
	for stmt := range strings.SplitSeq(millionCasesSQL, ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		_, err := owner.Exec(ctx, stmt, pgx.NamedArgs{"now": now})
		require.NoError(b, err)
	}
	_, err := owner.Exec(ctx, "VACUUM ANALYZE")
	require.NoError(b, err)
	b.Logf("loaded 1,000,000 cases in %s", time.Since(start).Round(time.Second))
	if kept {
		_, err = owner.Exec(ctx, "INSERT INTO bench_loaded (now) VALUES ($1)", now)
		require.NoError(b, err)
	}
	return now
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
