package casework_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
)

func TestOrgRoundTrips(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"cti:21", "polo_start:polo-1", "school:MIIC8AB00X", "comune:015146", "ust", "orientation", "one_stop_shop:milano", "prefettura:MI"} {
		org, err := casework.ParseOrg(s)
		require.NoError(t, err, s)
		require.Equal(t, s, org.String())
	}
	require.Equal(t, "orientation", casework.Orientation.String())
	require.Equal(t, "family", casework.Family.String())
	org, _ := casework.ParseOrg("cti:21")
	require.True(t, org.IsHub())
	require.False(t, casework.UST.IsHub())
}

func TestParseOrgRejects(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "cti", "cti:", "questura:1", "school:MI IC", "ust:1", "school:a:b", "family", "orientation:x"} {
		_, err := casework.ParseOrg(s)
		require.Error(t, err, s)
	}
}

func TestTaskOverdue(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	task := casework.Task{DueAt: due}
	require.False(t, task.Overdue(due.Add(-time.Second)))
	require.True(t, task.Overdue(due))
	require.False(t, casework.Task{}.Overdue(due), "a task without a deadline is never overdue")
}
