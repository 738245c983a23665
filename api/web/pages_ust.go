package web

import (
	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
)

// formErase is UST's form that erases a closed case's personal data.
const formErase = "cancellazione"

// registerUSTPages registers UST's action routes. UST's other actions on a case are the
// hub's (propose past the limit, assign or reassign a hub), registered in pages_hub.go;
// the workflow lets UST take them. Erasure is UST's own, on a closed case, whose workflow
// has ended: it goes through app.EraseCase, as the API's does.
func (w *Web) registerUSTPages(r gin.IRoutes) {
	r.POST("/casi/:id/cancellazione", w.eraseSubmit)
}

// eraseSubmit erases a closed case's personal data with the reason given.
func (w *Web) eraseSubmit(c *gin.Context) {
	id := c.Param("id")
	err := w.app.EraseCase(c.Request.Context(), actorOf(c), id, formGetter(c, formErase)("reason"))
	if err != nil {
		w.refuseCaseForm(c, id, formErase, err)
		return
	}
	redirect(c, "/casi/"+id+"?esito=dati_cancellati")
}

// ustForms is what UST's part of the case page needs.
type ustForms struct {
	// WorkflowLink is the case's workflow in the Temporal Web UI; empty when the UI is not
	// configured.
	WorkflowLink string
	// Unrouted says the case waits for UST to assign it a hub (the hub's forms, shown to
	// UST too, have the select).
	Unrouted bool
	// Erase shows the erasure form: the case is closed and its data not erased yet.
	Erase bool
}

// ustActions is what UST's part of the case page needs (nil: none to show).
func (w *Web) ustActions(c *gin.Context, v app.CaseView) (any, error) {
	if actorOf(c) != casework.UST {
		return nil, nil
	}
	return &ustForms{
		WorkflowLink: w.workflowLink(v.Case.WorkflowID),
		Unrouted:     casework.Stage(v.Case.Stage) == casework.StageUnrouted,
		Erase:        casework.Stage(v.Case.Stage).Closed() && !erased(v),
	}, nil
}

// erased says the case's personal data is gone: erased on request, or pseudonymised
// after the retention period (the names are then empty).
func erased(v app.CaseView) bool {
	for _, e := range v.Timeline {
		if e.Kind == casework.EventPersonalDataErased {
			return true
		}
	}
	return v.Case.MinorGivenName == "" && v.Case.MinorFamilyName == ""
}
