package web

import (
	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
)

// registerUSTPages registers UST's action routes. UST's actions on a case are the hub's
// (propose past the limit, assign or reassign a hub), registered in pages_hub.go; the
// workflow lets UST take them.
func (w *Web) registerUSTPages(r gin.IRoutes) {}

// ustForms is what UST's part of the case page needs.
type ustForms struct {
	// WorkflowLink is the case's workflow in the Temporal Web UI; empty when the UI is not
	// configured.
	WorkflowLink string
	// Unrouted says the case waits for UST to assign it a hub (the hub's forms, shown to
	// UST too, have the select).
	Unrouted bool
}

// ustActions is what UST's part of the case page needs (nil: none to show).
func (w *Web) ustActions(c *gin.Context, v app.CaseView) (any, error) {
	if actorOf(c) != casework.UST {
		return nil, nil
	}
	return &ustForms{
		WorkflowLink: w.workflowLink(v.Case.WorkflowID),
		Unrouted:     casework.Stage(v.Case.Stage) == casework.StageUnrouted,
	}, nil
}
