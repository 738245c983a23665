package web

import (
	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/workflows"
)

// The school's forms on the case page, by name.
const (
	formAccept     = "accetta"
	formReject     = "rifiuta"
	formAttendance = "frequenza"
	formDropout    = "dispersione"
)

// registerSchoolPages registers the school's action routes and the direct enrolment.
func (w *Web) registerSchoolPages(r gin.IRoutes) {
	r.POST("/casi/:id/decisione", w.decideSubmit)
	r.POST("/casi/:id/frequenza", w.caseAction(formAttendance, workflows.UpdateConfirmAttendance, "frequenza", parseAttendance))
	r.POST("/casi/:id/segnalazione-dispersione", w.caseAction(formDropout, workflows.UpdateReportDropoutRisk, "segnalazione_dispersione", parseDropoutReport))
	r.GET("/casi/iscrizione-diretta", w.directPage)
	r.POST("/casi/iscrizione-diretta", w.directSubmit)
}

// schoolForms is what the school's forms on the case page need.
type schoolForms struct {
	// Decide is true while the case waits for this school's decision; ClassYears are the
	// years of the case's level and ProposedYear the one the hub chose.
	Decide       bool
	ClassYears   []option
	ProposedYear int
	Reasons      []option
	// Attendance is true while a follow-up check waits for the school's answer.
	Attendance bool
	// Dropout is true for a pupil enrolled in this school.
	Dropout bool
}

// schoolActions is what the school's action forms on the case page need (nil: none to
// show): they are shown to the school the case is proposed to or placed in.
func (w *Web) schoolActions(c *gin.Context, v app.CaseView) (any, error) {
	actor := actorOf(c)
	if actor.Kind != casework.OrgSchool {
		return nil, nil
	}
	f := schoolFormsFor(w, actor, v)
	if f == nil {
		return nil, nil
	}
	return f, nil
}

func schoolFormsFor(w *Web, school casework.Org, v app.CaseView) *schoolForms {
	k := v.Case
	f := &schoolForms{}
	switch casework.Stage(k.Stage) {
	case casework.StageAwaitingDecision:
		if k.School != school.Code {
			return nil
		}
		f.Decide = true
		f.ClassYears = yearOptions(maxClassYear(k.Level))
		f.ProposedYear = k.Year
		for _, r := range casework.RejectionReasons {
			f.Reasons = append(f.Reasons, option{Value: r, Label: w.label("web.school.rejection", r)})
		}
	case casework.StageEnrolled:
		if k.Placement == nil || k.Placement.School != school.Code {
			return nil
		}
		f.Dropout = true
		f.Attendance = k.Task != nil && k.Task.Kind == casework.TaskConfirmAttendance
	default:
		return nil
	}
	return f
}

// decideSubmit is the school's decision: two forms, one that accepts (with the class,
// section and first day) and one that rejects (with a reason), posted to one route; the
// hidden "decisione" says which.
func (w *Web) decideSubmit(c *gin.Context) {
	form := c.PostForm("decisione")
	switch form {
	case formAccept:
		w.actOnCase(c, formAccept, workflows.UpdateDecide, "accettazione", parseAccept)
	case formReject:
		w.actOnCase(c, formReject, workflows.UpdateDecide, "rifiuto", parseReject)
	default:
		w.refuseCaseForm(c, c.Param("id"), formAccept, app.Invalid("decisione", "scegliere se accettare o rifiutare"))
	}
}

// parseAccept reads the acceptance: the class year (empty keeps the proposed one), the
// section and the first day at school.
func parseAccept(actor casework.Org, get formValues) (any, error) {
	year, err := optionalInt(get, "classYear", "deve essere un numero di classe, ad esempio 2")
	if err != nil {
		return nil, err
	}
	return workflows.DecideInput{Actor: actor, Accept: true, Year: year, Section: get("section"), StartDate: get("startDate")}, nil
}

// parseReject reads the rejection: the reason and a note (required for "other", which
// the workflow checks).
func parseReject(actor casework.Org, get formValues) (any, error) {
	return workflows.DecideInput{Actor: actor, Accept: false, Reason: get("reason"), Note: get("note")}, nil
}

// parseAttendance reads the answer to a follow-up check: attending "si" or "no".
func parseAttendance(actor casework.Org, get formValues) (any, error) {
	var attending bool
	switch get("attending") {
	case "si":
		attending = true
	case "no":
	default:
		return nil, app.Invalid("attending", "indicare se l'alunno frequenta")
	}
	return workflows.AttendanceInput{Actor: actor, Attending: attending, Note: get("note")}, nil
}

// parseDropoutReport reads the school's own report of a pupil at risk.
func parseDropoutReport(actor casework.Org, get formValues) (any, error) {
	return workflows.ReportDropoutRiskInput{Actor: actor, Note: get("note")}, nil
}
