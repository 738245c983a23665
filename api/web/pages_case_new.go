package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
)

// newCaseForm is the Data of the new request's page (templates/pages/case_new.html).
type newCaseForm struct {
	// Comune is the comune a comune's person files for, fixed; empty for UST, who
	// chooses.
	Comune   string
	Levels   []option
	Origins  []option
	Sexes    []option
	Municipi []option
}

func (w *Web) newCaseForm(actor casework.Org) newCaseForm {
	f := newCaseForm{Levels: w.levelOptions(), Sexes: []option{{"F", "F"}, {"M", "M"}}}
	if actor.Kind == casework.OrgComune {
		f.Comune = actor.Code
	}
	for _, o := range enrolment.Origins {
		f.Origins = append(f.Origins, option{Value: string(o), Label: w.label("web.cases.origin", string(o))})
	}
	for i := 1; i <= enrolment.MunicipiOfMilano; i++ {
		n := strconv.Itoa(i)
		f.Municipi = append(f.Municipi, option{Value: n, Label: "Municipio " + n})
	}
	return f
}

// mayFile reports whether the organisation files requests: a comune, for its residents,
// or UST. The app decides; this only avoids showing a form that cannot succeed.
func mayFile(actor casework.Org) bool {
	return actor.Kind == casework.OrgComune || actor == casework.UST
}

// newCasePage shows an empty request form with a fresh request ID, so that submitting
// the same form twice files one case.
func (w *Web) newCasePage(c *gin.Context) {
	actor := actorOf(c)
	if !mayFile(actor) {
		w.renderError(c, http.StatusForbidden, "web.cases.new.not_allowed")
		return
	}
	form := w.newCaseForm(actor)
	values := map[string]string{"requestId": uuid.NewString(), "comune": form.Comune}
	w.render(c, http.StatusOK, "case_new", view{Values: values, Data: form})
}

// newCaseSubmit files the request and sends the browser to the new case; a refused
// request comes back with every wrong field at once and what was typed.
func (w *Web) newCaseSubmit(c *gin.Context) {
	actor := actorOf(c)
	if !mayFile(actor) {
		w.renderError(c, http.StatusForbidden, "web.cases.new.not_allowed")
		return
	}
	form := w.newCaseForm(actor)
	_ = c.Request.ParseForm()
	values := requestFormValues(c.Request.PostForm)
	if form.Comune != "" {
		// A comune files for its own residents: the field is not the person's to change.
		values["comune"] = form.Comune
		c.Request.PostForm.Set("comune", form.Comune)
	}
	if values["requestId"] == "" {
		values["requestId"] = uuid.NewString()
		c.Request.PostForm.Set("requestId", values["requestId"])
	}
	var link *navItem
	again := func(status int, alert string, fields []app.FieldError) {
		w.render(c, status, "case_new", view{Alert: alert, AlertLink: link, Errors: labelled(requestErrors(fields), w.requestLabel), Values: values, Data: form})
	}
	r, parseErrors := parseRequestForm(c.Request.PostForm)
	if len(parseErrors) > 0 {
		// Some numbers are not numbers: tell them with every other wrong field, as the
		// request's own validation finds them, without filing anything.
		fields := parseErrors
		var v *enrolment.ValidationError
		if err := r.Normalize().Validate(w.app.Now()); errors.As(err, &v) {
			for _, f := range v.Fields {
				if !hasField(parseErrors, f.Field) {
					fields = append(fields, app.FieldError{Field: f.Field, Reason: f.Reason})
				}
			}
		}
		again(http.StatusUnprocessableEntity, w.t("web.refusal.invalid"), fields)
		return
	}
	filed, err := w.app.FileRequest(c.Request.Context(), actor, r)
	if err != nil {
		var invalid *app.InvalidError
		var refused *app.RefusedError
		switch {
		case errors.As(err, &invalid):
			again(http.StatusUnprocessableEntity, w.t("web.refusal.invalid"), invalid.Fields)
		case errors.As(err, &refused) && refused.Reason == app.RefusedInvalid:
			again(statusOf(err), w.t("web.refusal.invalid"), []app.FieldError{{Field: refused.Field, Reason: refused.Message}})
		default:
			r, ok := w.explain(err)
			if !ok {
				w.fail(c, err)
				return
			}
			link = r.Link
			again(statusOf(err), r.Alert, nil)
		}
		return
	}
	if filed.Pending {
		w.render(c, http.StatusAccepted, "received", view{Data: filed.CaseID})
		return
	}
	redirect(c, "/casi/"+filed.CaseID+"?esito=richiesta_inviata")
}

func hasField(fields []app.FieldError, name string) bool {
	for _, f := range fields {
		if f.Field == name {
			return true
		}
	}
	return false
}

// requestLabel is the label of an input of the request form, for the error summary.
func (w *Web) requestLabel(name string) string {
	return w.label("web.cases.field", strings.ReplaceAll(name, ".", "_"))
}
