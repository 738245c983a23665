package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/api/app"
)

// exportTables are the page's names of the tables (tabella=casi|tempi).
var exportTables = map[string]app.ExportTable{"casi": app.ExportCases, "tempi": app.ExportPlacementTime}

// monitoringExport answers one table of the dashboard as CSV or XLSX, asked with the
// dashboard's filter: tabella=casi|tempi, per, dal, al, formato=csv|xlsx. The file is
// app.MonitoringExport's, the one way an export is made (the API's too), from the same
// app functions as the page, so it has the page's figures.
func (w *Web) monitoringExport(c *gin.Context) {
	f, errs := parseMonitoringFilter(c, w.app.Now())
	table, known := exportTables[c.Query("tabella")]
	if len(errs) > 0 || !known {
		w.render(c, http.StatusUnprocessableEntity, "error", view{Alert: w.t("web.refusal.invalid")})
		return
	}
	x, err := w.app.MonitoringExport(c.Request.Context(), actorOf(c), table, f.query(f.By), app.ExportFormat(c.Query("formato")))
	if err != nil {
		w.monitoringFailed(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+x.Name+`"`)
	c.Data(http.StatusOK, x.ContentType, x.Body)
}
