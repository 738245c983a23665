package store

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	//go:embed queries/count_cases.sql
	countCasesSQL string
	//go:embed queries/select_figures.sql
	selectFiguresSQL string
	//go:embed queries/select_placement_times.sql
	selectPlacementTimesSQL string
)

// StageCount is how many cases one hub has in one stage; Hub is empty for cases not
// routed to any.
type StageCount struct {
	Hub         string
	Stage       string
	Cases       int
	Overdue     int
	Escalated   int
	DropoutRisk int
	Direct      int
}

// CountCases returns the monitoring counts, by hub and stage, at now.
func (s *Store) CountCases(ctx context.Context, now time.Time) ([]StageCount, error) {
	args := pgx.NamedArgs{"now": now}
	query := scoped(countCasesSQL, orgOf(ctx), args)
	var counts []StageCount
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, query, args)
		if err != nil {
			return err
		}
		counts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[StageCount])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	return counts, nil
}

// Dimension is what the monitoring figures are grouped by.
type Dimension string

// The dimensions of the figures.
const (
	ByAmbito Dimension = "ambito" // the hub's ambito; Polo START cases in Milano's
	ByHub    Dimension = "hub"    // "cti:21", "polo_start:1"; "" when unrouted
	ByComune Dimension = "comune" // ISTAT code
	ByLevel  Dimension = "level"
	ByOrigin Dimension = "origin" // "" when the first form gave none
	ByWeek   Dimension = "week"   // the Monday of the week of filing, YYYY-MM-DD
	ByMonth  Dimension = "month"  // the month of filing, YYYY-MM
)

// Dimensions are the dimensions of the figures, in the order a page offers them.
var Dimensions = []Dimension{ByAmbito, ByHub, ByComune, ByLevel, ByOrigin, ByWeek, ByMonth}

// Period is a span of filing times [From, To); a zero end does not bound.
type Period struct {
	From, To time.Time
}

func (p Period) args(by Dimension) pgx.NamedArgs {
	return pgx.NamedArgs{"by": string(by), "from": nullTime(p.From), "to": nullTime(p.To)}
}

// Figures are the monitoring counts of one group of cases.
type Figures struct {
	Key   string
	Filed int
	// The open stages.
	Received, Registered, Unrouted, AwaitingProposal, AwaitingDecision int
	// Enrolled counts the placed minors, completed follow-ups included.
	Enrolled  int
	Withdrawn int
	// Overdue is at the time asked; Escalated at any time so far.
	Overdue   int
	Escalated int
	Direct    int
	// DropoutRisk counts the cases referred to the orientation service.
	DropoutRisk int
	// InterventionsOpen and InterventionsClosed count the interventions on those cases
	// that the reader may see (UST and the orientation service).
	InterventionsOpen, InterventionsClosed int
}

// figuresWorkMem is the memory each process of the figures' query may sort or hash in,
// for this transaction only. Before migration 00029 the planner expected about 1% of the
// rows the policy lets through and grouped by sorting, which spilled to disk with the
// default 4 MB (3 MB a process for Milano's year, 12 MB for UST's); it now hashes as the
// hand-written SQL does, in far less, but a dimension with many keys (comuni, weeks) may
// still be grouped by sorting, which then stays in memory (25 MB a process at most for
// UST's year, three processes: two parallel workers and the leader).
const figuresWorkMem = "64MB"

// setFiguresPlanning sets, for the transaction only, figuresWorkMem and a fresh plan for
// every execution (plan_cache_mode). pgx prepares each query once per connection, and
// after five executions PostgreSQL may keep a generic plan, made without the values of
// the parameters: the dimension (@by), which picks the grouping key among seven, and the
// reader's code in its scope, whose share of the cases (30% for Milano, 0.5% for a small
// comune) decides between an index and a scan. Planning takes milliseconds, the figures
// hundreds.
func setFiguresPlanning(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, "SELECT set_config('work_mem', $1, true), set_config('plan_cache_mode', 'force_custom_plan', true)", figuresWorkMem)
	return err
}

// MonitoringFigures returns the figures of the cases the reader sees that were filed in
// p, grouped by by, ordered by key. Overdue is at now.
func (s *Store) MonitoringFigures(ctx context.Context, by Dimension, p Period, now time.Time) ([]Figures, error) {
	args := p.args(by)
	args["now"] = now
	query := scoped(selectFiguresSQL, orgOf(ctx), args)
	var out []Figures
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		if err := setFiguresPlanning(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, query, args)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Figures])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("monitoring figures by %s: %w", by, err)
	}
	return out, nil
}

// PlacementTime is how long the placed minors of one group waited, from filing to seat.
type PlacementTime struct {
	Key    string
	Cases  int
	Median time.Duration
	P90    time.Duration
}

// PlacementTimes returns the time to placement of the cases filed in p that a hub
// placed, by hub or by month of filing (ByHub or ByMonth), ordered by key.
func (s *Store) PlacementTimes(ctx context.Context, by Dimension, p Period) ([]PlacementTime, error) {
	if by != ByHub && by != ByMonth {
		return nil, fmt.Errorf("placement times by %s: only by hub or month", by)
	}
	args := p.args(by)
	query := scoped(selectPlacementTimesSQL, orgOf(ctx), args)
	var out []PlacementTime
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		if err := setFiguresPlanning(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, query, args)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (PlacementTime, error) {
			var t PlacementTime
			var median, p90 float64
			err := row.Scan(&t.Key, &t.Cases, &median, &p90)
			t.Median, t.P90 = seconds(median), seconds(p90)
			return t, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("placement times by %s: %w", by, err)
	}
	return out, nil
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}

// JourneysBetween counts the reunification journeys taken in over p by stage, for UST
// and the one-stop shop; others get none.
func (s *Store) JourneysBetween(ctx context.Context, p Period) ([]JourneyCount, error) {
	var out []JourneyCount
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT stage, journeys, escalated FROM approdo_journey_counts_between($1, $2)`,
			nullTime(p.From), nullTime(p.To))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[JourneyCount])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count journeys: %w", err)
	}
	return out, nil
}
