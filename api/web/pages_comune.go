package web

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
	"github.com/approdo/approdo/workflows"
)

// The comune's forms on the case page, and the outcomes they redirect with.
const (
	formWithdraw = "ritiro"
	formTransfer = "trasferimento"
	formAmend    = "correzione"
)

// registerComunePages registers the comune's action routes: withdrawing the request
// and transferring the case to the comune the family moved to. UST may take both.
func (w *Web) registerComunePages(r gin.IRoutes) {
	r.POST("/casi/:id/ritiro", w.caseAction(formWithdraw, workflows.UpdateWithdraw, "ritirata", parseWithdraw))
	r.POST("/casi/:id/trasferimento", w.transferSubmit)
	r.POST("/casi/:id/correzione", w.amendSubmit)
}

// comuneForms is what the comune's action forms need (templates/case_actions_comune.html).
type comuneForms struct {
	// Withdraw, Transfer and Amend say which forms to show. The workflow decides
	// whether the action may be taken; these only hide a form that cannot succeed.
	Withdraw, Transfer, Amend bool
	Reasons                   []option
	Municipi                  []option
	// AmendReasons and Request are the correction form's reasons and its other options
	// (level, origin, sex); AmendValues its fields filled in with the request as it
	// reads now, named "correzione.<field>".
	AmendReasons []option
	Request      newCaseForm
	AmendValues  map[string]string
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
	// The request is corrected by the comune the case belongs to now, or UST, until the
	// case closes (amend.go in workflows says why the level and municipio stop at
	// enrolment).
	if actor == casework.UST || (actor.Kind == casework.OrgComune && actor.Code == cs.Comune) {
		switch casework.Stage(cs.Stage) {
		case casework.StageUnrouted, casework.StageAwaitingProposal, casework.StageAwaitingDecision, casework.StageEnrolled:
			f.Amend = true
			f.Request = w.newCaseForm(actor)
			f.AmendValues = amendValues(app.RequestOf(cs))
			for _, r := range casework.AmendmentReasons {
				f.AmendReasons = append(f.AmendReasons, option{Value: r, Label: w.label("web.cases.amendment", r)})
			}
		}
	}
	if !f.Withdraw && !f.Transfer && !f.Amend {
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

// amendValues are the correction form's fields filled in with r, as the request form
// names them, prefixed with the form's name.
func amendValues(r enrolment.Request) map[string]string {
	v := map[string]string{
		"level": string(r.Level), "origin": string(r.Origin),
		"minor.givenName": r.Minor.GivenName, "minor.familyName": r.Minor.FamilyName,
		"minor.birthDate": r.Minor.BirthDate, "minor.sex": r.Minor.Sex,
		"minor.citizenship": r.Minor.Citizenship, "minor.codiceFiscale": r.Minor.CodiceFiscale,
		"languages":                      strings.Join(r.Languages, ", "),
		"priorSchooling.lastClassAbroad": r.PriorSchooling.LastClassAbroad,
		"specialNeeds.note":              r.SpecialNeeds.Note,
		"guardian.name":                  r.Guardian.Name, "guardian.phone": r.Guardian.Phone,
		"guardian.email": r.Guardian.Email, "guardian.preferredLanguage": r.Guardian.PreferredLanguage,
		"residence.address": r.Residence.Address, "notes": r.Notes,
	}
	if r.PriorSchooling.Years != 0 {
		v["priorSchooling.years"] = strconv.Itoa(r.PriorSchooling.Years)
	}
	if r.SpecialNeeds.Present {
		v["specialNeeds.present"] = "1"
	}
	if r.Residence.Municipio != 0 {
		v["residence.municipio"] = strconv.Itoa(r.Residence.Municipio)
	}
	out := make(map[string]string, len(v))
	for name, value := range v {
		if value != "" {
			out[formAmend+"."+name] = value
		}
	}
	return out
}

// amendSubmit corrects the request. The form's fields are the request form's, prefixed
// "correzione."; they are read as a new request is (parseRequestForm), validated by the
// app as a filing (app.AmendInput) and sent through Act like every action.
func (w *Web) amendSubmit(c *gin.Context) {
	w.actOnCase(c, formAmend, workflows.UpdateAmend, "corretta", func(actor casework.Org, get formValues) (any, error) {
		_ = c.Request.ParseForm()
		form := url.Values{}
		for name, vs := range c.Request.PostForm {
			if field, ok := strings.CutPrefix(name, formAmend+"."); ok {
				form[field] = vs
			}
		}
		r, parseErrors := parseRequestForm(form)
		if len(parseErrors) > 0 {
			return nil, onInputs(&app.InvalidError{Fields: parseErrors})
		}
		a := app.Amendment{Request: r, Reason: get("reason"), Note: get("note")}
		in, err := w.app.AmendInput(c.Request.Context(), c.Param("id"), a)(actor)
		return in, onInputs(err)
	})
}

// onInputs renames the fields of an InvalidError to the inputs they land on
// (requestFieldOf: languages[2] on languages, guardian on the phone).
func onInputs(err error) error {
	var invalid *app.InvalidError
	if !errors.As(err, &invalid) {
		return err
	}
	fields := make([]app.FieldError, len(invalid.Fields))
	for i, f := range invalid.Fields {
		fields[i] = app.FieldError{Field: requestFieldOf(f.Field), Reason: f.Reason}
	}
	return &app.InvalidError{Fields: fields}
}
