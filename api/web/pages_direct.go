package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/enrolment"
)

// directData is what the direct enrolment page needs: the choices of its selects.
type directData struct {
	Comuni     []option
	Levels     []option
	Origins    []option
	Sexes      []option
	ClassYears []option
}

// directPage is a school's form for a minor it enrolled on its own: the request, as a
// comune would file it, and the placement. Only a school registers one.
func (w *Web) directPage(c *gin.Context) {
	if actorOf(c).Kind != casework.OrgSchool {
		w.renderError(c, http.StatusForbidden, "web.school.only")
		return
	}
	w.renderDirect(c, http.StatusOK, view{Values: map[string]string{"request.requestId": uuid.NewString()}})
}

func (w *Web) renderDirect(c *gin.Context, status int, v view) {
	comuni, err := w.app.Comuni(c.Request.Context())
	if err != nil {
		w.fail(c, err)
		return
	}
	d := directData{ClassYears: yearOptions(5), Sexes: []option{{Value: "F", Label: "Femmina"}, {Value: "M", Label: "Maschio"}}}
	for _, k := range comuni {
		d.Comuni = append(d.Comuni, option{Value: k.ISTAT, Label: k.Name + " (" + k.ISTAT + ")"})
	}
	d.Levels = w.levelOptions()
	for _, o := range enrolment.Origins {
		d.Origins = append(d.Origins, option{Value: string(o), Label: w.label("web.cases.origin", string(o))})
	}
	v.Data = d
	w.render(c, status, "direct", v)
}

// directSubmit files the direct enrolment through app.FileDirectEnrolment: the case
// starts enrolled. The request's inputs are the new request form's, named
// "request.<field>" (request.minor.givenName), the placement's "placement.<field>", as
// the app names them in its errors, so each error lands next to its input. The hidden
// request ID makes a repeated submission find the same case.
func (w *Web) directSubmit(c *gin.Context) {
	_ = c.Request.ParseForm()
	r, p, err := directFromForm(c.Request.PostForm)
	if err == nil {
		var filed app.Filed
		filed, err = w.app.FileDirectEnrolment(c.Request.Context(), actorOf(c), r, p)
		if err == nil && filed.Pending {
			w.render(c, http.StatusAccepted, "received", view{Data: filed.CaseID})
			return
		}
		if err == nil {
			redirect(c, "/casi/"+filed.CaseID+"?esito=iscrizione_diretta")
			return
		}
	}
	refused, ok := w.explain(err)
	if !ok {
		w.fail(c, err)
		return
	}
	var fields []app.FieldError
	for name, reason := range refused.Fields {
		fields = append(fields, app.FieldError{Field: name, Reason: reason})
	}
	values := directFormValues(c.Request.PostForm)
	if values["request.requestId"] == "" {
		values["request.requestId"] = uuid.NewString()
	}
	w.renderDirect(c, statusOf(err), view{Alert: refused.Alert, AlertLink: refused.Link, Errors: directErrors(fields), Values: values})
}

// placementFields are the inputs of the placement.
var placementFields = []string{"placement.classYear", "placement.section", "placement.startDate"}

// directFromForm reads the direct enrolment form with the request form's parser
// (parseRequestForm) on the "request." fields. Numbers that are not numbers are refused
// here, every one at once; every other rule is the app's.
func directFromForm(form url.Values) (enrolment.Request, app.Placement, error) {
	request := url.Values{}
	for name, vs := range form {
		if rest, ok := strings.CutPrefix(name, "request."); ok {
			request[rest] = vs
		}
	}
	r, bad := parseRequestForm(request)
	fields := make([]app.FieldError, 0, len(bad))
	for _, f := range bad {
		fields = append(fields, app.FieldError{Field: "request." + f.Field, Reason: f.Reason})
	}
	p := app.Placement{Section: strings.TrimSpace(form.Get("placement.section")), StartDate: strings.TrimSpace(form.Get("placement.startDate"))}
	if s := strings.TrimSpace(form.Get("placement.classYear")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			fields = append(fields, app.FieldError{Field: "placement.classYear", Reason: "deve essere un numero di classe, ad esempio 2"})
		}
		p.Year = n
	}
	if len(fields) > 0 {
		return r, p, &app.InvalidError{Fields: fields}
	}
	return r, p, nil
}

// directFormValues are the typed values of the form, to show it again as it was.
func directFormValues(form url.Values) map[string]string {
	values := map[string]string{}
	for _, name := range requestFields {
		if v := form.Get("request." + name); v != "" {
			values["request."+name] = v
		}
	}
	for _, name := range placementFields {
		if v := form.Get(name); v != "" {
			values[name] = v
		}
	}
	return values
}

// directErrors puts each error of the app on its input: the request's as the request
// form does (requestErrors), under "request.", the placement's as they are.
func directErrors(fields []app.FieldError) map[string]string {
	var request []app.FieldError
	out := map[string]string{}
	for _, f := range fields {
		if rest, ok := strings.CutPrefix(f.Field, "request."); ok {
			request = append(request, app.FieldError{Field: rest, Reason: f.Reason})
			continue
		}
		out[f.Field] = f.Reason
	}
	for name, reason := range requestErrors(request) {
		out["request."+name] = reason
	}
	return out
}
