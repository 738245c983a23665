package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// Every aggregate figure is suppressed for every reader, UST included: the threshold
// depends on the configuration only, and a row of small counts shows "<4" however it is
// read. UST sees exact data only in its case lists.
func TestFiguresAreSuppressedForEveryReader(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	require.Equal(t, DefaultMinCell, s.threshold(), "MONITORING_MIN_CELL's default")
	r := figureRow(store.Figures{Key: "21", Filed: 5, AwaitingProposal: 3, Enrolled: 1, Overdue: 0}, s.threshold())
	require.Equal(t, "5", r.Filed.String())
	require.Equal(t, "<4", r.AwaitingProposal.String())
	require.Equal(t, "<4", r.Enrolled.String())
	require.Equal(t, "0", r.Overdue.String())
	require.Equal(t, 1, New(Options{MinCell: 1}).threshold(), "1 shows every count")
	require.Equal(t, "3", figureRow(store.Figures{Filed: 3}, 1).Filed.String())
}

func TestExportNameNamesTheTableTheFilterAndTheDate(t *testing.T) {
	t.Parallel()
	q := MonitoringQuery{By: store.ByComune, From: time.Date(2025, 9, 1, 0, 0, 0, 0, rome), To: time.Date(2026, 2, 1, 0, 0, 0, 0, rome)}
	made := time.Date(2026, 2, 2, 8, 30, 0, 0, time.UTC)
	require.Equal(t, "approdo-cases-by-comune-from-20250901-to-20260131-20260202-0930.xlsx", exportName(ExportCases, q, made, ExportXLSX), "to is the last day asked")
	require.Equal(t, "approdo-placement-time-by-comune-20260202-0930.csv", exportName(ExportPlacementTime, MonitoringQuery{By: store.ByComune}, made, ExportCSV))
	_, err := New(Options{}).MonitoringExport(t.Context(), casework.UST, ExportCases, q, "pdf")
	require.Equal(t, "format", err.(*InvalidError).Fields[0].Field)
	_, err = New(Options{}).MonitoringExport(t.Context(), casework.UST, "chart", q, ExportCSV)
	require.Equal(t, "table", err.(*InvalidError).Fields[0].Field)
}
