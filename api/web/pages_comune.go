package web

import (
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// The comune's forms on the case page, and the outcomes they redirect with.
const (
	formWithdraw = "ritiro"
	formTransfer = "trasferimento"
)

// registerComunePages registers the comune's action routes: withdrawing the request
// and transferring the case to the comune the family moved to. UST may take both.
func (w *Web) registerComunePages(r gin.IRoutes) {
	r.POST("/casi/:id/ritiro", w.caseAction(formWithdraw, workflows.UpdateWithdraw, "ritirata", parseWithdraw))
	r.POST("/casi/:id/trasferimento", w.transferSubmit)
}

// comuneForms is what the comune's action forms need (templates/case_actions_comune.html).
type comuneForms struct {
	// Withdraw and Transfer say which forms to show. The workflow decides whether the
	// action may be taken; these only hide a form that cannot succeed.
	Withdraw, Transfer bool
	Reasons            []option
	Municipi           []option
}

// comuneActions is what the comune's action forms on the case page need (nil: none to
// show): for the comune of residence, the comune that filed, and UST.
func (w *Web) comuneActions(c *gin.Context, v app.CaseView) (any, error) {
	actor := actorOf(c)
	cs := v.Case
	mine := actor == casework.UST ||
		(actor.Kind == casework.OrgComune && (actor.Code == cs.Comune || actor.Code == cs.FiledBy))
	if !mine {
		return nil, nil
	}
	f := comuneForms{}
	switch casework.Stage(cs.Stage) {
	case casework.StageRegistered, casework.StageUnrouted, casework.StageAwaitingProposal, casework.StageAwaitingDecision:
		f.Withdraw = true
	}
	switch casework.Stage(cs.Stage) {
	case casework.StageUnrouted, casework.StageAwaitingProposal, casework.StageAwaitingDecision, casework.StageEnrolled:
		f.Transfer = true
	}
	if !f.Withdraw && !f.Transfer {
		return nil, nil
	}
	for _, r := range casework.WithdrawalReasons {
		f.Reasons = append(f.Reasons, option{Value: r, Label: w.label("web.cases.withdrawal", r)})
	}
	for i := 1; i <= 9; i++ {
		n := strconv.Itoa(i)
		f.Municipi = append(f.Municipi, option{Value: n, Label: "Municipio " + n})
	}
	return f, nil
}

// parseWithdraw builds the withdrawal as the API does.
func parseWithdraw(actor casework.Org, get formValues) (any, error) {
	return workflows.WithdrawInput{Actor: actor, Reason: get("reason"), Note: get("note")}, nil
}

// istatPattern is the shape of a comune's ISTAT code in the Città Metropolitana; the
// workflow explains other shapes, so only these are looked up.
var istatPattern = regexp.MustCompile(`^015[0-9]{3}$`)

// transferSubmit moves the case to another comune. As in the API, the comune is first
// checked against the reference data, which the workflow does not hold.
func (w *Web) transferSubmit(c *gin.Context) {
	w.actOnCase(c, formTransfer, workflows.UpdateTransfer, "trasferito", func(actor casework.Org, get formValues) (any, error) {
		comune := get("comune")
		if istatPattern.MatchString(comune) {
			if err := w.app.CheckComune(c.Request.Context(), comune, "comune"); err != nil {
				return nil, err
			}
		}
		municipio, err := optionalInt(get, "municipio", "deve essere un numero da 1 a 9")
		if err != nil {
			return nil, err
		}
		return workflows.TransferInput{Actor: actor, Comune: comune, Municipio: municipio, Note: get("note")}, nil
	})
}
