package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
	"github.com/approdo/approdo/workflows"
)

var sectionPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,4}$`)

// classYears is the highest class of each level that has numbered classes.
var classYears = map[enrolment.Level]int{
	enrolment.LevelPrimaria:               5,
	enrolment.LevelSecondariaPrimoGrado:   3,
	enrolment.LevelSecondariaSecondoGrado: 5,
}

// CreateDirectEnrolment registers a minor a school enrolled on its own: the case starts
// as enrolled and is followed up like the others.
func (s *Server) CreateDirectEnrolment(ctx context.Context, req CreateDirectEnrolmentRequestObject) (CreateDirectEnrolmentResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	if actor.Kind != casework.OrgSchool {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"Solo una scuola registra un'iscrizione diretta.")), nil
	}
	ctx = store.WithOrg(ctx, actor.String())
	if req.Body == nil {
		return problemReply(*bodyRequired()), nil
	}
	r := requestFromBody(req.Body.Request).Normalize()
	var fields []enrolment.FieldError
	if err := r.Validate(s.now()); err != nil {
		var v *enrolment.ValidationError
		if !errors.As(err, &v) {
			return nil, err
		}
		for _, f := range v.Fields {
			fields = append(fields, enrolment.FieldError{Field: "request." + f.Field, Reason: f.Reason})
		}
	}
	placement := req.Body.Placement
	fields = append(fields, s.checkPlacement(r.Level, value(placement.ClassYear), placement.Section, placement.StartDate)...)
	if len(fields) > 0 {
		return problemReply(validationProblem(fields)), nil
	}
	if problem, err := s.checkComune(ctx, r.Comune, "request.comune"); problem != nil || err != nil {
		if err != nil {
			return nil, err
		}
		return problemReply(*problem), nil
	}
	d, err := s.store.ReferenceData(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(d.Schools, func(sc refdata.School) bool { return sc.Code == actor.Code })
	if i < 0 {
		return problemReply(newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita",
			"La scuola "+actor.Code+" non è nei dati di riferimento.")), nil
	}
	if !d.Schools[i].Teaches(r.Level) {
		p := newProblem(http.StatusUnprocessableEntity, problemInvalidAction, "Iscrizione non valida", "")
		p.Errors = &[]FieldError{{Field: "request.level", Reason: "la scuola " + actor.Code + " non ha questo livello"}}
		return problemReply(p), nil
	}

	filer := actor.String()
	caseID := enrolment.CaseID(filer, r.RequestID)
	created, err := s.register(ctx, caseID, filer, r.Hash(), r, &workflows.DirectEnrolment{
		School: actor.Code, Year: value(placement.ClassYear), Section: placement.Section, StartDate: placement.StartDate,
	})
	switch {
	case errors.Is(err, errRequestConflict):
		return problemReply(requestConflictProblem()), nil
	case errors.Is(err, errClosedUnrecorded):
		return problemReply(newProblem(http.StatusConflict, problemRequestConflict, "Richiesta chiusa",
			"Questa richiesta è stata chiusa prima di essere registrata. Per ripresentarla usare un nuovo requestId.")), nil
	case err != nil:
		return nil, err
	}
	answer, err := s.caseReply(ctx, caseID, actor)
	if err != nil {
		return nil, err
	}
	if created {
		answer.status, answer.location = http.StatusCreated, "/api/v1/enrolments/"+caseID
	}
	return answer, nil
}

// checkPlacement checks the class, section and first day of a direct enrolment. A
// school may register an enrolment up to a year after the fact.
func (s *Server) checkPlacement(level enrolment.Level, year int, section, startDate string) []enrolment.FieldError {
	var fields []enrolment.FieldError
	if max, numbered := classYears[level]; year != 0 && (!numbered || year < 1 || year > max) {
		fields = append(fields, enrolment.FieldError{Field: "placement.classYear", Reason: "non è una classe del livello richiesto"})
	}
	if !sectionPattern.MatchString(section) {
		fields = append(fields, enrolment.FieldError{Field: "placement.section", Reason: "da 1 a 4 lettere o cifre, ad esempio «B»"})
	}
	start, err := time.Parse(time.DateOnly, startDate)
	today := s.now()
	switch {
	case err != nil:
		fields = append(fields, enrolment.FieldError{Field: "placement.startDate", Reason: "non è una data valida (AAAA-MM-GG)"})
	case start.Before(today.AddDate(-1, 0, 0)) || start.After(today.AddDate(1, 0, 0)):
		fields = append(fields, enrolment.FieldError{Field: "placement.startDate", Reason: "deve essere entro un anno da oggi, prima o dopo"})
	}
	return fields
}
