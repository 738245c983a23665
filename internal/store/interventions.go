package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/casework"
)

// The queries of the interventions live here rather than in queries/: they are few, and
// read best next to the code that binds their parameters.
const (
	// upsertInterventionSQL writes a report unless the stored one is as new or newer
	// (seq). The case, referral, reason and opening never change after the first report.
	upsertInterventionSQL = `
INSERT INTO intervention (id, case_id, referral, school, comune, reason, stage, operator,
    task_kind, task_owner, task_since, task_due, task_reminder_at, task_reminded, task_escalated,
    escalated, escalation_reason, outcome, interview, plan, reviews, timeline, seq, opened_at)
VALUES (@id, @case_id, @referral, NULLIF(@school, ''), NULLIF(@comune, ''), @reason, @stage, NULLIF(@operator, ''),
    NULLIF(@task_kind, ''), NULLIF(@task_owner, ''), @task_since, @task_due, @task_reminder_at, @task_reminded, @task_escalated,
    @escalated, NULLIF(@escalation_reason, ''), NULLIF(@outcome, ''), @interview::jsonb, @plan::jsonb,
    coalesce(@reviews::jsonb, '[]'::jsonb), coalesce(@timeline::jsonb, '[]'::jsonb), @seq, @opened_at)
ON CONFLICT (id) DO UPDATE SET
    school = EXCLUDED.school, comune = EXCLUDED.comune, stage = EXCLUDED.stage, operator = EXCLUDED.operator,
    task_kind = EXCLUDED.task_kind, task_owner = EXCLUDED.task_owner, task_since = EXCLUDED.task_since,
    task_due = EXCLUDED.task_due, task_reminder_at = EXCLUDED.task_reminder_at,
    task_reminded = EXCLUDED.task_reminded, task_escalated = EXCLUDED.task_escalated,
    escalated = EXCLUDED.escalated, escalation_reason = EXCLUDED.escalation_reason, outcome = EXCLUDED.outcome,
    interview = EXCLUDED.interview, plan = EXCLUDED.plan, reviews = EXCLUDED.reviews, timeline = EXCLUDED.timeline,
    seq = EXCLUDED.seq, updated_at = now()
WHERE intervention.seq < EXCLUDED.seq`

	interventionSummaryColumns = `id, case_id::text, referral, coalesce(school, ''), coalesce(comune, ''), reason, stage,
    coalesce(operator, ''), coalesce(task_kind, ''), coalesce(task_owner, ''), task_since, task_due, task_reminder_at,
    task_reminded, task_escalated, escalated, coalesce(escalation_reason, ''), coalesce(outcome, ''), seq, opened_at, updated_at`

	selectInterventionSQL = `SELECT ` + interventionSummaryColumns + `, interview, plan, reviews, timeline
FROM intervention WHERE id = @id`

	// selectInterventionsSQL is a worklist: the tasks due soonest first, then those with
	// no deadline, then the closed, oldest referral first. Empty parameters do not filter.
	selectInterventionsSQL = `SELECT ` + interventionSummaryColumns + `
FROM intervention
WHERE (@stage = '' OR stage = @stage)
  AND (@school = '' OR school = @school)
  AND (NOT @overdue OR (task_due IS NOT NULL AND task_due <= coalesce(@now::timestamptz, now())))
ORDER BY task_due IS NULL, task_due, task_kind IS NULL, opened_at, id
LIMIT @limit`

	countInterventionsSQL = `SELECT stage, count(*)::int,
    (count(*) FILTER (WHERE escalated))::int,
    (count(*) FILTER (WHERE task_due IS NOT NULL AND task_due <= now()))::int
FROM intervention GROUP BY stage ORDER BY stage`
)

// InterventionProgress is how far an intervention has got, as its workflow reports it
// after every change. Seq is the number of the newest event in Events; a write whose Seq
// is not newer than the stored one changes nothing, so a retried or late write never
// undoes a newer one.
type InterventionProgress struct {
	// ID is the workflow ID; CaseID, the enrolment case the pupil's data is in.
	ID       string
	CaseID   string
	Referral string
	// School is the codice meccanografico, Comune the ISTAT code.
	School string
	Comune string
	Reason string
	Stage  casework.InterventionStage
	// Operator is the name of who took the referral in charge at the orientation service.
	Operator string
	// Task is what the intervention waits for; nil when it waits for nobody.
	Task             *casework.Task
	Escalated        bool
	EscalationReason string
	// Outcome is set when it is closed: resolved, school_change or dropout.
	Outcome   string
	Interview *casework.InterventionInterview
	Plan      *casework.InterventionPlan
	Reviews   []casework.InterventionReview
	// Events is the whole timeline so far.
	Events   []casework.Event
	Seq      int64
	OpenedAt time.Time
}

// Intervention is an intervention as stored.
type Intervention struct {
	InterventionProgress
	UpdatedAt time.Time
}

// SaveIntervention writes p to the read model. It reports whether p was applied: false
// means the stored one is already as new or newer, which is not an error.
func (s *Store) SaveIntervention(ctx context.Context, p InterventionProgress) (bool, error) {
	args := pgx.NamedArgs{
		"id": p.ID, "case_id": p.CaseID, "referral": p.Referral, "school": p.School, "comune": p.Comune,
		"reason": p.Reason, "stage": string(p.Stage), "operator": p.Operator,
		"task_kind": "", "task_owner": "", "task_since": nil, "task_due": nil, "task_reminder_at": nil,
		"task_reminded": false, "task_escalated": false,
		"escalated": p.Escalated, "escalation_reason": p.EscalationReason, "outcome": p.Outcome,
		"interview": p.Interview, "plan": p.Plan, "reviews": p.Reviews, "timeline": p.Events,
		"seq": p.Seq, "opened_at": p.OpenedAt,
	}
	if t := p.Task; t != nil {
		args["task_kind"], args["task_owner"] = string(t.Kind), t.Owner.String()
		args["task_since"], args["task_due"], args["task_reminder_at"] = nullTime(t.Since), nullTime(t.DueAt), nullTime(t.ReminderAt)
		args["task_reminded"], args["task_escalated"] = t.Reminded, t.Escalated
	}
	var applied bool
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, upsertInterventionSQL, args)
		applied = err == nil && tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("save intervention %s: %w", p.ID, err)
	}
	return applied, nil
}

// Intervention returns the intervention with the given ID, or ErrNotFound, also when the
// caller's organisation may not see it.
func (s *Store) Intervention(ctx context.Context, id string) (Intervention, error) {
	var in Intervention
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		var task taskColumns
		err := tx.QueryRow(ctx, selectInterventionSQL, pgx.NamedArgs{"id": id}).Scan(
			append(in.summaryDest(&task), &in.Interview, &in.Plan, &in.Reviews, &in.Events)...)
		if err != nil {
			return err
		}
		in.Task, err = task.task()
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Intervention{}, fmt.Errorf("get intervention %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Intervention{}, fmt.Errorf("get intervention %s: %w", id, err)
	}
	return in, nil
}

// summaryDest lists where the columns of interventionSummaryColumns are scanned to.
func (in *Intervention) summaryDest(task *taskColumns) []any {
	return []any{
		&in.ID, &in.CaseID, &in.Referral, &in.School, &in.Comune, &in.Reason, &in.Stage, &in.Operator,
		&task.kind, &task.owner, &task.since, &task.due, &task.reminder, &task.reminded, &task.escalated,
		&in.Escalated, &in.EscalationReason, &in.Outcome, &in.Seq, &in.OpenedAt, &in.UpdatedAt,
	}
}

// InterventionFilter selects interventions for a list. Empty fields do not filter.
type InterventionFilter struct {
	Stage  casework.InterventionStage
	School string
	// Overdue keeps the interventions whose task is past its deadline at Now (the
	// database's clock when Now is zero).
	Overdue bool
	Now     time.Time
}

// Interventions returns at most limit interventions f selects (100 when limit is 0, never
// more than 500), the most urgent first. The list leaves out the interview, plan, reviews
// and timeline, which Intervention returns.
func (s *Store) Interventions(ctx context.Context, f InterventionFilter, limit int) ([]Intervention, error) {
	switch {
	case limit <= 0:
		limit = 100
	case limit > 500:
		limit = 500
	}
	var out []Intervention
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, selectInterventionsSQL, pgx.NamedArgs{
			"stage": string(f.Stage), "school": f.School, "overdue": f.Overdue, "now": nullTime(f.Now), "limit": limit,
		})
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Intervention, error) {
			var in Intervention
			var task taskColumns
			if err := row.Scan(in.summaryDest(&task)...); err != nil {
				return in, err
			}
			var err error
			in.Task, err = task.task()
			return in, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list interventions: %w", err)
	}
	return out, nil
}

// InterventionCount is how many interventions are in one stage, and how many of them are
// escalated and past their task's deadline.
type InterventionCount struct {
	Stage         casework.InterventionStage
	Interventions int
	Escalated     int
	Overdue       int
}

// InterventionCounts returns the interventions by stage, for UST's monitoring. Stages with
// none are left out.
func (s *Store) InterventionCounts(ctx context.Context) ([]InterventionCount, error) {
	var counts []InterventionCount
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, countInterventionsSQL)
		if err != nil {
			return err
		}
		counts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[InterventionCount])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count interventions: %w", err)
	}
	return counts, nil
}
