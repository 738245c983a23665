package api

import (
	"context"
	"net/http"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/refdata"
)

// ListSchools lists the schools a hub may propose for a level: UST any hub's, a hub its
// own (the default when it names none).
func (s *Server) ListSchools(ctx context.Context, req ListSchoolsRequestObject) (ListSchoolsResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	hub, err := schoolsHub(actor, value(req.Params.Hub))
	if err != nil {
		return s.failure(err)
	}
	schools, err := s.app.Schools(ctx, actor, hub, enrolment.Level(value(req.Params.Level)))
	if err != nil {
		return s.failure(err)
	}
	return ok(SchoolList{Items: schoolItems(schools)}), nil
}

// schoolsHub is the hub whose schools are asked for: the one named, or the caller's own
// when it is a hub and names none.
func schoolsHub(actor casework.Org, named string) (casework.Org, error) {
	if named == "" {
		if actor.IsHub() {
			return actor, nil
		}
		return casework.Org{}, app.Invalid("hub", "è obbligatorio: cti:<ambito> o polo_start:<codice>")
	}
	hub, err := casework.ParseOrg(named)
	if err != nil || !hub.IsHub() {
		return casework.Org{}, app.Invalid("hub", "deve essere cti:<ambito> o polo_start:<codice>")
	}
	return hub, nil
}

// schoolItems turns reference-data schools into the API's.
func schoolItems(schools []refdata.School) []School {
	items := make([]School, len(schools))
	for i, sc := range schools {
		items[i] = School{Code: sc.Code, Name: sc.Name, Comune: sc.Comune, Levels: append([]string{}, sc.Levels...)}
		if sc.Municipio != 0 {
			m := sc.Municipio
			items[i].Municipio = &m
		}
	}
	return items
}

func (r reply) VisitListSchoolsResponse(w http.ResponseWriter) error { return r.write(w) }
