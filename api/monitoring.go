package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/approdo/approdo/api/app"
	"github.com/approdo/approdo/internal/store"
)

// The territorial monitoring's figures, as app.Monitoring, app.PlacementTime and
// app.MonitoringExport make them for the portal's dashboard: small counts are suppressed
// for every caller, UST included.

// GetMonitoring is the territorial monitoring. Without by, the counts by hub and stage
// (the first answer of this endpoint, its counts now suppressed: null); with by, the
// dashboard's figures between from and to.
func (s *Server) GetMonitoring(ctx context.Context, req GetMonitoringRequestObject) (GetMonitoringResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	p := req.Params
	if p.By == nil {
		if p.From != nil || p.To != nil {
			return s.failure(app.Invalid("by", "serve per contare tra from e to"))
		}
		counts, err := s.app.StageCounts(ctx, actor)
		if err != nil {
			return s.failure(err)
		}
		rows := make([]MonitoringRow, len(counts))
		for i, c := range counts {
			rows[i] = MonitoringRow{
				Hub: pointer(c.Hub), Stage: c.Stage, Cases: nullableCount(c.Cases), Overdue: nullableCount(c.Overdue),
				Escalated: nullableCount(c.Escalated), DropoutRisk: nullableCount(c.DropoutRisk), Direct: nullableCount(c.Direct),
			}
		}
		return ok(Monitoring{GeneratedAt: s.now(), Threshold: s.app.MinCell(), Rows: rows}), nil
	}
	q := monitoringQuery(*p.By, p.From, p.To)
	f, err := s.app.Monitoring(ctx, actor, q)
	if err != nil {
		return s.failure(err)
	}
	out := MonitoringFigures{By: *p.By, From: p.From, To: p.To, Rows: make([]FigureRow, len(f.Rows)), Totals: figureRow(f.Totals)}
	for i, r := range f.Rows {
		out.Rows[i] = figureRow(r)
	}
	journeys := make([]JourneyStageCount, len(f.Journeys))
	for i, j := range f.Journeys {
		journeys[i] = JourneyStageCount{Stage: j.Stage, Journeys: count(j.Journeys), Escalated: count(j.Escalated)}
	}
	out.Journeys = &journeys
	return ok(Monitoring{GeneratedAt: f.GeneratedAt, Threshold: f.Threshold, Rows: []MonitoringRow{}, Figures: &out}), nil
}

// GetPlacementTime is the time from filing to placement, by hub or by month.
func (s *Server) GetPlacementTime(ctx context.Context, req GetPlacementTimeRequestObject) (GetPlacementTimeResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	p := req.Params
	t, err := s.app.PlacementTime(ctx, actor, monitoringQuery(p.By, p.From, p.To))
	if err != nil {
		return s.failure(err)
	}
	out := PlacementTimes{GeneratedAt: t.GeneratedAt, Threshold: t.Threshold, By: p.By, From: p.From, To: p.To, Rows: make([]PlacementRow, len(t.Rows))}
	days := func(d *time.Duration) *float64 {
		if d == nil {
			return nil
		}
		v := app.Days(*d)
		return &v
	}
	for i, r := range t.Rows {
		out.Rows[i] = PlacementRow{Key: r.Key, Placed: count(r.Cases), MedianDays: days(r.Median), P90Days: days(r.P90)}
	}
	return ok(out), nil
}

// ExportMonitoring is a table of the monitoring as CSV or XLSX: app.MonitoringExport's
// file, the same as the dashboard's export.
func (s *Server) ExportMonitoring(ctx context.Context, req ExportMonitoringRequestObject) (ExportMonitoringResponseObject, error) {
	actor, problem := actorFrom(ctx)
	if problem != nil {
		return problemReply(*problem), nil
	}
	p := req.Params
	x, err := s.app.MonitoringExport(ctx, actor, app.ExportTable(p.Table), monitoringQuery(p.By, p.From, p.To), app.ExportFormat(p.Format))
	if err != nil {
		return s.failure(err)
	}
	return exportReply(x), nil
}

// exportReply writes the file with its media type (the CSV's with its charset) and its
// name.
type exportReply app.Export

func (x exportReply) VisitExportMonitoringResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", x.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(x.Body)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+x.Name+`"`)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(x.Body)
	return err
}

// monitoringQuery is the app's query of the API's parameters: to is the last day
// counted, the app's To the first one not counted.
func monitoringQuery(by string, from, to *openapi_types.Date) app.MonitoringQuery {
	q := app.MonitoringQuery{By: store.Dimension(by)}
	if from != nil {
		q.From = from.Time
	}
	if to != nil {
		q.To = to.AddDate(0, 0, 1)
	}
	return q
}

// count is a cell as the API gives it: its value (null when suppressed), whether it is
// suppressed and how it is shown.
func count(c app.Cell) Count {
	return Count{Value: nullableCount(c), Suppressed: c.Suppressed(), Display: c.String()}
}

// nullableCount is a count, nil when suppressed.
func nullableCount(c app.Cell) *int {
	if c.Suppressed() {
		return nil
	}
	n := c.N
	return &n
}

func figureRow(r app.FigureRow) FigureRow {
	return FigureRow{
		Key: r.Key, Filed: count(r.Filed), Received: count(r.Received), Registered: count(r.Registered), Unrouted: count(r.Unrouted),
		AwaitingProposal: count(r.AwaitingProposal), AwaitingDecision: count(r.AwaitingDecision), Enrolled: count(r.Enrolled),
		Withdrawn: count(r.Withdrawn), Overdue: count(r.Overdue), Escalated: count(r.Escalated), Direct: count(r.Direct),
		DropoutRisk: count(r.DropoutRisk), InterventionsOpen: count(r.InterventionsOpen), InterventionsClosed: count(r.InterventionsClosed),
	}
}
