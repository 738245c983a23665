package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/reunification/intake"
)

// The Prefettura's pages: send one family through a form, or a CSV/XLSX file of families,
// checked whole before anything is kept, then follow the import. The one-stop shop may
// use them too (a family it opens by hand).

func (w *Web) registerPrefetturaPages(r gin.IRoutes) {
	r.GET("/famiglie", w.familiesPage)
	r.POST("/famiglie/nuova", w.sendFamilySubmit)
	r.POST("/famiglie/file", w.familyFileSubmit)
	r.GET("/famiglie/file/:id", w.importPage)
}

// formMembers is how many member rows the family form has; blank rows are ignored.
const formMembers = 4

// familiesPage is the Data of templates/pages/families.html.
type familiesPage struct {
	// Members are the member rows: index and number from 1.
	Members []formMember
	// ReferralKinds are who may refer a family (the referral page).
	ReferralKinds []option
	// Relations, Sexes are the selects' options.
	Relations, Sexes []option
	// Sent is the journey a family just sent opened or found (from the redirect's
	// address): its ID and stage; empty when none.
	SentID, SentStage string
	// Rejected are the invalid families of a file that was refused, nothing kept.
	Rejected []rejectedRow
	// Filename is the refused file's name.
	Filename string
	// Lines, Valid count the refused file's data rows and valid families.
	Lines, Valid int
	// ReferralForm is true on the one-stop shop's referral page (see pages_journeys.go).
	ReferralForm bool
}

// formMember is a member row of the family form.
type formMember struct{ I, N int }

// rejectedRow is one error of a file: line, column, family reference, reason.
type rejectedRow struct {
	Line      int
	Column    string
	Reference string
	Reason    string
}

func (w *Web) newFamiliesPage() familiesPage {
	p := familiesPage{
		Relations: []option{{"child", w.t("web.fami.relation.child")}, {"spouse", w.t("web.fami.relation.spouse")}, {"parent", w.t("web.fami.relation.parent")}},
		Sexes:     []option{{"F", "F"}, {"M", "M"}},
	}
	for i := range formMembers {
		p.Members = append(p.Members, formMember{I: i, N: i + 1})
	}
	return p
}

// familiesPage shows the two ways of sending families, and the outcome of the last one.
func (w *Web) familiesPage(c *gin.Context) {
	if !sendsFamilies(actorOf(c)) {
		w.renderError(c, http.StatusForbidden, "web.fami.error.not_sender")
		return
	}
	p := w.newFamiliesPage()
	if id := c.Query("percorso"); uuidPattern.MatchString(id) {
		p.SentID, p.SentStage = id, c.Query("fase")
	}
	w.render(c, http.StatusOK, "families", w.famiView(c, p, nil))
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func sendsFamilies(o casework.Org) bool {
	return o.Kind == casework.OrgPrefettura || o.Kind == casework.OrgOneStopShop
}

// sendFamilySubmit sends one family; the page then says which journey it opened.
func (w *Web) sendFamilySubmit(c *gin.Context) {
	f, rows, err := familyFromForm(c)
	if err == nil {
		var filed app.JourneyFiled
		filed, err = w.app.SendFamily(c.Request.Context(), actorOf(c), f)
		if err == nil {
			outcome := "famiglia_aperta"
			if !filed.Created {
				outcome = "famiglia_gia_inviata"
			}
			redirect(c, "/famiglie?"+url.Values{"esito": {outcome}, "percorso": {filed.ID}, "fase": {filed.Stage}}.Encode())
			return
		}
	}
	w.refuseFamilyForm(c, "families", w.newFamiliesPage(), rows, err)
}

// refuseFamilyForm shows a family form again with why it was refused; members' errors
// are renamed from the sent family's indexes to the form's rows.
func (w *Web) refuseFamilyForm(c *gin.Context, page string, p familiesPage, rows []int, err error) {
	r, ok := w.explain(err)
	if !ok {
		w.fail(c, err)
		return
	}
	failed := w.famiRefusal(c, "", r)
	renamed := map[string]string{}
	for field, reason := range failed.Errors {
		renamed[memberRow(field, rows)] = reason
	}
	failed.Errors = renamed
	if errors.Is(err, app.ErrFamilyConflict) {
		failed.Errors["reference"] = w.t("web.fami.reference_conflict")
	}
	w.render(c, statusOf(err), page, w.famiView(c, p, failed))
}

var memberField = regexp.MustCompile(`^members\[(\d+)\]`)

// memberRow renames members[i].x, i being the index among the filled rows, to the form's
// row.
func memberRow(field string, rows []int) string {
	m := memberField.FindStringSubmatch(field)
	if m == nil {
		return field
	}
	i, _ := strconv.Atoi(m[1])
	if i >= len(rows) {
		return field
	}
	return fmt.Sprintf("members[%d]", rows[i]) + field[len(m[0]):]
}

// familyFromForm reads the family form; rows are the form rows of the members sent, in
// order. A blank member row is left out.
func familyFromForm(c *gin.Context) (reunification.Family, []int, error) {
	get := func(name string) string { return strings.TrimSpace(c.PostForm(name)) }
	f := reunification.Family{
		Reference: get("reference"),
		Sponsor: reunification.Sponsor{
			GivenName: get("sponsor.givenName"), FamilyName: get("sponsor.familyName"), Phone: get("sponsor.phone"),
			Email: get("sponsor.email"), Comune: get("sponsor.comune"), Address: get("sponsor.address"),
		},
		NullaOsta:       reunification.NullaOsta{Number: get("nullaOsta.number"), IssuedOn: get("nullaOsta.issuedOn")},
		ExpectedArrival: get("expectedArrival"),
		Language:        get("language"),
		Notes:           get("notes"),
	}
	if m := get("sponsor.municipio"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			return f, nil, app.Invalid("sponsor.municipio", "deve essere un numero da 1 a 9")
		}
		f.Sponsor.Municipio = n
	}
	var rows []int
	for i := range formMembers {
		p := fmt.Sprintf("members[%d].", i)
		m := reunification.Member{
			GivenName: get(p + "givenName"), FamilyName: get(p + "familyName"), BirthDate: get(p + "birthDate"),
			Sex: get(p + "sex"), Relation: reunification.Relation(get(p + "relation")), Citizenship: get(p + "citizenship"),
		}
		if m.GivenName == "" && m.FamilyName == "" && m.BirthDate == "" && m.Citizenship == "" {
			continue // a blank row, whatever its selects say
		}
		f.Members = append(f.Members, m)
		rows = append(rows, i)
	}
	return f, rows, nil
}

// familyFileSubmit checks a whole file: with an invalid family nothing is kept and the
// page lists every error with its line and column, unless the sender asked to import
// the valid families anyway. Then the import starts and its page follows it.
func (w *Web) familyFileSubmit(c *gin.Context) {
	actor := actorOf(c)
	if err := app.CheckFileSender(actor); err != nil {
		w.fail(c, err)
		return
	}
	p := w.newFamiliesPage()
	fh, err := c.FormFile("file")
	if err != nil {
		w.refuseFile(c, p, app.Invalid("file", w.t("web.fami.file.required")))
		return
	}
	if fh.Size > intake.MaxBytes {
		w.refuseFile(c, p, app.Invalid("file", w.t("web.fami.file.too_large")))
		return
	}
	file, err := fh.Open()
	if err != nil {
		w.fail(c, err)
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, intake.MaxBytes+1))
	if err != nil {
		w.fail(c, err)
		return
	}
	result, err := w.app.CheckFamilyFile(fh.Filename, data)
	if err != nil {
		w.refuseFile(c, p, err)
		return
	}
	if len(result.Rejected) > 0 && !checkbox(c.PostForm("ignoraErrori")) {
		p.Filename, p.Lines, p.Valid = fh.Filename, result.Lines, len(result.Families)
		p.Rejected = rejectedRows(result.Rejected)
		v := w.famiView(c, p, nil)
		v.Alert = w.tArgs("web.fami.file.rejected", "Count", len(result.Rejected))
		w.render(c, http.StatusUnprocessableEntity, "families", v)
		return
	}
	imp, _, err := w.app.StartImport(c.Request.Context(), actor, fh.Filename, data)
	if err != nil {
		w.refuseFile(c, p, err)
		return
	}
	redirect(c, "/famiglie/file/"+imp.ID+"?esito=file_ricevuto")
}

func (w *Web) refuseFile(c *gin.Context, p familiesPage, err error) {
	r, ok := w.explain(err)
	if !ok {
		w.fail(c, err)
		return
	}
	failed := &famiFailed{Alert: r.Alert, Errors: r.Fields}
	w.render(c, statusOf(err), "families", w.famiView(c, p, failed))
}

// rejectedRows flattens the invalid families' errors, in file order.
func rejectedRows(rejected []intake.RejectedFamily) []rejectedRow {
	var out []rejectedRow
	for _, r := range rejected {
		for _, e := range r.Errors {
			out = append(out, rejectedRow{Line: e.Line, Column: e.Column, Reference: r.Reference, Reason: e.Reason})
		}
	}
	return out
}

// importPageData is the Data of templates/pages/family_import.html.
type importPageData struct {
	Import   app.ImportView
	Rejected []rejectedRow
	// Percent is how many valid families have their journey, in percent.
	Percent int
}

// importPage follows an import: until it is done, approdo.js fetches the page every few
// seconds and replaces its status region (data-aggiorna). A meta refresh would reload
// the whole page under its reader, which WCAG 2.2.1 forbids (axe's meta-refresh rule).
func (w *Web) importPage(c *gin.Context) {
	imp, err := w.app.Import(c.Request.Context(), actorOf(c), c.Param("id"))
	var invalid *app.InvalidError
	if errors.Is(err, app.ErrImportNotFound) || errors.As(err, &invalid) {
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
		return
	}
	if err != nil {
		w.fail(c, err)
		return
	}
	w.render(c, http.StatusOK, "family_import", w.famiView(c, importData(imp), nil))
}

func importData(imp app.ImportView) importPageData {
	d := importPageData{Import: imp, Rejected: rejectedRows(imp.RejectedFamilies), Percent: 100}
	if imp.Families > 0 {
		d.Percent = imp.Started * 100 / imp.Families
	}
	return d
}
