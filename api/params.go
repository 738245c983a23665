package api

import (
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/internal/casework"
)

// listedStages are the stages a list may be filtered by: every stage a case can be in.
var listedStages = map[casework.Stage]bool{
	casework.StageReceived:         true,
	casework.StageRegistered:       true,
	casework.StageUnrouted:         true,
	casework.StageAwaitingProposal: true,
	casework.StageAwaitingDecision: true,
	casework.StageEnrolled:         true,
	casework.StageCompleted:        true,
	casework.StageWithdrawn:        true,
}

// stageProblem answers a stage filter that names no stage; a typo would otherwise look
// like an empty list.
func stageProblem(stage *string) *Problem {
	if stage == nil || listedStages[casework.Stage(*stage)] {
		return nil
	}
	p := fieldProblem("stage", "non è una fase: received, registered, unrouted, awaiting_proposal, "+
		"awaiting_decision, enrolled, completed o withdrawn")
	return &p
}

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
