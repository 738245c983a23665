package app

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// DefaultMinCell is the smallest count shown as it is in a monitoring figure: 1 to 3 are
// shown as "<4", to every reader, UST included.
const DefaultMinCell = 4

// Suppress is a count as a figure shows it: a count from 1 to threshold-1 is
// "<threshold", so that a small group of minors cannot be told apart. 0 stays "0"; a
// threshold of 1 or less suppresses nothing.
func Suppress(n, threshold int) string {
	if n > 0 && n < threshold {
		return "<" + strconv.Itoa(threshold)
	}
	return strconv.Itoa(n)
}

// Cell is one count of a monitoring table as the reader may see it. A suppressed cell
// has N zero and Below set: the count is between 1 and Below-1.
type Cell struct {
	N     int
	Below int
}

// Suppressed reports whether the count is hidden.
func (c Cell) Suppressed() bool { return c.Below > 0 }

// String is the count as shown: "12", "0" or "<4".
func (c Cell) String() string {
	if c.Suppressed() {
		return "<" + strconv.Itoa(c.Below)
	}
	return strconv.Itoa(c.N)
}

// cell is n as a reader sees it under threshold (0: nothing suppressed).
func cell(n, threshold int) Cell {
	if n > 0 && n < threshold {
		return Cell{Below: threshold}
	}
	return Cell{N: n}
}

// MonitoringDimensions are the values of MonitoringQuery.By.
var MonitoringDimensions = store.Dimensions

// MonitoringQuery asks for the monitoring figures of the cases filed in [From, To),
// grouped by By. From and To are dates (their time of day is ignored, read in Italian
// time); a zero one does not bound the period.
type MonitoringQuery struct {
	By       store.Dimension
	From, To time.Time
}

// FigureRow is one row of the monitoring table: the cases of one value of the dimension.
type FigureRow struct {
	Key   string
	Filed Cell
	// The open stages.
	Received, Registered, Unrouted, AwaitingProposal, AwaitingDecision Cell
	Enrolled, Withdrawn                                                Cell
	// Overdue is at the time the figures were made.
	Overdue, Escalated, Direct Cell
	// DropoutRisk counts the cases referred to the orientation service.
	DropoutRisk                            Cell
	InterventionsOpen, InterventionsClosed Cell
}

// MonitoringColumns name FigureRow's counts in the order of Cells, as exports head them.
var MonitoringColumns = []string{
	"filed", "received", "registered", "unrouted", "awaiting_proposal", "awaiting_decision",
	"enrolled", "withdrawn", "overdue", "escalated", "direct", "dropout_risk",
	"interventions_open", "interventions_closed",
}

// Cells are the row's counts in the order of MonitoringColumns.
func (r FigureRow) Cells() []Cell {
	return []Cell{
		r.Filed, r.Received, r.Registered, r.Unrouted, r.AwaitingProposal, r.AwaitingDecision,
		r.Enrolled, r.Withdrawn, r.Overdue, r.Escalated, r.Direct, r.DropoutRisk,
		r.InterventionsOpen, r.InterventionsClosed,
	}
}

// JourneyRow is how many reunification journeys stand at a stage.
type JourneyRow struct {
	Stage     string
	Journeys  Cell
	Escalated Cell
}

// Figures is the monitoring table as one reader may see it.
type Figures struct {
	Query       MonitoringQuery
	GeneratedAt time.Time
	// Threshold is the suppression applied (MONITORING_MIN_CELL), the same for every
	// reader; 1 or less suppresses nothing.
	Threshold int
	Rows      []FigureRow
	// Totals sums every row (its Key is empty), suppressed like a row.
	Totals FigureRow
	// Journeys are the reunification journeys taken in over the period, by stage; empty
	// for a reader who may not see them.
	Journeys []JourneyRow
}

// PlacementRow is the time to placement of one group: from filing to the seat.
type PlacementRow struct {
	Key   string
	Cases Cell
	// Median and P90 are nil when Cases is suppressed: a percentile of a few minors
	// says too much about each.
	Median, P90 *time.Duration
}

// PlacementTimes is the time-to-placement table as one reader may see it.
type PlacementTimes struct {
	Query       MonitoringQuery
	GeneratedAt time.Time
	Threshold   int
	Rows        []PlacementRow
}

// threshold is the suppression of every aggregate figure, for every reader: a figure
// leaves the case lists (exports, charts, the counts given to comuni and hubs), so UST's
// own figures are suppressed too; UST sees exact data only in its case lists.
func (s *Service) threshold() int {
	return s.minCell
}

// period checks q and turns its dates into times in Italian time.
func (q MonitoringQuery) period(placement bool) (store.Period, error) {
	if placement {
		if q.By != store.ByHub && q.By != store.ByMonth {
			return store.Period{}, Invalid("by", "deve essere hub o month")
		}
	} else if !slices.Contains(store.Dimensions, q.By) {
		return store.Period{}, Invalid("by", "deve essere ambito, hub, comune, level, origin, week o month")
	}
	p := store.Period{From: day(q.From), To: day(q.To)}
	if !p.From.IsZero() && !p.To.IsZero() && !p.To.After(p.From) {
		return store.Period{}, Invalid("to", "deve essere dopo from")
	}
	return p, nil
}

// day is the start of t's date in Italian time; zero stays zero.
func day(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, rome)
}

var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic("app: load Europe/Rome: " + err.Error())
	}
	return loc
}()

// Monitoring returns the territorial monitoring table of the cases the reader sees, with
// small counts suppressed for every reader, UST included.
func (s *Service) Monitoring(ctx context.Context, reader casework.Org, q MonitoringQuery) (Figures, error) {
	p, err := q.period(false)
	if err != nil {
		return Figures{}, err
	}
	now := s.now()
	ctx = store.WithOrg(ctx, reader.String())
	rows, err := s.store.MonitoringFigures(ctx, q.By, p, now)
	if err != nil {
		return Figures{}, unavailableOr(fmt.Errorf("monitoring: %w", err))
	}
	journeys, err := s.store.JourneysBetween(ctx, p)
	if err != nil {
		return Figures{}, unavailableOr(fmt.Errorf("monitoring: %w", err))
	}
	th := s.threshold()
	f := Figures{Query: q, GeneratedAt: now, Threshold: th, Rows: make([]FigureRow, len(rows))}
	var total store.Figures
	for i, r := range rows {
		f.Rows[i] = figureRow(r, th)
		total = add(total, r)
	}
	f.Totals = figureRow(total, th)
	for _, j := range journeys {
		f.Journeys = append(f.Journeys, JourneyRow{Stage: j.Stage, Journeys: cell(j.Journeys, th), Escalated: cell(j.Escalated, th)})
	}
	return f, nil
}

func figureRow(r store.Figures, th int) FigureRow {
	return FigureRow{
		Key: r.Key, Filed: cell(r.Filed, th),
		Received: cell(r.Received, th), Registered: cell(r.Registered, th), Unrouted: cell(r.Unrouted, th),
		AwaitingProposal: cell(r.AwaitingProposal, th), AwaitingDecision: cell(r.AwaitingDecision, th),
		Enrolled: cell(r.Enrolled, th), Withdrawn: cell(r.Withdrawn, th),
		Overdue: cell(r.Overdue, th), Escalated: cell(r.Escalated, th), Direct: cell(r.Direct, th),
		DropoutRisk:       cell(r.DropoutRisk, th),
		InterventionsOpen: cell(r.InterventionsOpen, th), InterventionsClosed: cell(r.InterventionsClosed, th),
	}
}

func add(a, b store.Figures) store.Figures {
	a.Filed += b.Filed
	a.Received += b.Received
	a.Registered += b.Registered
	a.Unrouted += b.Unrouted
	a.AwaitingProposal += b.AwaitingProposal
	a.AwaitingDecision += b.AwaitingDecision
	a.Enrolled += b.Enrolled
	a.Withdrawn += b.Withdrawn
	a.Overdue += b.Overdue
	a.Escalated += b.Escalated
	a.Direct += b.Direct
	a.DropoutRisk += b.DropoutRisk
	a.InterventionsOpen += b.InterventionsOpen
	a.InterventionsClosed += b.InterventionsClosed
	return a
}

// PlacementTime returns the time from filing to placement of the cases the reader sees,
// by hub or by month of filing (q.By is store.ByHub or store.ByMonth). For every reader a
// group of fewer cases than the threshold shows no median.
func (s *Service) PlacementTime(ctx context.Context, reader casework.Org, q MonitoringQuery) (PlacementTimes, error) {
	p, err := q.period(true)
	if err != nil {
		return PlacementTimes{}, err
	}
	now := s.now()
	rows, err := s.store.PlacementTimes(store.WithOrg(ctx, reader.String()), q.By, p)
	if err != nil {
		return PlacementTimes{}, unavailableOr(fmt.Errorf("placement times: %w", err))
	}
	th := s.threshold()
	out := PlacementTimes{Query: q, GeneratedAt: now, Threshold: th, Rows: make([]PlacementRow, len(rows))}
	for i, r := range rows {
		row := PlacementRow{Key: r.Key, Cases: cell(r.Cases, th)}
		if !row.Cases.Suppressed() {
			median, p90 := r.Median, r.P90
			row.Median, row.P90 = &median, &p90
		}
		out.Rows[i] = row
	}
	return out, nil
}

// MinCell is the suppression every figure gets (MONITORING_MIN_CELL): counts from 1 to
// MinCell-1 are shown as "<MinCell".
func (s *Service) MinCell() int { return s.threshold() }

// StageCountRow is how many cases of a hub stand at a stage, suppressed.
type StageCountRow struct {
	Hub, Stage                                     string
	Cases, Overdue, Escalated, DropoutRisk, Direct Cell
}

// StageCounts are the cases the reader sees by hub and stage at now, with small counts
// suppressed for every reader, UST included (the API's GET /monitoring without by).
func (s *Service) StageCounts(ctx context.Context, reader casework.Org) ([]StageCountRow, error) {
	counts, err := s.store.CountCases(store.WithOrg(ctx, reader.String()), s.now())
	if err != nil {
		return nil, unavailableOr(fmt.Errorf("count cases: %w", err))
	}
	th := s.threshold()
	out := make([]StageCountRow, len(counts))
	for i, c := range counts {
		out[i] = StageCountRow{Hub: c.Hub, Stage: c.Stage, Cases: cell(c.Cases, th), Overdue: cell(c.Overdue, th),
			Escalated: cell(c.Escalated, th), DropoutRisk: cell(c.DropoutRisk, th), Direct: cell(c.Direct, th)}
	}
	return out, nil
}
