// Package calendar counts working days on the Italian calendar, for the deadlines of the
// cases: a hub has so many working days to propose a school, a school so many to decide.
//
// National holidays, Easter Monday included, come from a maintained holiday library
// rather than a table of our own; a holiday a new law added that the library does not know
// yet is added here (San Francesco, 4 October, from 2026). Local holidays (a comune's
// patron saint, Milan's Sant'Ambrogio on 7 December) and the closures of the regional
// school calendar are data: the caller says which apply to the office that must act.
package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Rome must resolve the same on every machine.

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/it"
)

// Rome is the time zone every deadline is counted in.
var Rome = mustLoad("Europe/Rome")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("calendar: load " + name + ": " + err.Error())
	}
	return loc
}

// MonthDay is a holiday that falls on the same day every year.
type MonthDay struct {
	Month time.Month
	Day   int
}

// SantAmbrogio is the patron saint's day of Milan, a holiday in the city's schools and
// offices.
var SantAmbrogio = MonthDay{Month: time.December, Day: 7}

// ParseMonthDays reads a comma-separated list of MM-DD dates, as configuration gives them
// (e.g. "12-07,10-04").
func ParseMonthDays(s string) ([]MonthDay, error) {
	var out []MonthDay
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		m, d, ok := strings.Cut(part, "-")
		month, errM := strconv.Atoi(m)
		day, errD := strconv.Atoi(d)
		if !ok || errM != nil || errD != nil || month < 1 || month > 12 || day < 1 ||
			day > time.Date(2024, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
			return nil, fmt.Errorf("%q is not a day of the year in MM-DD form", part)
		}
		out = append(out, MonthDay{Month: time.Month(month), Day: day})
	}
	return out, nil
}

// SanFrancesco is the national holiday of San Francesco d'Assisi, patron of Italy, on
// 4 October from 2026: legge 8 ottobre 2025, n. 151 (Gazzetta Ufficiale n. 236 of
// 10 October 2025), which adds it to art. 2 of legge 27 maggio 1949, n. 260, in force
// from 1 January 2026. github.com/rickar/cal/v2/it (v2.1.13) does not have it.
var SanFrancesco = &cal.Holiday{
	Name:      "Festa nazionale di San Francesco d'Assisi",
	Type:      cal.ObservancePublic,
	Month:     time.October,
	Day:       4,
	StartYear: 2026,
	Func:      cal.CalcDayOfMonth,
}

// Closure is a span of days, first and last included, on which an office is closed
// although they are not holidays: the Christmas, Carnival and Easter breaks of the
// regional school calendar, for schools.
type Closure struct {
	// First and Last are days (any time of day, read in Rome).
	First, Last time.Time
}

// Calendar knows which days are working days.
type Calendar struct {
	business *cal.BusinessCalendar
	closures []Closure
}

// New returns the Italian calendar: Monday to Friday, less the national holidays and the
// given local ones.
func New(local ...MonthDay) *Calendar {
	b := cal.NewBusinessCalendar()
	b.AddHoliday(it.Holidays...)
	b.AddHoliday(SanFrancesco)
	for _, md := range local {
		b.AddHoliday(&cal.Holiday{
			Name:  fmt.Sprintf("festività locale %02d-%02d", md.Month, md.Day),
			Type:  cal.ObservancePublic,
			Month: md.Month,
			Day:   md.Day,
			Func:  cal.CalcDayOfMonth,
		})
	}
	return &Calendar{business: b}
}

// WithClosures returns the calendar with the days of closures made non-working too.
func (c *Calendar) WithClosures(closures ...Closure) *Calendar {
	out := *c
	out.closures = append(slices.Clip(c.closures), closures...)
	return &out
}

// IsWorkingDay reports whether the day of t, in Rome, is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	return c.isWorkday(startOfDay(t.In(Rome)))
}

// isWorkday reports whether day (midnight in Rome) is a working day.
func (c *Calendar) isWorkday(day time.Time) bool {
	if !c.business.IsWorkday(day) {
		return false
	}
	for _, cl := range c.closures {
		if !day.Before(startOfDay(cl.First.In(Rome))) && !day.After(startOfDay(cl.Last.In(Rome))) {
			return false
		}
	}
	return true
}

// Deadline returns the end (midnight, Rome time) of the n-th working day after the day of
// from. A request filed on a Friday with two working days is due at the end of Tuesday.
// n must be at least 1.
func (c *Calendar) Deadline(from time.Time, n int) time.Time {
	if n < 1 {
		n = 1
	}
	day := startOfDay(from.In(Rome))
	for counted := 0; counted < n; {
		day = day.AddDate(0, 0, 1)
		if c.isWorkday(day) {
			counted++
		}
	}
	return day.AddDate(0, 0, 1) // the end of that day is the start of the next
}

// WorkingDaysBefore counts n working days back from a deadline made by Deadline and
// returns the start (midnight, Rome time) of the day reached, for reminders: with n = 1 it
// is the start of the last working day before the deadline.
func (c *Calendar) WorkingDaysBefore(deadline time.Time, n int) time.Time {
	day := startOfDay(deadline.In(Rome))
	for counted := 0; counted < n; {
		day = day.AddDate(0, 0, -1)
		if c.isWorkday(day) {
			counted++
		}
	}
	return day
}

func startOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}
