package casework

// Calendars are the local calendars of the offices that may act on an enrolment case,
// read from the reference data when the case is routed: the hub's comune, the comuni of
// the schools of its territory, and the regional school closures. A deadline is counted
// with the calendar of the office that must act: the hub's patron day for the hub's
// proposal, the school's patron day and the school closures for the school's decision and
// attendance check.
type Calendars struct {
	// HubComune is the ISTAT code of the comune of the hub's host school; empty when the
	// host school is not among the schools.
	HubComune string `json:",omitempty"`
	// Schools maps a school of the hub's territory to its comune.
	Schools map[string]string `json:",omitempty"`
	// Comuni holds the local calendar of each comune named above.
	Comuni map[string]ComuneCalendar `json:",omitempty"`
	// SchoolClosures are the breaks of the regional school calendar (all the school
	// years the reference data holds).
	SchoolClosures []SchoolClosure `json:",omitempty"`
}

// ComuneCalendar is what a comune adds to the national calendar.
type ComuneCalendar struct {
	// Patron is the patron saint's day; nil where the reference data has none verified.
	Patron *MonthDay `json:",omitempty"`
	// Rite is the liturgical rite of the comune ("" or ambrosiano, or romano), which
	// picks its schools' Carnival break.
	Rite string `json:",omitempty"`
}

// SchoolClosure is a school break: First to Last (YYYY-MM-DD, both included), for the
// schools of the comuni of Rite ("" for all).
type SchoolClosure struct {
	First, Last string
	Name        string `json:",omitempty"`
	Rite        string `json:",omitempty"`
}

// OfComune returns the calendar of comune, or the zero one (no patron day, the
// Ambrosian rite) when the calendars do not hold it.
func (c *Calendars) OfComune(comune string) ComuneCalendar {
	if c == nil {
		return ComuneCalendar{}
	}
	return c.Comuni[comune]
}

// ClosuresFor returns the school closures that apply to the schools of a comune of rite
// (empty meaning ambrosiano).
func (c *Calendars) ClosuresFor(rite string) []SchoolClosure {
	if c == nil {
		return nil
	}
	if rite == "" {
		rite = "ambrosiano"
	}
	var out []SchoolClosure
	for _, cl := range c.SchoolClosures {
		if cl.Rite == "" || cl.Rite == rite {
			out = append(out, cl)
		}
	}
	return out
}
