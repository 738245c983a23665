package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/enrolment"
)

// Problem types. Those with their own meaning get a URN; the others use about:blank, whose
// title is the HTTP status text (RFC 9457 §4.2.1).
const (
	problemValidation      = "urn:approdo:problem:validation"
	problemRequestConflict = "urn:approdo:problem:request-conflict"
	problemUnavailable     = "urn:approdo:problem:unavailable"
	problemUnauthenticated = "urn:approdo:problem:unauthenticated"
	problemNotAllowed      = "urn:approdo:problem:not-allowed"
	problemWrongStage      = "urn:approdo:problem:wrong-stage"
	problemInvalidAction   = "urn:approdo:problem:invalid-action"
	problemCaseClosed      = "urn:approdo:problem:case-closed"
	problemDuplicateMinor  = "urn:approdo:problem:duplicate-minor"
	problemBlank           = "about:blank"
)

const problemContentType = "application/problem+json"

func newProblem(status int, typ, title, detail string) Problem {
	p := Problem{Type: typ, Title: title, Status: status}
	if detail != "" {
		p.Detail = &detail
	}
	return p
}

func validationProblem(fields []enrolment.FieldError) Problem {
	p := newProblem(http.StatusBadRequest, problemValidation, "Richiesta non valida",
		"Alcuni campi non sono validi: correggerli e ripetere la richiesta.")
	errs := make([]FieldError, len(fields))
	for i, f := range fields {
		errs[i] = FieldError{Field: f.Field, Reason: f.Reason}
	}
	p.Errors = &errs
	return p
}

func fieldProblem(field, reason string) Problem {
	return validationProblem([]enrolment.FieldError{{Field: field, Reason: reason}})
}

func writeProblem(c *gin.Context, p Problem) {
	if p.Instance == nil && c.Request != nil {
		path := c.Request.URL.Path
		p.Instance = &path
	}
	c.Header("Content-Type", problemContentType)
	c.Status(p.Status)
	// Encoding a Problem cannot fail: it holds only strings and numbers.
	_ = json.NewEncoder(c.Writer).Encode(p)
	c.Abort()
}

// decodeProblem explains why a request body could not be decoded, naming the field when
// the decoder knows it. It never echoes the body: it may hold personal data.
func decodeProblem(err error) Problem {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return tooLargeProblem()
	case errors.Is(err, io.EOF):
		return fieldProblem("body", "il corpo della richiesta è obbligatorio")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return fieldProblem(field, "ha un tipo non valido: atteso "+jsonTypeName(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return fieldProblem("body", "non è un JSON valido")
	default:
		return fieldProblem("body", "non è un JSON valido")
	}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "stringa"
	case "struct", "map":
		return "oggetto"
	case "slice", "array":
		return "lista"
	case "bool":
		return "booleano"
	default:
		if strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "float") || strings.HasPrefix(kind, "uint") {
			return "numero"
		}
		return kind
	}
}

// problemOf is the one place where the app's typed errors become problems. It reports
// false for an error that is the server's own (a 503 or a 500, see handlerError).
func problemOf(err error) (Problem, bool) {
	var invalid *app.InvalidError
	var refused *app.RefusedError
	var notFound *app.NotFoundError
	var duplicate *app.DuplicateError
	switch {
	case errors.As(err, &duplicate):
		return duplicateProblem(duplicate), true
	case errors.As(err, &invalid):
		fields := make([]enrolment.FieldError, len(invalid.Fields))
		for i, f := range invalid.Fields {
			fields[i] = enrolment.FieldError{Field: f.Field, Reason: f.Reason}
		}
		return validationProblem(fields), true
	case errors.As(err, &notFound):
		return newProblem(http.StatusNotFound, problemBlank, notFoundTitle[notFound.Subject], ""), true
	case errors.As(err, &refused):
		return refusalProblem(refused), true
	case errors.Is(err, app.ErrRequestConflict):
		return requestConflictProblem(), true
	case errors.Is(err, app.ErrFamilyConflict):
		p := newProblem(http.StatusConflict, problemRequestConflict, "Riferimento già usato",
			"Questo riferimento è già stato inviato con dati diversi: per correggere una famiglia rivolgersi allo sportello unico.")
		p.Errors = &[]FieldError{{Field: "reference", Reason: "già usato per una famiglia diversa"}}
		return p, true
	case errors.Is(err, app.ErrClosedUnrecorded):
		return newProblem(http.StatusConflict, problemRequestConflict, "Richiesta chiusa",
			"Questa richiesta è stata chiusa prima di essere registrata. Per ripresentarla usare un nuovo requestId."), true
	case errors.Is(err, app.ErrNoReferenceData):
		return newProblem(http.StatusServiceUnavailable, problemUnavailable, "Dati di riferimento non caricati",
			"I comuni e gli hub non sono ancora stati importati (approdo refdata import): i casi non si possono instradare."), true
	}
	return Problem{}, false
}

var notFoundTitle = map[app.Subject]string{
	app.SubjectCase:         "Caso non trovato",
	app.SubjectJourney:      "Percorso non trovato",
	app.SubjectIntervention: "Intervento non trovato",
}

var closedTitle = map[app.Subject]string{
	app.SubjectCase:         "Il caso è chiuso",
	app.SubjectJourney:      "Il percorso è chiuso",
	app.SubjectIntervention: "L'intervento è chiuso",
}

// refusalProblem explains an action its subject refused: 403, 409 or 422 saying why.
func refusalProblem(r *app.RefusedError) Problem {
	switch r.Reason {
	case app.RefusedNotAllowed:
		return newProblem(http.StatusForbidden, problemNotAllowed, "Azione non consentita", r.Message)
	case app.RefusedWrongStage:
		return newProblem(http.StatusConflict, problemWrongStage, "Azione non possibile in questa fase", r.Message)
	case app.RefusedClosed:
		return newProblem(http.StatusConflict, problemCaseClosed, closedTitle[r.Subject], r.Message)
	default:
		p := newProblem(http.StatusUnprocessableEntity, problemInvalidAction, "Azione non valida",
			"Un valore non è accettabile per questo caso: correggerlo e ripetere.")
		p.Errors = &[]FieldError{{Field: r.Field, Reason: r.Message}}
		return p
	}
}

// duplicateProblem refuses a second case for a minor: it names the open case to a caller
// that may see it, and nothing to one that may not (UST was told instead).
func duplicateProblem(d *app.DuplicateError) Problem {
	if d.CaseID == "" && !d.Reported {
		return newProblem(http.StatusConflict, problemDuplicateMinor, "Il minore ha già un caso aperto",
			"Con questi dati il minore risulta già in carico con un caso aperto presso un altro ente: nulla è stato cambiato. Per riconciliare i due casi rivolgersi all'UST.")
	}
	if d.CaseID == "" {
		return newProblem(http.StatusConflict, problemDuplicateMinor, "Il minore ha già un caso aperto",
			"Il minore risulta già in carico con un caso aperto presso un altro ente: la richiesta è stata segnalata all'UST, che la riconcilierà. Nessun nuovo caso è stato aperto.")
	}
	p := newProblem(http.StatusConflict, problemDuplicateMinor, "Il minore ha già un caso aperto",
		"Il minore ha già il caso aperto /api/v1/enrolments/"+d.CaseID+": nessun secondo caso è stato aperto.")
	if id, err := uuid.Parse(d.CaseID); err == nil {
		p.ExistingCase = &id
	}
	return p
}

func requestConflictProblem() Problem {
	p := newProblem(http.StatusConflict, problemRequestConflict, "requestId già usato",
		"Questo requestId è già stato usato per una richiesta con dati diversi. Usare un nuovo requestId per una nuova richiesta.")
	p.Errors = &[]FieldError{{Field: "requestId", Reason: "già usato per una richiesta diversa"}}
	return p
}

// failure answers an error of the app: the problem that explains it, or the error itself
// for handlerError to answer as the server's.
func (s *Server) failure(err error) (reply, error) {
	if p, known := problemOf(err); known {
		return problemReply(p), nil
	}
	return reply{}, err
}

// isUnavailable reports whether err means a dependency is down or too slow, which the
// caller can fix by retrying: that is a 503, not a 500.
func isUnavailable(err error) bool { return app.IsUnavailable(err) }

func unavailableProblem() Problem {
	return newProblem(http.StatusServiceUnavailable, problemUnavailable, "Servizio momentaneamente non disponibile",
		"Riprovare la stessa richiesta tra qualche istante: ripeterla non crea duplicati.")
}

func internalProblem() Problem {
	return newProblem(http.StatusInternalServerError, problemBlank, "Errore interno",
		"Si è verificato un errore imprevisto. È stato registrato; riprovare più tardi.")
}

// handlerError is the single place where an error that a handler did not answer itself
// becomes an HTTP response. The detail goes to the log, never into the body.
func handlerError(log *slog.Logger) func(*gin.Context, error) {
	return func(c *gin.Context, err error) {
		if isUnavailable(err) {
			log.WarnContext(c.Request.Context(), "dependency unavailable", "path", c.FullPath(), "request_id", requestID(c), "error", err)
			writeProblem(c, unavailableProblem())
			return
		}
		log.ErrorContext(c.Request.Context(), "request failed", "path", c.FullPath(), "request_id", requestID(c), "error", err)
		writeProblem(c, internalProblem())
	}
}
