package refdata

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/approdo/approdo/internal/calendar"
)

// The liturgical rites that set a school's Carnival break in Lombardia: the Roman
// Carnival ends on Shrove Tuesday, the Ambrosian one, of the Archdiocese of Milan, on the
// Saturday after Ash Wednesday.
const (
	RiteAmbrosian = "ambrosiano"
	RiteRoman     = "romano"
)

// SchoolClosure is a break of the regional school calendar: from First to Last
// (YYYY-MM-DD, both included) the schools are closed. Rite, when set, limits it to the
// schools of the comuni of that rite (the Carnival break).
type SchoolClosure struct {
	// SchoolYear is the school year, e.g. "2026/27".
	SchoolYear string `yaml:"school_year"`
	First      string `yaml:"first"`
	Last       string `yaml:"last"`
	Name       string `yaml:"name"`
	Rite       string `yaml:"rite,omitempty"`
	// Source says where the dates come from and whether they were verified.
	Source string `yaml:"source"`
}

// AppliesTo reports whether the closure closes the schools of a comune of rite (empty
// meaning ambrosiano, the rite of almost all the Archdiocese of Milan).
func (c SchoolClosure) AppliesTo(rite string) bool {
	if c.Rite == "" {
		return true
	}
	if rite == "" {
		rite = RiteAmbrosian
	}
	return c.Rite == rite
}

// Span returns the first and last day of the closure, in Rome; ok is false when the
// dates do not parse (a checked dataset always parses).
func (c SchoolClosure) Span() (first, last time.Time, ok bool) {
	f, err1 := time.ParseInLocation(time.DateOnly, c.First, calendar.Rome)
	l, err2 := time.ParseInLocation(time.DateOnly, c.Last, calendar.Rome)
	return f, l, err1 == nil && err2 == nil
}

var schoolYearPattern = regexp.MustCompile(`^([0-9]{4})/([0-9]{2})$`)

// checkCalendar checks the comuni's patron days and rites and the school closures.
func (c *checker) checkCalendar() {
	for i, cm := range c.d.Comuni {
		p := fmt.Sprintf("comuni[%d]", i)
		if cm.Patron != "" {
			if days, err := calendar.ParseMonthDays(cm.Patron); err != nil || len(days) != 1 {
				c.add(p+".patron", fmt.Sprintf("%q is not a day of the year in MM-DD form (e.g. 12-07)", cm.Patron))
			}
			if cm.PatronSource == "" {
				c.add(p+".patron_source", "a patron day needs the source it was verified in")
			}
		} else if cm.PatronSource != "" {
			c.add(p+".patron_source", "a source without a patron day: leave both empty, or give the day")
		}
		c.rite(p+".rite", cm.Rite)
	}
	for i, cl := range c.d.SchoolClosures {
		p := fmt.Sprintf("school_closures[%d]", i)
		start := 0
		if c.required(p+".school_year", cl.SchoolYear) {
			m := schoolYearPattern.FindStringSubmatch(cl.SchoolYear)
			if m == nil {
				c.add(p+".school_year", fmt.Sprintf("%q is not a school year (e.g. 2026/27)", cl.SchoolYear))
			} else if y, _ := strconv.Atoi(m[1]); fmt.Sprintf("%02d", (y+1)%100) != m[2] {
				c.add(p+".school_year", fmt.Sprintf("%q: the second year must follow the first", cl.SchoolYear))
			} else {
				start = y
			}
		}
		c.required(p+".name", cl.Name)
		c.required(p+".source", cl.Source)
		c.rite(p+".rite", cl.Rite)
		first, okFirst := c.date(p+".first", cl.First)
		last, okLast := c.date(p+".last", cl.Last)
		if !okFirst || !okLast {
			continue
		}
		if last.Before(first) {
			c.add(p+".last", fmt.Sprintf("%s is before the first day, %s", cl.Last, cl.First))
			continue
		}
		// A school year runs from September to August.
		if start != 0 && (first.Before(time.Date(start, time.September, 1, 0, 0, 0, 0, calendar.Rome)) ||
			!last.Before(time.Date(start+1, time.September, 1, 0, 0, 0, 0, calendar.Rome))) {
			c.add(p+".first", fmt.Sprintf("%s to %s is not within school year %s (September to August)", cl.First, cl.Last, cl.SchoolYear))
		}
	}
}

func (c *checker) rite(path, rite string) {
	if rite != "" && rite != RiteAmbrosian && rite != RiteRoman {
		c.add(path, fmt.Sprintf("%q is not a rite (%s or %s)", rite, RiteAmbrosian, RiteRoman))
	}
}

func (c *checker) date(path, value string) (time.Time, bool) {
	if !c.required(path, value) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(time.DateOnly, value, calendar.Rome)
	if err != nil {
		c.add(path, fmt.Sprintf("%q is not a date (YYYY-MM-DD)", value))
		return time.Time{}, false
	}
	return t, true
}

// patronRow is one row of the comuni's patron days table.
type patronRow struct {
	istat, patron, source string
	line                  int
}

// readPatrons reads the table of the comuni's patron days, an operator-maintained CSV
// (";" or ","): columns "istat", "patron" (MM-DD, empty where not verified) and
// "source" (where it was verified); others (the name, the saint) are for the reader.
// deploy/refdata/sources/patroni-015.csv is the current one.
func readPatrons(path string, out io.Writer, errs *Errors) ([]patronRow, error) {
	s, err := openCSV(path, true, out, errs)
	if err != nil {
		return nil, err
	}
	istatCol, patronCol, sourceCol := s.require("istat"), s.require("patron"), s.require("source")
	if istatCol < 0 || patronCol < 0 || sourceCol < 0 {
		return nil, nil
	}
	seen := map[string]int{}
	var rows []patronRow
	err = s.each(func(r row) {
		code := padCode(r.get(istatCol), 6)
		if first, dup := seen[code]; dup {
			s.fail(r.line, "istat", fmt.Sprintf("comune %s is already on line %d", code, first))
			return
		}
		seen[code] = r.line
		rows = append(rows, patronRow{istat: code, patron: r.get(patronCol), source: r.get(sourceCol), line: r.line})
	})
	return rows, err
}

// assignPatrons sets the patron day of the comuni in rows; a comune the table leaves
// empty has none.
func (d *Dataset) assignPatrons(rows []patronRow, file string, errs *Errors) string {
	index := d.comuneIndex()
	set := 0
	for _, r := range rows {
		i, ok := index[r.istat]
		if !ok {
			*errs = append(*errs, LineError{File: file, Line: r.line, Field: "istat", Reason: fmt.Sprintf("comune %s is not among the comuni", r.istat)})
			continue
		}
		d.Comuni[i].Patron, d.Comuni[i].PatronSource = r.patron, r.source
		d.origins[fmt.Sprintf("comuni[%d].patron", i)] = origin{file: file, line: r.line}
		d.origins[fmt.Sprintf("comuni[%d].patron_source", i)] = origin{file: file, line: r.line}
		if r.patron != "" {
			set++
		}
	}
	return fmt.Sprintf("%s: the patron day of %d of %d comuni (the others have none verified)", file, set, len(d.Comuni))
}

// readClosures reads the regional school calendar's closures, a CSV (";" or ","):
// columns "school_year", "first", "last", "name", "rite" (empty for every school) and
// "source". deploy/refdata/sources/calendario-scolastico-lombardia.csv is the current one.
// They replace the closures of the file.
func (d *Dataset) readClosures(path string, out io.Writer, errs *Errors) (string, error) {
	s, err := openCSV(path, true, out, errs)
	if err != nil {
		return "", err
	}
	cols := map[string]int{}
	for _, name := range []string{"school_year", "first", "last", "name", "rite", "source"} {
		cols[name] = s.require(name)
		if cols[name] < 0 {
			return "", nil
		}
	}
	d.forget("school_closures")
	d.SchoolClosures = nil
	err = s.each(func(r row) {
		d.origins[fmt.Sprintf("school_closures[%d]", len(d.SchoolClosures))] = origin{file: s.name, line: r.line}
		d.SchoolClosures = append(d.SchoolClosures, SchoolClosure{
			SchoolYear: r.get(cols["school_year"]), First: r.get(cols["first"]), Last: r.get(cols["last"]),
			Name: r.get(cols["name"]), Rite: r.get(cols["rite"]), Source: r.get(cols["source"]),
		})
	})
	years := map[string]bool{}
	for _, cl := range d.SchoolClosures {
		years[cl.SchoolYear] = true
	}
	return fmt.Sprintf("%s: %d school closures over %d school year(s)", s.name, len(d.SchoolClosures), len(years)), err
}
