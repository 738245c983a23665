package refdata

import (
	"fmt"
	"slices"

	"github.com/approdo/approdo/internal/enrolment"
)

// ErrUnknownHub is returned for a hub that is not in the reference data.
var ErrUnknownHub = fmt.Errorf("hub not in the reference data")

// HubByCode returns the hub of kind with code.
func (d *Dataset) HubByCode(kind HubKind, code string) (Hub, error) {
	switch kind {
	case HubCTI:
		for _, a := range d.Ambiti {
			if a.Code == code {
				return Hub{Kind: HubCTI, Code: a.Code, Name: a.CTIName, HostSchool: a.CTIHostSchool}, nil
			}
		}
	case HubPoloStart:
		for _, p := range d.PoliStart {
			if p.Code == code {
				return Hub{Kind: HubPoloStart, Code: p.Code, Name: p.Name, HostSchool: p.HostSchool}, nil
			}
		}
	}
	return Hub{}, fmt.Errorf("%w: %s %s", ErrUnknownHub, kind, code)
}

// Territory returns the schools a hub may propose: for a CTI, the schools of the comuni of
// its ambito; for a Polo START, the schools of Milano in the municipi it covers. The
// caller checks the level, so that it can tell "not in the territory" from "does not
// teach that level".
func (d *Dataset) Territory(h Hub) []School {
	var out []School
	switch h.Kind {
	case HubCTI:
		inAmbito := map[string]bool{}
		for _, c := range d.Comuni {
			if c.Ambito == h.Code {
				inAmbito[c.ISTAT] = true
			}
		}
		for _, s := range d.Schools {
			if inAmbito[s.Comune] {
				out = append(out, s)
			}
		}
	case HubPoloStart:
		i := slices.IndexFunc(d.PoliStart, func(p Polo) bool { return p.Code == h.Code })
		if i < 0 {
			return nil
		}
		for _, s := range d.Schools {
			if s.Comune == enrolment.MilanoISTAT && slices.Contains(d.PoliStart[i].Municipi, s.Municipio) {
				out = append(out, s)
			}
		}
	}
	return out
}

// Teaches reports whether the school teaches level.
func (s School) Teaches(level enrolment.Level) bool {
	return slices.Contains(s.Levels, string(level))
}
