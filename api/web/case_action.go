package web

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
)

// formValues reads the fields of one form of the case page. Every field of a form is
// named "<form>.<field>" (proposta.school, rifiuta.note), so that the forms of a page
// never share an id and a refusal's errors land on the form that failed.
type formValues func(field string) string

// parseInput builds an Update's input from a form, for the acting organisation; wrong
// fields are an app.InvalidError named as the API names them (classYear, not
// proposta.classYear).
type parseInput func(actor casework.Org, get formValues) (any, error)

// caseAction is the handler of one action form of the case page: it sends the Update
// through app.Act with the form's idempotency key, then sends the browser back to the
// case page with the outcome (Post/Redirect/Get), or re-shows the page with the form's
// refusal. The workflow's validator decides whether the action may be taken.
func (w *Web) caseAction(form, update, outcome string, parse parseInput) gin.HandlerFunc {
	return func(c *gin.Context) {
		w.actOnCase(c, form, update, outcome, parse)
	}
}

func (w *Web) actOnCase(c *gin.Context, form, update, outcome string, parse parseInput) {
	id := c.Param("id")
	get := formGetter(c, form)
	err := w.app.Act(c.Request.Context(), actorOf(c), app.Action{
		Subject: app.SubjectCase, ID: id, Key: c.PostForm("key"), Update: update,
		Input: func(actor casework.Org) (any, error) { return parse(actor, get) },
	})
	if err != nil {
		w.refuseCaseForm(c, id, form, err)
		return
	}
	redirect(c, "/casi/"+id+"?esito="+outcome)
}

// formGetter reads the trimmed fields of form from the posted body.
func formGetter(c *gin.Context, form string) formValues {
	return func(field string) string { return strings.TrimSpace(c.PostForm(form + "." + field)) }
}

// refuseCaseForm re-shows the case page with why the form was refused, its wrong fields
// (renamed to the form's) and what was typed. A case the person may not see is a 404.
func (w *Web) refuseCaseForm(c *gin.Context, id, form string, err error) {
	var notFound *app.NotFoundError
	r, ok := w.explain(err)
	if !ok || errors.As(err, &notFound) {
		w.fail(c, err)
		return
	}
	w.renderCase(c, id, statusOf(err), failedForm(c, form, r))
}

// failedForm is the state of a refused form: the app's field names are prefixed with the
// form's, and the values are the form's own fields as posted.
func failedForm(c *gin.Context, form string, r refusal) *formState {
	state := &formState{Form: form, Alert: r.Alert, Errors: map[string]string{}, Values: map[string]string{}}
	for field, reason := range r.Fields {
		state.Errors[form+"."+field] = reason
	}
	_ = c.Request.ParseForm()
	for name, vs := range c.Request.PostForm {
		if strings.HasPrefix(name, form+".") && len(vs) > 0 {
			state.Values[name] = vs[0]
		}
	}
	return state
}

// optionalInt reads an optional whole number: empty is 0.
func optionalInt(get formValues, field, reason string) (int, error) {
	s := get(field)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, app.Invalid(field, reason)
	}
	return n, nil
}

// yearOptions are the class years 1 to max, for a select.
func yearOptions(max int) []option {
	out := make([]option, max)
	for i := range out {
		n := strconv.Itoa(i + 1)
		out[i] = option{Value: n, Label: n + "ª"}
	}
	return out
}

// maxClassYear is the highest class of a level with numbered classes, 0 for the others
// (infanzia, CPIA); the workflow checks the year, this only sizes the select.
func maxClassYear(level string) int {
	switch level {
	case "primaria", "secondaria_secondo_grado":
		return 5
	case "secondaria_primo_grado":
		return 3
	}
	return 0
}
