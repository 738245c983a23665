package store

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed queries/count_cases.sql
var countCasesSQL string

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
	var counts []StageCount
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, countCasesSQL, pgx.NamedArgs{"now": now})
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
