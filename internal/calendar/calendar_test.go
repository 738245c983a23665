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

func TestSanFrancescoIsANationalHolidayFrom2026(t *testing.T) {
	t.Parallel()
	c := calendar.New()
	// Legge 151/2025: 4 October is a national holiday from 2026. In 2026 it is a Sunday;
	// Monday 4 October 2027 is the first one on a working day.
	require.False(t, c.IsWorkingDay(rome(2027, time.October, 4, 10)))
	// Filed on Friday 1 October 2027, one working day: Monday 4 is a holiday, so the end
	// of Tuesday 5.
	require.Equal(t, rome(2027, time.October, 6, 0), c.Deadline(rome(2027, time.October, 1, 12), 1))
	// Before the law, Friday 4 October 2024 was a working day.
	require.True(t, c.IsWorkingDay(rome(2024, time.October, 4, 10)))
}

func TestClosuresAreNotWorkingDays(t *testing.T) {
	t.Parallel()
	// Lombardia's Christmas break of 2026/27: 23 December 2026 to 5 January 2027.
	christmas := calendar.Closure{First: rome(2026, time.December, 23, 0), Last: rome(2027, time.January, 5, 0)}
	office := calendar.New()
	school := office.WithClosures(christmas)
	monday := rome(2026, time.December, 21, 11)
	// An office works on 23, 24, 28…: two working days from Monday 21 end on Wednesday 23.
	require.Equal(t, rome(2026, time.December, 24, 0), office.Deadline(monday, 2))
	// A school has Tuesday 22, then nothing until Thursday 7 January (6 is Epiphany).
	require.Equal(t, rome(2027, time.January, 8, 0), school.Deadline(monday, 2))
	require.False(t, school.IsWorkingDay(rome(2027, time.January, 5, 23)), "last day of the closure, late evening")
	require.True(t, school.IsWorkingDay(rome(2026, time.December, 22, 9)))
	// Reminders count back over the closure too.
	require.Equal(t, rome(2026, time.December, 22, 0), school.WorkingDaysBefore(rome(2027, time.January, 8, 0), 1+1))
	// WithClosures leaves the calendar it came from alone.
	require.True(t, office.IsWorkingDay(rome(2026, time.December, 23, 9)))
}
