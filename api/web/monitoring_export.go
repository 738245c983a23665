package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/store"
)

// sheet is a table as an export writes it: a header row, then rows of cells that are
// counts (int), days (float64) or text (a suppressed "<4", a name).
type sheet struct {
	Header []string
	Rows   [][]any
}

// monitoringExport answers one table of the dashboard as CSV or XLSX, asked with the
// dashboard's filter: tabella=casi|tempi, per, dal, al, formato=csv|xlsx. It calls the
// same app functions as the page, so the file has the page's figures.
func (w *Web) monitoringExport(c *gin.Context) {
	ctx, reader := c.Request.Context(), actorOf(c)
	f, errs := parseMonitoringFilter(c, w.app.Now())
	format := c.Query("formato")
	if len(errs) > 0 || (format != "csv" && format != "xlsx") {
		w.render(c, http.StatusUnprocessableEntity, "error", view{Alert: w.t("web.refusal.invalid")})
		return
	}
	var s sheet
	switch c.Query("tabella") {
	case "casi":
		fig, err := w.app.Monitoring(ctx, reader, f.query(f.By))
		if err != nil {
			w.monitoringFailed(c, err)
			return
		}
		s = figureSheet(f.By, fig)
	case "tempi":
		t, err := w.app.PlacementTime(ctx, reader, f.query(f.By))
		if err != nil {
			w.monitoringFailed(c, err)
			return
		}
		s = placementSheet(f.By, t)
	default:
		w.render(c, http.StatusUnprocessableEntity, "error", view{Alert: w.t("web.refusal.invalid")})
		return
	}
	name := fmt.Sprintf("approdo-%s-per-%s-%s", c.Query("tabella"), f.By, w.app.Now().In(rome).Format("20060102-1504"))
	var body bytes.Buffer
	contentType := "text/csv; charset=utf-8"
	var err error
	if format == "csv" {
		err = s.writeCSV(&body)
	} else {
		contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = s.writeXLSX(&body)
	}
	if err != nil {
		w.fail(c, fmt.Errorf("export monitoring: %w", err))
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	c.Data(http.StatusOK, contentType, body.Bytes())
}

// figureSheet is the monitoring table: the group's code, then the counts, then the
// totals. Codes, not labels, head the columns, so that a spreadsheet can read them.
func figureSheet(by store.Dimension, f app.Figures) sheet {
	s := sheet{Header: append([]string{string(by)}, app.MonitoringColumns...)}
	row := func(key string, cells []app.Cell) []any {
		out := []any{key}
		for _, c := range cells {
			out = append(out, cellValue(c))
		}
		return out
	}
	for _, r := range f.Rows {
		s.Rows = append(s.Rows, row(r.Key, r.Cells()))
	}
	s.Rows = append(s.Rows, row("totale", f.Totals.Cells()))
	return s
}

// placementSheet is the time to placement, in days.
func placementSheet(by store.Dimension, p app.PlacementTimes) sheet {
	s := sheet{Header: []string{string(by), "placed", "median_days", "p90_days"}}
	daysOf := func(d *time.Duration) any {
		if d == nil {
			return ""
		}
		return float64(d.Round(time.Hour/10)) / float64(24*time.Hour)
	}
	for _, r := range p.Rows {
		s.Rows = append(s.Rows, []any{r.Key, cellValue(r.Cases), daysOf(r.Median), daysOf(r.P90)})
	}
	return s
}

// cellValue is a count as a number, or its suppressed text ("<4").
func cellValue(c app.Cell) any {
	if c.Suppressed() {
		return c.String()
	}
	return c.N
}

func (s sheet) writeCSV(out *bytes.Buffer) error {
	// A byte-order mark, so that spreadsheets open the accents as UTF-8.
	out.WriteString("\ufeff")
	cw := csv.NewWriter(out)
	if err := cw.Write(s.Header); err != nil {
		return err
	}
	for _, r := range s.Rows {
		rec := make([]string, len(r))
		for i, v := range r {
			switch v := v.(type) {
			case float64:
				rec[i] = fmt.Sprintf("%.1f", v)
			default:
				rec[i] = fmt.Sprint(v)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (s sheet) writeXLSX(out *bytes.Buffer) error {
	x := excelize.NewFile()
	defer x.Close()
	const name = "Sheet1"
	for i, h := range s.Header {
		ref, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := x.SetCellValue(name, ref, h); err != nil {
			return err
		}
	}
	for r, row := range s.Rows {
		for i, v := range row {
			ref, _ := excelize.CoordinatesToCellName(i+1, r+2)
			if err := x.SetCellValue(name, ref, v); err != nil {
				return err
			}
		}
	}
	return x.Write(out)
}
