package refdata

import (
	"errors"
	"fmt"
	"slices"

	"github.com/approdo/approdo/internal/enrolment"
)

// HubKind tells the two kinds of hub apart.
type HubKind string

// The kinds of hub.
const (
	HubCTI       HubKind = "cti"
	HubPoloStart HubKind = "polo_start"
)

// Hub is the structure competent for a case.
type Hub struct {
	Kind HubKind
	// Code is the ambito's code for a CTI, the polo's code for a Polo START.
	Code       string
	Name       string
	HostSchool string
}

// Routing errors.
var (
	ErrUnknownComune = errors.New("comune not in the reference data")
	ErrNoMunicipio   = errors.New("municipio of Milano required to choose the Polo START")
)

// Route returns the hub competent for a minor living in comune (and, in Milano, in
// municipio) who seeks level. Milano with primaria or secondaria di I grado goes to the
// Polo START of the municipio; everything else, infanzia, secondaria di II grado and CPIA
// included, to the CTI of the comune's ambito.
func (d *Dataset) Route(comune string, municipio int, level enrolment.Level) (Hub, error) {
	i := slices.IndexFunc(d.Comuni, func(c Comune) bool { return c.ISTAT == comune })
	if i < 0 {
		return Hub{}, fmt.Errorf("route to a hub: %w: %s", ErrUnknownComune, comune)
	}
	firstCycle := level == enrolment.LevelPrimaria || level == enrolment.LevelSecondariaPrimoGrado
	if comune == enrolment.MilanoISTAT && firstCycle {
		for _, p := range d.PoliStart {
			if slices.Contains(p.Municipi, municipio) {
				return Hub{Kind: HubPoloStart, Code: p.Code, Name: p.Name, HostSchool: p.HostSchool}, nil
			}
		}
		return Hub{}, fmt.Errorf("route to a hub: %w (got %d)", ErrNoMunicipio, municipio)
	}
	ambito := d.Comuni[i].Ambito
	for _, a := range d.Ambiti {
		if a.Code == ambito {
			return Hub{Kind: HubCTI, Code: a.Code, Name: a.CTIName, HostSchool: a.CTIHostSchool}, nil
		}
	}
	// check() guarantees every comune's ambito exists.
	return Hub{}, fmt.Errorf("route to a hub: ambito %s of comune %s missing", ambito, comune)
}
