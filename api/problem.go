package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"

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
		return newProblem(http.StatusRequestEntityTooLarge, problemBlank, "Richiesta troppo grande",
			"Il corpo della richiesta supera la dimensione massima consentita.")
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

// isUnavailable reports whether err means a dependency is down or too slow, which the
// caller can fix by retrying: that is a 503, not a 500.
func isUnavailable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	// A cancelled context means the caller went away; nobody reads the answer, and a 503
	// is the honest one if somebody does.
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &unavailable) || errors.As(err, &deadline)
}

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
