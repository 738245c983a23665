package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// ExportTable is a table of the monitoring that downloads as a file.
type ExportTable string

const (
	// ExportCases is app.Monitoring's table: the counts by the dimension, then the totals.
	ExportCases ExportTable = "cases"
	// ExportPlacementTime is app.PlacementTime's table, in days.
	ExportPlacementTime ExportTable = "placement-time"
)

// ExportFormat is the file's format.
type ExportFormat string

const (
	ExportCSV  ExportFormat = "csv"
	ExportXLSX ExportFormat = "xlsx"
)

// ContentType is the format's media type.
func (f ExportFormat) ContentType() string {
	if f == ExportXLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Export is a monitoring table as a file: the one way an export is made, for the
// portal's page and the API alike.
type Export struct {
	// Name is the file's name: the table, the filter and when it was made, e.g.
	// approdo-cases-by-ambito-from-20250901-to-20260131-20260202-0930.xlsx.
	Name        string
	ContentType string
	Body        []byte
}

// MonitoringExport makes one table of the monitoring, asked with q, as CSV or XLSX. It
// calls Monitoring or PlacementTime, so the file has their figures, suppressed the same
// way: a suppressed cell is the text "<4", every other count a number.
func (s *Service) MonitoringExport(ctx context.Context, reader casework.Org, table ExportTable, q MonitoringQuery, format ExportFormat) (Export, error) {
	if format != ExportCSV && format != ExportXLSX {
		return Export{}, Invalid("format", "deve essere csv o xlsx")
	}
	var sh Sheet
	var generated time.Time
	switch table {
	case ExportCases:
		f, err := s.Monitoring(ctx, reader, q)
		if err != nil {
			return Export{}, err
		}
		sh, generated = FigureSheet(q.By, f), f.GeneratedAt
	case ExportPlacementTime:
		p, err := s.PlacementTime(ctx, reader, q)
		if err != nil {
			return Export{}, err
		}
		sh, generated = PlacementSheet(q.By, p), p.GeneratedAt
	default:
		return Export{}, Invalid("table", "deve essere cases o placement-time")
	}
	var body bytes.Buffer
	var err error
	if format == ExportCSV {
		err = sh.WriteCSV(&body)
	} else {
		err = sh.WriteXLSX(&body)
	}
	if err != nil {
		return Export{}, fmt.Errorf("export monitoring: %w", err)
	}
	return Export{Name: exportName(table, q, generated, format), ContentType: format.ContentType(), Body: body.Bytes()}, nil
}

// exportName names the table, the filter (the dates as asked: To is the last day) and
// when the file was made, in Italian time.
func exportName(table ExportTable, q MonitoringQuery, generated time.Time, format ExportFormat) string {
	name := fmt.Sprintf("approdo-%s-by-%s", table, q.By)
	if !q.From.IsZero() {
		name += "-from-" + q.From.Format("20060102")
	}
	if !q.To.IsZero() {
		name += "-to-" + q.To.AddDate(0, 0, -1).Format("20060102")
	}
	return name + "-" + generated.In(rome).Format("20060102-1504") + "." + string(format)
}

// Sheet is a table as an export writes it: a header row, then rows of cells that are
// counts (int), days (float64) or text (a suppressed "<4", a name).
type Sheet struct {
	Header []string
	Rows   [][]any
}

// FigureSheet is the monitoring table: the group's code, then the counts, then the
// totals. Codes, not labels, head the columns, so that a spreadsheet can read them.
func FigureSheet(by store.Dimension, f Figures) Sheet {
	s := Sheet{Header: append([]string{string(by)}, MonitoringColumns...)}
	row := func(key string, cells []Cell) []any {
		out := []any{key}
		for _, c := range cells {
			out = append(out, c.Value())
		}
		return out
	}
	for _, r := range f.Rows {
		s.Rows = append(s.Rows, row(r.Key, r.Cells()))
	}
	s.Rows = append(s.Rows, row("totale", f.Totals.Cells()))
	return s
}

// PlacementSheet is the time to placement, in days.
func PlacementSheet(by store.Dimension, p PlacementTimes) Sheet {
	s := Sheet{Header: []string{string(by), "placed", "median_days", "p90_days"}}
	daysOf := func(d *time.Duration) any {
		if d == nil {
			return ""
		}
		return Days(*d)
	}
	for _, r := range p.Rows {
		s.Rows = append(s.Rows, []any{r.Key, r.Cases.Value(), daysOf(r.Median), daysOf(r.P90)})
	}
	return s
}

// Days is d in days, to a tenth of an hour.
func Days(d time.Duration) float64 {
	return float64(d.Round(time.Hour/10)) / float64(24*time.Hour)
}

// Value is the count as a number, or its suppressed text ("<4").
func (c Cell) Value() any {
	if c.Suppressed() {
		return c.String()
	}
	return c.N
}

// WriteCSV writes the sheet as CSV, with a byte-order mark so that spreadsheets open the
// accents as UTF-8; days have one decimal.
func (s Sheet) WriteCSV(out *bytes.Buffer) error {
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

// WriteXLSX writes the sheet as an XLSX workbook of one sheet, Sheet1: counts and days
// are numbers, a suppressed count the text "<4".
func (s Sheet) WriteXLSX(out *bytes.Buffer) error {
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
