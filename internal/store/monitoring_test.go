package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

// monitoring is a database with a small territory (ambito 21: Milano and Rozzano; ambito
// 22: Sesto) whose cases are written by the owner, and a store acting as the application
// role, as the API does.
type monitoring struct {
	ctx   context.Context
	owner *pgxpool.Pool
	app   *store.Store
	// appPool is app's pool, for a test to send the application role SQL of its own.
	appPool *pgxpool.Pool
}

func setupMonitoring(t *testing.T) monitoring {
	t.Helper()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	owner, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	appPool, err := store.OpenApp(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(appPool.Close)
	_, err = owner.Exec(ctx, `
		INSERT INTO ambito (code, name, cti_name, cti_host_school) VALUES ('21', 'Milano', 'CTI 21', 'MIIC000001'), ('22', 'Nord', 'CTI 22', 'MIIC000002');
		INSERT INTO comune (istat, name, ambito) VALUES ('015146', 'Milano', '21'), ('015189', 'Rozzano', '21'), ('015209', 'Sesto San Giovanni', '22')`)
	require.NoError(t, err)
	return monitoring{ctx: ctx, owner: owner, app: store.New(appPool), appPool: appPool}
}

// kase is a case as the monitoring reads it.
type kase struct {
	comune, level, origin, stage, hub string
	created                           time.Time
	enrolledAfter                     time.Duration // zero: not enrolled
	direct, escalated, overdue, risk  bool
}

func (m monitoring) put(t *testing.T, cases ...kase) {
	t.Helper()
	for _, c := range cases {
		id := uuid.NewString()
		var enrolled *time.Time
		var placement any
		if c.enrolledAfter > 0 || c.direct {
			at := c.created.Add(c.enrolledAfter)
			enrolled, placement = &at, map[string]any{"School": "MIIC90001A", "Direct": c.direct}
		}
		var taskKind, taskOwner *string
		var due *time.Time
		if c.overdue {
			k, o, d := "propose_school", c.hub, t0.Add(-time.Hour)
			taskKind, taskOwner, due = &k, &o, &d
		}
		_, err := m.owner.Exec(m.ctx, `
			INSERT INTO enrolment_case (id, request_id, filed_by, request_hash, workflow_id, comune, level,
			    minor_given_name, minor_family_name, minor_birth_date, stage, created_at, origin, hub,
			    placement, enrolled_at, escalated, dropout_risk, task_kind, task_owner, task_due_at)
			VALUES ($1, $1, $2, 'h', $15, $2, $3, 'A', 'B', '2015-01-01', $4, $5, NULLIF($6, ''), NULLIF($7, ''),
			    $8, $9, $10, $11, $12, $13, $14)`,
			id, c.comune, c.level, c.stage, c.created, c.origin, c.hub, placement, enrolled, c.escalated, c.risk, taskKind, taskOwner, due, "enrolment-"+id)
		require.NoError(t, err)
	}
}

var (
	nov = time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC)
	dec = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
)

// territory files eleven cases: seven in Milano (five at Polo START, one unrouted, one at
// CTI 21), one in Rozzano (CTI 21), and three in Sesto (CTI 22), one of them in December.
func (m monitoring) territory(t *testing.T) {
	m.put(t,
		kase{comune: "015146", level: "primaria", origin: "ukrainian_refugee", stage: "enrolled", hub: "polo_start:1", created: nov, enrolledAfter: 24 * time.Hour},
		kase{comune: "015146", level: "primaria", origin: "ukrainian_refugee", stage: "enrolled", hub: "polo_start:1", created: nov, enrolledAfter: 48 * time.Hour},
		kase{comune: "015146", level: "primaria", origin: "family_reunification", stage: "completed", hub: "polo_start:2", created: nov, enrolledAfter: 72 * time.Hour},
		kase{comune: "015146", level: "secondaria_primo_grado", stage: "awaiting_proposal", hub: "polo_start:2", created: nov, overdue: true, escalated: true},
		kase{comune: "015146", level: "secondaria_primo_grado", stage: "awaiting_decision", hub: "polo_start:1", created: nov},
		kase{comune: "015146", level: "secondaria_secondo_grado", stage: "unrouted", created: nov},
		kase{comune: "015146", level: "secondaria_secondo_grado", stage: "withdrawn", hub: "cti:21", created: nov},
		kase{comune: "015189", level: "primaria", stage: "enrolled", hub: "cti:21", created: nov, direct: true, risk: true},
		kase{comune: "015209", level: "primaria", stage: "enrolled", hub: "cti:22", created: nov, enrolledAfter: 10 * 24 * time.Hour},
		kase{comune: "015209", level: "cpia", stage: "registered", hub: "cti:22", created: nov},
		kase{comune: "015209", level: "primaria", stage: "awaiting_proposal", hub: "cti:22", created: dec},
	)
}

func figuresByKey(t *testing.T, m monitoring, org string, by store.Dimension, p store.Period) map[string]store.Figures {
	t.Helper()
	rows, err := m.app.MonitoringFigures(store.WithOrg(m.ctx, org), by, p, t0)
	require.NoError(t, err)
	out := map[string]store.Figures{}
	for _, r := range rows {
		_, dup := out[r.Key]
		require.False(t, dup, "key %q twice", r.Key)
		out[r.Key] = r
	}
	return out
}

func TestPoloStartCasesRollUpIntoMilanosAmbito(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	m.territory(t)

	got := figuresByKey(t, m, "ust", store.ByAmbito, store.Period{})
	require.Len(t, got, 2)
	// Five Polo START cases, the unrouted Milano case (by its comune) and the two CTI 21
	// cases.
	require.Equal(t, store.Figures{
		Key: "21", Filed: 8, Unrouted: 1, AwaitingProposal: 1, AwaitingDecision: 1, Enrolled: 4, Withdrawn: 1,
		Overdue: 1, Escalated: 1, Direct: 1, DropoutRisk: 1,
	}, got["21"])
	require.Equal(t, store.Figures{Key: "22", Filed: 3, Registered: 1, AwaitingProposal: 1, Enrolled: 1}, got["22"])

	// The period bounds the filing: December has only the last Sesto case.
	got = figuresByKey(t, m, "ust", store.ByAmbito, store.Period{From: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	require.Equal(t, map[string]store.Figures{"22": {Key: "22", Filed: 1, AwaitingProposal: 1}}, got)
}

func TestFiguresByEveryDimension(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	m.territory(t)

	filed := func(by store.Dimension) map[string]int {
		out := map[string]int{}
		for k, f := range figuresByKey(t, m, "ust", by, store.Period{}) {
			out[k] = f.Filed
		}
		return out
	}
	require.Equal(t, map[string]int{"": 1, "cti:21": 2, "cti:22": 3, "polo_start:1": 3, "polo_start:2": 2}, filed(store.ByHub))
	require.Equal(t, map[string]int{"015146": 7, "015189": 1, "015209": 3}, filed(store.ByComune))
	require.Equal(t, map[string]int{"primaria": 6, "secondaria_primo_grado": 2, "secondaria_secondo_grado": 2, "cpia": 1}, filed(store.ByLevel))
	require.Equal(t, map[string]int{"": 8, "ukrainian_refugee": 2, "family_reunification": 1}, filed(store.ByOrigin))
	require.Equal(t, map[string]int{"2026-11": 10, "2026-12": 1}, filed(store.ByMonth))
	// Weeks start on Monday: 10 November 2026 is a Tuesday, 3 December a Thursday.
	require.Equal(t, map[string]int{"2026-11-09": 10, "2026-11-30": 1}, filed(store.ByWeek))
}

func TestAComuneCountsOnlyItsOwnCases(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	m.territory(t)

	got := figuresByKey(t, m, "comune:015209", store.ByAmbito, store.Period{})
	require.Equal(t, map[string]store.Figures{"22": {Key: "22", Filed: 3, Registered: 1, AwaitingProposal: 1, Enrolled: 1}}, got)
	got = figuresByKey(t, m, "polo_start:1", store.ByHub, store.Period{})
	require.Equal(t, []string{"polo_start:1"}, keys(got))
	require.Equal(t, 3, got["polo_start:1"].Filed)
	require.Empty(t, figuresByKey(t, m, "", store.ByHub, store.Period{}), "no organisation, no cases")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPlacementTimePercentiles(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	m.territory(t)

	times, err := m.app.PlacementTimes(store.WithOrg(m.ctx, "ust"), store.ByHub, store.Period{})
	require.NoError(t, err)
	day := 24 * time.Hour
	// The direct enrolment has no wait and is left out; percentile_cont interpolates:
	// polo_start:1 waited 1 and 2 days, so the median is 1.5 days and the p90 1.9.
	require.Equal(t, []store.PlacementTime{
		{Key: "cti:22", Cases: 1, Median: 10 * day, P90: 10 * day},
		{Key: "polo_start:1", Cases: 2, Median: 36 * time.Hour, P90: 45*time.Hour + 36*time.Minute},
		{Key: "polo_start:2", Cases: 1, Median: 3 * day, P90: 3 * day},
	}, times)

	times, err = m.app.PlacementTimes(store.WithOrg(m.ctx, "ust"), store.ByMonth, store.Period{})
	require.NoError(t, err)
	// 1, 2, 3 and 10 days: median 2.5 days, p90 at 2.7 of the 3 gaps: 3 + 0.7×7 = 7.9 days.
	require.Equal(t, []store.PlacementTime{{Key: "2026-11", Cases: 4, Median: 60 * time.Hour, P90: 7*day + 21*time.Hour + 36*time.Minute}}, times)

	_, err = m.app.PlacementTimes(store.WithOrg(m.ctx, "ust"), store.ByLevel, store.Period{})
	require.Error(t, err)
}

// TestScopeMatchesPolicy proves that the reader scopes the queries add for the planner
// hide nothing the policy shows: every reader's figures, and its counts by hub and stage,
// equal the owner's count of the cases the old per-row function lets it see.
func TestScopeMatchesPolicy(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	m.territory(t)
	_, err := m.owner.Exec(m.ctx, `UPDATE enrolment_case SET filed_by = 'school:MIIC90001A', school = 'MIIC90001A' WHERE comune = '015189'`)
	require.NoError(t, err)
	// A case Milano filed for a minor now living in Sesto (a comune sees it by filed_by
	// alone), and a Milano case proposed to the school (which sees it by the proposal alone).
	_, err = m.owner.Exec(m.ctx, `UPDATE enrolment_case SET filed_by = '015146' WHERE comune = '015209' AND stage = 'registered'`)
	require.NoError(t, err)
	_, err = m.owner.Exec(m.ctx, `
		INSERT INTO case_event (case_id, seq, at, kind, actor, hub, school)
		SELECT id, 1, now(), 'proposed', hub, hub, 'MIIC90001A' FROM enrolment_case WHERE stage = 'awaiting_decision'`)
	require.NoError(t, err)
	for _, org := range []string{"ust", "comune:015146", "comune:015209", "cti:21", "cti:22", "polo_start:1", "school:MIIC90001A", "one_stop_shop:milano", "orientation", "comune:", "prefettura"} {
		var want int
		err := m.owner.QueryRow(m.ctx, `
			SELECT count(*) FROM (SELECT set_config('approdo.org', $1, false)) s, enrolment_case c
			WHERE approdo_sees_case(c.id, c.filed_by, c.comune, c.hub, c.school)`, org).Scan(&want)
		require.NoError(t, err)
		got := 0
		for _, f := range figuresByKey(t, m, org, store.ByHub, store.Period{}) {
			got += f.Filed
		}
		require.Equal(t, want, got, org)
		// The counts by hub and stage take the same scope.
		counts, err := m.app.CountCases(store.WithOrg(m.ctx, org), t0)
		require.NoError(t, err)
		got = 0
		for _, c := range counts {
			got += c.Cases
		}
		require.Equal(t, want, got, "counts by hub and stage for %s", org)
		// The lists read the scope as arms (list.go), here two cases a page so that the
		// cursor goes through every arm.
		seen := map[string]bool{}
		for cursor := ""; ; {
			page, next, err := m.app.ListCases(store.WithOrg(m.ctx, org), store.CaseFilter{Now: t0, Limit: 2, After: cursor})
			require.NoError(t, err)
			for _, c := range page {
				require.False(t, seen[c.ID], "case %s twice in the list of %s", c.ID, org)
				seen[c.ID] = true
			}
			if next == "" {
				break
			}
			cursor = next
		}
		require.Len(t, seen, want, "list of %s", org)
	}
}
