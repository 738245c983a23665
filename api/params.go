package api

import (
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"
)

// parameterName finds the parameter in the errors of the generated wrapper, which are
// "Invalid format for parameter NAME: …", "Expected one value for NAME, got N" and
// "Query argument NAME is required, but not found".
var parameterName = regexp.MustCompile(`(?:parameter|value for|argument) ([A-Za-z0-9_.-]+)[:, ]`)

// parameterError answers a parameter the generated wrapper could not bind (a flag that
// is not true or false, a limit that is not a number, a repeated header) with a problem
// naming it. The error itself is not echoed: it may quote the caller's input.
func parameterError(c *gin.Context, err error, status int) {
	writeProblem(c, parameterProblem(err, status))
}

func parameterProblem(err error, status int) Problem {
	m := parameterName.FindStringSubmatch(err.Error())
	if m == nil {
		return newProblem(status, problemBlank, "Parametro non valido", "")
	}
	p := fieldProblem(m[1], "non ha un formato valido")
	if status != http.StatusBadRequest {
		p.Status = status
	}
	return p
}
