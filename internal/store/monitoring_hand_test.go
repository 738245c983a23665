package store_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
