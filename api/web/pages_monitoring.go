package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/api/web/static"
	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// registerMonitoringPages registers UST's territorial monitoring: the dashboard, its
// exports and the supervisor's lists. They are UST's only: anyone else gets the
// not-found page, as for a case they may not see.
func (w *Web) registerMonitoringPages(r gin.IRoutes) {
	r.GET("/monitoraggio", w.ustOnly, w.monitoringPage)
	r.GET("/monitoraggio/esporta", w.ustOnly, w.monitoringExport)
	r.GET("/monitoraggio/liste", w.ustOnly, w.supervisionPage)
}

// ustOnly answers the not-found page to anyone but UST.
func (w *Web) ustOnly(c *gin.Context) {
	if actorOf(c) != casework.UST {
		w.renderError(c, http.StatusNotFound, "web.error.not_found")
	}
}

// monitoringFilter is the dashboard's GET form: the dimension of the main table and the
// period of filing, as dates (To included).
type monitoringFilter struct {
	By       store.Dimension
	From, To time.Time
}

// query is the app's question: its To is the day after the form's, which includes it.
func (f monitoringFilter) query(by store.Dimension) app.MonitoringQuery {
	q := app.MonitoringQuery{By: by, From: f.From}
	if !f.To.IsZero() {
		q.To = f.To.AddDate(0, 0, 1)
	}
	return q
}

// params are the filter as the form's fields, for the export links.
func (f monitoringFilter) params() string {
	p := "per=" + string(f.By)
	if !f.From.IsZero() {
		p += "&dal=" + f.From.Format(time.DateOnly)
	}
	if !f.To.IsZero() {
		p += "&al=" + f.To.Format(time.DateOnly)
	}
	return p
}

// schoolYearStart is the 1st of September that began the school year of now.
func schoolYearStart(now time.Time) time.Time {
	now = now.In(rome)
	year := now.Year()
	if now.Month() < time.September {
		year--
	}
	return time.Date(year, time.September, 1, 0, 0, 0, 0, rome)
}

// parseMonitoringFilter reads the form; an empty form is this school year by ambito. A
// wrong field is reported under its name and left at its default.
func parseMonitoringFilter(c *gin.Context, now time.Time) (monitoringFilter, map[string]string) {
	f := monitoringFilter{By: store.ByAmbito, From: schoolYearStart(now)}
	errs := map[string]string{}
	if by := store.Dimension(c.Query("per")); by != "" {
		if slices.Contains(app.MonitoringDimensions, by) {
			f.By = by
		} else {
			errs["per"] = "Scegliere uno dei raggruppamenti dell'elenco."
		}
	}
	date := func(field string) time.Time {
		v, ok := c.GetQuery(field)
		if !ok {
			return time.Time{}
		}
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(time.DateOnly, v, rome)
		if err != nil {
			errs[field] = "Indicare una data valida (gg/mm/aaaa)."
			return time.Time{}
		}
		return t
	}
	if _, asked := c.GetQuery("dal"); asked {
		f.From = date("dal")
		if _, bad := errs["dal"]; bad {
			f.From = schoolYearStart(now)
		}
	}
	f.To = date("al")
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		errs["al"] = "La data finale non può precedere quella iniziale."
		f.To = time.Time{}
	}
	return f, errs
}

// monitoringPage is the Data of the dashboard (templates/pages/monitoring.html).
type monitoringPage struct {
	Filter     monitoringFilter
	Dimensions []option
	// Main is the table by the chosen dimension; ByMonth the stages over time (the stacked
	// chart); ByComune the comuni's table; nil when Main already is it.
	Main, ByMonth, ByComune *figureTable
	// PlacementByHub and PlacementByMonth are the time to placement.
	PlacementByHub, PlacementByMonth *placementTable
	// Journeys are the reunification journeys taken in over the period, by stage.
	Journeys    []app.JourneyRow
	GeneratedAt time.Time
	// ChartJS and ChartsJS are the scripts that draw the charts (Chart.js, then the site's).
	ChartJS, ChartsJS string
}

// figureTable is one table of figures as the page shows it.
type figureTable struct {
	ID string
	By store.Dimension
	// Columns head the counts, in the order of app.MonitoringColumns.
	Columns []figureColumn
	Rows    []figureRow
	// Totals sums every row, suppressed like one.
	Totals []app.Cell
	// Threshold is the suppression: counts from 1 to Threshold-1 are shown as "<n", to
	// every reader, UST included.
	Threshold int
	// Export is the address of its export, without the format.
	Export string
}

// figureColumn heads one count; Series marks the stages, which the stacked chart draws.
type figureColumn struct {
	Name, Label string
	Series      bool
}

// figureRow is one group of a table: its name and its counts.
type figureRow struct {
	Label string
	Cells []app.Cell
}

// stageColumns are the columns the chart of the stages stacks.
var stageColumns = []string{"received", "registered", "unrouted", "awaiting_proposal", "awaiting_decision", "enrolled", "withdrawn"}

// figureTable turns the app's figures into a table of the page.
func (w *Web) figureTable(id string, by store.Dimension, f app.Figures, export string) *figureTable {
	t := &figureTable{ID: id, By: by, Threshold: f.Threshold, Export: export, Totals: f.Totals.Cells()}
	for _, name := range app.MonitoringColumns {
		t.Columns = append(t.Columns, figureColumn{Name: name, Label: w.label("web.ust.column", name), Series: slices.Contains(stageColumns, name)})
	}
	for _, r := range f.Rows {
		t.Rows = append(t.Rows, figureRow{Label: w.groupLabel(by, r.Key), Cells: r.Cells()})
	}
	return t
}

// placementTable is one table of the time to placement.
type placementTable struct {
	ID        string
	By        store.Dimension
	Rows      []placementRow
	Threshold int
	Export    string
}

// placementRow is the time to placement of one group, in days; empty when suppressed.
type placementRow struct {
	Label       string
	Cases       app.Cell
	Median, P90 string
	// MedianValue and P90Value are the same for the chart ("12.5").
	MedianValue, P90Value string
}

func (w *Web) placementTable(id string, by store.Dimension, p app.PlacementTimes, export string) *placementTable {
	t := &placementTable{ID: id, By: by, Threshold: p.Threshold, Export: export}
	for _, r := range p.Rows {
		t.Rows = append(t.Rows, placementRow{Label: w.groupLabel(by, r.Key), Cases: r.Cases,
			Median: days(r.Median), P90: days(r.P90), MedianValue: daysValue(r.Median), P90Value: daysValue(r.P90)})
	}
	return t
}

// monitoringPage shows the dashboard.
func (w *Web) monitoringPage(c *gin.Context) {
	ctx, reader := c.Request.Context(), actorOf(c)
	f, errs := parseMonitoringFilter(c, w.app.Now())
	page := monitoringPage{Filter: f, Dimensions: w.dimensionOptions(), GeneratedAt: w.app.Now(),
		ChartJS: static.ChartJS, ChartsJS: static.SiteChartsJS()}
	figures := func(id string, by store.Dimension) (*figureTable, error) {
		fig, err := w.app.Monitoring(ctx, reader, f.query(by))
		if err != nil {
			return nil, err
		}
		if id == "tabella-casi" {
			page.Journeys = fig.Journeys
		}
		return w.figureTable(id, by, fig, "/monitoraggio/esporta?tabella=casi&"+f.withBy(by).params()), nil
	}
	placement := func(id string, by store.Dimension) (*placementTable, error) {
		t, err := w.app.PlacementTime(ctx, reader, f.query(by))
		if err != nil {
			return nil, err
		}
		return w.placementTable(id, by, t, "/monitoraggio/esporta?tabella=tempi&"+f.withBy(by).params()), nil
	}
	var err error
	if page.Main, err = figures("tabella-casi", f.By); err == nil {
		if f.By == store.ByMonth {
			page.ByMonth = page.Main
		} else {
			page.ByMonth, err = figures("tabella-mesi", store.ByMonth)
		}
	}
	if err == nil && f.By != store.ByComune {
		page.ByComune, err = figures("tabella-comuni", store.ByComune)
	}
	if err == nil {
		page.PlacementByHub, err = placement("tabella-tempi-hub", store.ByHub)
	}
	if err == nil {
		page.PlacementByMonth, err = placement("tabella-tempi-mesi", store.ByMonth)
	}
	if err != nil {
		w.monitoringFailed(c, err)
		return
	}
	v := view{Data: page, Errors: errs, Values: map[string]string{"per": string(f.By), "dal": isoDay(f.From), "al": isoDay(f.To)}}
	if len(errs) > 0 {
		v.Alert = w.t("web.refusal.invalid")
	}
	w.render(c, http.StatusOK, "monitoring", v)
}

// withBy is the filter grouped by another dimension.
func (f monitoringFilter) withBy(by store.Dimension) monitoringFilter {
	f.By = by
	return f
}

// monitoringFailed shows why the figures could not be made.
func (w *Web) monitoringFailed(c *gin.Context, err error) {
	var invalid *app.InvalidError
	if errors.As(err, &invalid) {
		w.render(c, http.StatusUnprocessableEntity, "error", view{Alert: w.t("web.refusal.invalid")})
		return
	}
	w.fail(c, err)
}

// dimensionOptions are the dimensions of the figures, with their labels.
func (w *Web) dimensionOptions() []option {
	out := make([]option, len(app.MonitoringDimensions))
	for i, d := range app.MonitoringDimensions {
		out[i] = option{Value: string(d), Label: w.label("web.ust.by", string(d))}
	}
	return out
}

// groupLabel is how a page names one group of the figures: a hub's name, a level's, a
// month in words.
func (w *Web) groupLabel(by store.Dimension, key string) string {
	if key == "" {
		return w.t("web.ust.group.none." + string(by))
	}
	switch by {
	case store.ByAmbito:
		return "Ambito " + key
	case store.ByHub:
		if org, err := casework.ParseOrg(key); err == nil {
			return orgName(org)
		}
	case store.ByLevel:
		return w.label("web.level", key)
	case store.ByOrigin:
		return w.label("web.cases.origin", key)
	case store.ByWeek:
		if t, err := time.Parse(time.DateOnly, key); err == nil {
			return "Settimana dal " + t.Format("02/01/2006")
		}
	case store.ByMonth:
		if t, err := time.Parse("2006-01", key); err == nil {
			return italianMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
		}
	}
	return key
}

var italianMonths = []string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio",
	"agosto", "settembre", "ottobre", "novembre", "dicembre"}

// days is a duration in days with one decimal, the Italian way ("12,5"), and its value
// for a chart ("12.5").
func days(d *time.Duration) string {
	if d == nil {
		return ""
	}
	return strings.Replace(daysValue(d), ".", ",", 1)
}

func daysValue(d *time.Duration) string {
	if d == nil {
		return ""
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64)
}

// isoDay is a date as a date field's value; empty for none.
func isoDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}
