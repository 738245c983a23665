package store_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/store"
)

// TestFiguresEqualTheHandWrittenSQL proves that the store's figures, read as the
// application role under row-level security in a transaction of their own settings
// (figuresWorkMem), are the figures of the benchmark's hand-written SQL, run by the owner
// with the reader's condition written in: for UST and two comuni, every dimension, with
// and without a period, before and after retention pseudonymises the closed cases.
func TestFiguresEqualTheHandWrittenSQL(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	m.territory(t)
	figures, err := os.ReadFile("queries/select_figures.sql")
	require.NoError(t, err)
	readers := []struct{ org, where string }{
		{"ust", ""},
		{"comune:015146", "AND (c.filed_by = '015146' OR c.comune = '015146')"},
		{"comune:015209", "AND (c.filed_by = '015209' OR c.comune = '015209')"},
	}
	periods := []store.Period{{}, {From: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, {To: dec}}
	compare := func(when string) {
		compared := 0
		for _, r := range readers {
			hand := strings.Replace(string(figures), "/*scope*/", r.where, 1)
			for _, by := range store.Dimensions {
				for _, p := range periods {
					rows, err := m.owner.Query(m.ctx, hand, pgx.NamedArgs{"by": string(by), "from": nullable(p.From), "to": nullable(p.To), "now": t0})
					require.NoError(t, err)
					want, err := pgx.CollectRows(rows, pgx.RowToStructByPos[store.Figures])
					require.NoError(t, err)
					got, err := m.app.MonitoringFigures(store.WithOrg(m.ctx, r.org), by, p, t0)
					require.NoError(t, err)
					require.Equal(t, want, got, "%s: %s by %s over %+v", when, r.org, by, p)
					compared += len(got)
				}
			}
		}
		require.Greater(t, compared, 50, "the fixtures give groups to compare")
	}
	compare("before retention")

	worker := store.AsSystem(m.ctx)
	pseudonymised := 0
	for {
		done, err := m.app.PseudonymiseClosed(worker, time.Now().Add(time.Hour), 100)
		require.NoError(t, err)
		if done.Total() == 0 {
			break
		}
		pseudonymised += done.Cases
	}
	require.Positive(t, pseudonymised, "the territory has closed cases")
	compare("after retention")
}

func nullable(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// TestFiguresKeepToTheReadersCasesWhateverTheQueryAsks proves that row-level security,
// not the reader's condition the store writes into the figures' query (scope.go), keeps a
// comune to its own cases: the figures' SQL sent as the application role for the Comune
// di Milano with that condition left out, naming another comune, or widened to every case
// counts Milano's cases and no other's. The policy's arm for UST and the worker (migration
// 00029), which holds for every row for them, holds for no row of anyone else's.
func TestFiguresKeepToTheReadersCasesWhateverTheQueryAsks(t *testing.T) {
	t.Parallel()
	m := setupMonitoring(t)
	m.territory(t)
	figures, err := os.ReadFile("queries/select_figures.sql")
	require.NoError(t, err)
	args := pgx.NamedArgs{"by": string(store.ByComune), "from": nil, "to": nil, "now": t0}
	read := func(pool *pgxpool.Pool, org, scope string) []store.Figures {
		t.Helper()
		var out []store.Figures
		err := pgx.BeginFunc(m.ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(m.ctx, "SELECT set_config('approdo.org', $1, true)", org); err != nil {
				return err
			}
			rows, err := tx.Query(m.ctx, strings.Replace(string(figures), "/*scope*/", scope, 1), args)
			if err != nil {
				return err
			}
			out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[store.Figures])
			return err
		})
		require.NoError(t, err)
		return out
	}

	milano := read(m.owner, "", "AND (c.filed_by = '015146' OR c.comune = '015146')")
	require.Len(t, milano, 1)
	require.Equal(t, "015146", milano[0].Key)
	require.Equal(t, 7, milano[0].Filed, "the territory has seven Milano cases")
	require.Len(t, read(m.appPool, "ust", ""), 3, "UST, with no condition, counts every comune")

	for _, forged := range []struct{ name, scope string }{
		{"no condition", ""},
		{"another comune's", "AND (c.filed_by = '015209' OR c.comune = '015209')"},
		{"every case", "OR true"},
		{"every comune by name", "AND c.comune IN ('015146', '015189', '015209')"},
	} {
		got := read(m.appPool, "comune:015146", forged.scope)
		if forged.name == "another comune's" {
			require.Empty(t, got, forged.name)
			continue
		}
		require.Equal(t, milano, got, forged.name)
	}
	// Nor does a caller that names no organisation, or one of no known kind, see a case.
	require.Empty(t, read(m.appPool, "", ""))
	require.Empty(t, read(m.appPool, "prefettura", "OR true"))
}
