package calendar_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/calendar"
)

func rome(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, calendar.Rome)
}

func TestDeadlineSkipsWeekends(t *testing.T) {
	t.Parallel()
	c := calendar.New()
	// Filed on Friday 20 November 2026 in the afternoon, two working days: due at the end
	// of Tuesday 24.
	require.Equal(t, rome(2026, time.November, 25, 0), c.Deadline(rome(2026, time.November, 20, 16), 2))
}

func TestDeadlineSkipsEasterMonday(t *testing.T) {
	t.Parallel()
	c := calendar.New()
	// Easter 2027 is 28 March: Monday 29 is Pasquetta.
	require.False(t, c.IsWorkingDay(rome(2027, time.March, 29, 10)))
	require.Equal(t, rome(2027, time.March, 31, 0), c.Deadline(rome(2027, time.March, 26, 9), 1))
}

func TestSantAmbrogioIsAHolidayOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	// Monday 7 December 2026 is Sant'Ambrogio, Tuesday 8 the Immacolata (national).
	friday := rome(2026, time.December, 4, 12)
	require.Equal(t, rome(2026, time.December, 8, 0), calendar.New().Deadline(friday, 1))
	milan := calendar.New(calendar.SantAmbrogio)
	require.False(t, milan.IsWorkingDay(rome(2026, time.December, 7, 12)))
	require.Equal(t, rome(2026, time.December, 10, 0), milan.Deadline(friday, 1))
}

func TestHolidayOnASundayIsNotMovedToMonday(t *testing.T) {
	t.Parallel()
	c := calendar.New()
	// 25 April 2027 is a Sunday; Italy does not observe it on the Monday.
	require.True(t, c.IsWorkingDay(rome(2027, time.April, 26, 9)))
	require.False(t, c.IsWorkingDay(rome(2026, time.June, 2, 9)), "Festa della Repubblica")
	require.False(t, c.IsWorkingDay(rome(2026, time.December, 26, 9)), "Santo Stefano")
}

func TestDeadlineIsCountedInRome(t *testing.T) {
	t.Parallel()
	c := calendar.New()
	// 23:30 UTC on Sunday is already Monday in Rome: Monday is day zero, Tuesday day one.
	sundayLateUTC := time.Date(2026, time.November, 22, 23, 30, 0, 0, time.UTC)
	require.Equal(t, rome(2026, time.November, 25, 0), c.Deadline(sundayLateUTC, 1))
}

func TestReminderBeforeDeadline(t *testing.T) {
	t.Parallel()
	c := calendar.New(calendar.SantAmbrogio)
	deadline := rome(2026, time.December, 10, 0) // end of Wednesday 9
	require.Equal(t, rome(2026, time.December, 9, 0), c.WorkingDaysBefore(deadline, 1))
	// Two back from Wednesday 9 crosses Tuesday 8 and Monday 7 (holidays) to Friday 4.
	require.Equal(t, rome(2026, time.December, 4, 0), c.WorkingDaysBefore(deadline, 2))
}

func TestParseMonthDays(t *testing.T) {
	t.Parallel()
	got, err := calendar.ParseMonthDays(" 12-07, 10-04 ,")
	require.NoError(t, err)
	require.Equal(t, []calendar.MonthDay{calendar.SantAmbrogio, {Month: time.October, Day: 4}}, got)
	for _, bad := range []string{"7 dicembre", "13-01", "02-30", "12"} {
		_, err := calendar.ParseMonthDays(bad)
		require.Error(t, err, bad)
	}
	leap, err := calendar.ParseMonthDays("02-29")
	require.NoError(t, err)
	require.Len(t, leap, 1)
}
