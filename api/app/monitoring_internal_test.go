package app

import (
	"testing"

	"github.com/stretchr/testify/require"

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
