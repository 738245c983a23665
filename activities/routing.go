package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"

	"github.com/approdo/approdo/internal/calendar"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

// ErrTypeNoHub is the application error type of a routing that found no hub: the comune
// or the hub is not in the reference data. Retrying cannot help, so it is not retried;
// the workflow hands the case to UST instead.
const ErrTypeNoHub = "NoHub"

// Routing finds the hub competent for a case in the reference data.
type Routing struct {
	Store *store.Store
}

// RouteInput is a case to route. Hub, when set, is the hub chosen by a person (a
// reassignment) instead of the routing rule.
type RouteInput struct {
	CaseID    string
	Comune    string
	Municipio int
	Level     string
	Hub       casework.Org `json:",omitzero"`
}

// SchoolRef is a school of a hub's territory, with the levels it teaches: what the
// workflow needs to check a proposal without reading the database.
type SchoolRef struct {
	Code   string
	Levels []string
}

// RouteResult is the competent hub and its territory.
type RouteResult struct {
	Hub       casework.Org
	HubName   string
	Territory []SchoolRef
	// RefdataVersion is the version of the reference data used, for the timeline.
	RefdataVersion string
	// Ambito is the code of the ambito territoriale of the case's comune, also when a
	// Polo START or a hub chosen by a person takes the case; empty when the comune is not
	// in the reference data, and in results recorded before it existed.
	Ambito string `json:",omitempty"`
	// Calendars are the local calendars of the hub and of the schools of its territory,
	// for the deadlines: returned here so that the workflow has them in its history. Nil
	// in results recorded before they existed.
	Calendars *casework.Calendars `json:",omitempty"`
}

// RouteCase applies the routing rule (refdata.Route) to the case, or looks up the hub it
// was given, and returns the hub with the schools of its territory.
func (r *Routing) RouteCase(ctx context.Context, in RouteInput) (RouteResult, error) {
	d, err := r.Store.ReferenceData(ctx)
	if err != nil {
		return RouteResult{}, fmt.Errorf("route case %s: %w", in.CaseID, err)
	}
	var hub refdata.Hub
	if in.Hub.IsZero() {
		hub, err = d.Route(in.Comune, in.Municipio, enrolment.Level(in.Level))
	} else {
		hub, err = d.HubByCode(hubKind(in.Hub.Kind), in.Hub.Code)
	}
	if errors.Is(err, refdata.ErrUnknownComune) || errors.Is(err, refdata.ErrNoMunicipio) || errors.Is(err, refdata.ErrUnknownHub) {
		return RouteResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("route case %s: %v", in.CaseID, err), ErrTypeNoHub, nil)
	}
	if err != nil {
		return RouteResult{}, fmt.Errorf("route case %s: %w", in.CaseID, err)
	}
	result := RouteResult{Hub: hubOrg(hub), HubName: hub.Name, RefdataVersion: d.Version}
	if i := slices.IndexFunc(d.Comuni, func(c refdata.Comune) bool { return c.ISTAT == in.Comune }); i >= 0 {
		result.Ambito = d.Comuni[i].Ambito
	}
	territory := d.Territory(hub)
	for _, s := range territory {
		result.Territory = append(result.Territory, SchoolRef{Code: s.Code, Levels: s.Levels})
	}
	result.Calendars = calendars(d, hub, territory)
	return result, nil
}

// calendars gathers the local calendars of the hub's comune (its host school's) and of
// the comuni of the schools of its territory.
func calendars(d *refdata.Dataset, hub refdata.Hub, territory []refdata.School) *casework.Calendars {
	comuni := map[string]refdata.Comune{}
	for _, c := range d.Comuni {
		comuni[c.ISTAT] = c
	}
	c := &casework.Calendars{Schools: map[string]string{}, Comuni: map[string]casework.ComuneCalendar{}}
	add := func(istat string) {
		cm, ok := comuni[istat]
		if !ok {
			return
		}
		cal := casework.ComuneCalendar{Rite: cm.Rite}
		if days, err := calendar.ParseMonthDays(cm.Patron); err == nil && len(days) == 1 {
			cal.Patron = &casework.MonthDay{Month: days[0].Month, Day: days[0].Day}
		}
		c.Comuni[istat] = cal
	}
	if i := slices.IndexFunc(d.Schools, func(s refdata.School) bool { return s.Code == hub.HostSchool }); i >= 0 {
		c.HubComune = d.Schools[i].Comune
		add(c.HubComune)
	}
	for _, s := range territory {
		c.Schools[s.Code] = s.Comune
		add(s.Comune)
	}
	for _, cl := range d.SchoolClosures {
		c.SchoolClosures = append(c.SchoolClosures, casework.SchoolClosure{First: cl.First, Last: cl.Last, Name: cl.Name, Rite: cl.Rite})
	}
	return c
}

func hubKind(k casework.OrgKind) refdata.HubKind {
	if k == casework.OrgPoloStart {
		return refdata.HubPoloStart
	}
	if k == casework.OrgCTI {
		return refdata.HubCTI
	}
	return ""
}

func hubOrg(h refdata.Hub) casework.Org {
	if h.Kind == refdata.HubPoloStart {
		return casework.Org{Kind: casework.OrgPoloStart, Code: h.Code}
	}
	return casework.Org{Kind: casework.OrgCTI, Code: h.Code}
}
