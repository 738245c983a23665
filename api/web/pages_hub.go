package web

import (
	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/workflows"
)

// The hub's forms on the case page, by name: each is a form of the page whose fields
// are named "<form>.<field>".
const (
	formPropose          = "proposta"
	formWithdrawProposal = "ritiro-proposta"
	formReassign         = "riassegnazione"
)

// registerHubPages registers the hub's action routes. UST takes the same actions (past
// the proposal limit, or for a case without a hub): the workflow decides who may.
func (w *Web) registerHubPages(r gin.IRoutes) {
	r.POST("/casi/:id/proposta", w.caseAction(formPropose, workflows.UpdatePropose, "proposta", parsePropose))
	r.POST("/casi/:id/ritiro-proposta", w.caseAction(formWithdrawProposal, workflows.UpdateWithdrawProposal, "proposta_ritirata", parseWithdrawProposal))
	r.POST("/casi/:id/riassegnazione", w.caseAction(formReassign, workflows.UpdateReassign, "riassegnazione", parseReassign))
}

// hubForms is what the hub's forms on the case page need. A nil slice of options means
// the form is not shown.
type hubForms struct {
	// Propose is true in the stage a school is proposed in; Schools are the schools of
	// the case's hub that teach its level, and ClassYears the years of that level.
	Propose    bool
	Schools    []option
	ClassYears []option
	// SuggestedYear is the class the age suggests, 0 when none.
	SuggestedYear int
	// Withdraw is true while a proposal waits for the school.
	Withdraw bool
	// Reassign is true before a school is proposed and for a case without a hub; Hubs
	// are the other hubs. Assign says the case has no hub yet.
	Reassign bool
	Assign   bool
	Hubs     []option
}

// hubActions is what the hub's action forms on the case page need (nil: none to show):
// they are shown to the case's hub and to UST.
func (w *Web) hubActions(c *gin.Context, v app.CaseView) (any, error) {
	actor := actorOf(c)
	if actor != casework.UST && (!actor.IsHub() || actor.String() != v.Case.Hub) {
		return nil, nil
	}
	f, err := w.hubFormsFor(c, actor, v)
	if err != nil || f == nil {
		return nil, err
	}
	return f, nil
}

// hubFormsFor builds the hub's forms that fit the case's stage; nil when none does. The
// stage only chooses which forms to show: whether the action may be taken is the
// workflow's to say when the form is sent.
func (w *Web) hubFormsFor(c *gin.Context, reader casework.Org, v app.CaseView) (*hubForms, error) {
	ctx := c.Request.Context()
	stage := casework.Stage(v.Case.Stage)
	f := &hubForms{SuggestedYear: v.Case.SuggestedYear}
	hub, hubErr := casework.ParseOrg(v.Case.Hub)
	hasHub := hubErr == nil && hub.IsHub()
	switch stage {
	case casework.StageAwaitingProposal:
		f.Propose, f.Reassign = hasHub, true
	case casework.StageAwaitingDecision:
		f.Withdraw = true
	case casework.StageUnrouted:
		f.Reassign, f.Assign = true, true
	default:
		return nil, nil
	}
	if f.Propose {
		schools, err := w.app.Schools(ctx, reader, hub, enrolment.Level(v.Case.Level))
		if err != nil {
			return nil, err
		}
		for _, s := range schools {
			f.Schools = append(f.Schools, option{Value: s.Code, Label: s.Name + " (" + s.Code + ")"})
		}
		f.ClassYears = yearOptions(maxClassYear(v.Case.Level))
	}
	if f.Reassign {
		hubs, err := w.app.Hubs(ctx)
		if err != nil {
			return nil, err
		}
		for _, h := range hubs {
			if h.Org.String() == v.Case.Hub {
				continue
			}
			f.Hubs = append(f.Hubs, option{Value: h.Org.String(), Label: h.Name})
		}
	}
	return f, nil
}

// parsePropose reads the proposal form: the school, the class year (empty keeps the
// suggested one) and a note.
func parsePropose(actor casework.Org, get formValues) (any, error) {
	year, err := optionalInt(get, "classYear", "deve essere un numero di classe, ad esempio 2")
	if err != nil {
		return nil, err
	}
	return workflows.ProposeInput{Actor: actor, School: get("school"), Year: year, Note: get("note")}, nil
}

// parseWithdrawProposal reads the form that takes back a proposal.
func parseWithdrawProposal(actor casework.Org, get formValues) (any, error) {
	return workflows.WithdrawProposalInput{Actor: actor, Note: get("note")}, nil
}

// parseReassign reads the form that hands the case to another hub.
func parseReassign(actor casework.Org, get formValues) (any, error) {
	hub, err := casework.ParseOrg(get("hub"))
	if err != nil || !hub.IsHub() {
		return nil, app.Invalid("hub", "scegliere un CTI o un Polo START")
	}
	return workflows.ReassignInput{Actor: actor, Hub: hub, Note: get("note")}, nil
}
