package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification"
)

// Journey is a reunification journey as its projection holds it.
type Journey struct {
	ID               string
	Seq              int64
	Stage            string
	Escalated        bool
	EscalationReason string
	Deadline         time.Time
	ArrivedOn        string
	SupportAreas     []string
	Children         []casework.JourneyChild
	Timeline         []casework.JourneyEvent

	// Set by the first report, which records the journey.
	Source     string
	Family     *reunification.Family
	FamilyHash string
	WorkflowID string

	CreatedAt, UpdatedAt time.Time
}

// SaveJourney records a journey (the first report carries the family) or updates it. A
// report whose Seq is not newer than the stored one changes nothing.
func (s *Store) SaveJourney(ctx context.Context, j Journey) error {
	timeline, err := json.Marshal(nonNil(j.Timeline))
	if err != nil {
		return err
	}
	children, err := json.Marshal(nonNil(j.Children))
	if err != nil {
		return err
	}
	areas := j.SupportAreas
	if areas == nil {
		areas = []string{}
	}
	var deadline *time.Time
	if !j.Deadline.IsZero() {
		deadline = &j.Deadline
	}
	var arrived *string
	if j.ArrivedOn != "" {
		arrived = &j.ArrivedOn
	}
	return s.inOrg(ctx, func(tx pgx.Tx) error {
		if j.Family != nil {
			family, err := json.Marshal(j.Family)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO reunification_journey (id, reference, source, family, family_hash, workflow_id, comune, stage, seq)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) ON CONFLICT (id) DO NOTHING`,
				j.ID, j.Family.Reference, j.Source, family, j.FamilyHash, j.WorkflowID, j.Family.Sponsor.Comune, j.Stage)
			if err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE reunification_journey SET seq = $2, stage = $3, escalated = $4, escalation_reason = NULLIF($5, ''),
			deadline = $6, arrived_on = $7::date, support_areas = $8, children = $9, timeline = $10, updated_at = now()
			WHERE id = $1 AND seq < $2`,
			j.ID, j.Seq, j.Stage, j.Escalated, j.EscalationReason, deadline, arrived, areas, children, timeline)
		return err
	})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

const journeyColumns = `id::text, seq, stage, escalated, coalesce(escalation_reason, ''), deadline, coalesce(arrived_on::text, ''),
	support_areas, children, timeline, source, family, family_hash, workflow_id, created_at, updated_at`

func scanJourney(row pgx.Row) (Journey, error) {
	var j Journey
	var deadline *time.Time
	var children, timeline, family []byte
	err := row.Scan(&j.ID, &j.Seq, &j.Stage, &j.Escalated, &j.EscalationReason, &deadline, &j.ArrivedOn,
		&j.SupportAreas, &children, &timeline, &j.Source, &family, &j.FamilyHash, &j.WorkflowID, &j.CreatedAt, &j.UpdatedAt)
	if err != nil {
		return Journey{}, err
	}
	if deadline != nil {
		j.Deadline = *deadline
	}
	j.Family = new(reunification.Family)
	for _, part := range []struct {
		data []byte
		into any
	}{{children, &j.Children}, {timeline, &j.Timeline}, {family, j.Family}} {
		if err := json.Unmarshal(part.data, part.into); err != nil {
			return Journey{}, fmt.Errorf("decode journey %s: %w", j.ID, err)
		}
	}
	return j, nil
}

// JourneyByID returns a journey the caller may see, or ErrNotFound.
func (s *Store) JourneyByID(ctx context.Context, id string) (Journey, error) {
	var j Journey
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		var err error
		j, err = scanJourney(tx.QueryRow(ctx, `SELECT `+journeyColumns+` FROM reunification_journey WHERE id::text = $1`, id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Journey{}, fmt.Errorf("journey: %w", ErrNotFound)
	}
	if err != nil {
		return Journey{}, fmt.Errorf("read journey: %w", err)
	}
	return j, nil
}

// JourneyFilter narrows a list of journeys.
type JourneyFilter struct {
	Stage     string
	Escalated bool
	// After is the cursor: the ID of the last journey of the previous page.
	After string
	Limit int
}

// Journeys lists the journeys the caller may see, oldest first.
func (s *Store) Journeys(ctx context.Context, f JourneyFilter) ([]Journey, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var out []Journey
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+journeyColumns+` FROM reunification_journey
			WHERE ($1 = '' OR stage = $1) AND (NOT $2 OR escalated) AND ($3 = '' OR id::text > $3)
			ORDER BY id LIMIT $4`, f.Stage, f.Escalated, f.After, f.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Journey, error) { return scanJourney(row) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	return out, nil
}

// JourneyCount is how many journeys stand at a stage.
type JourneyCount struct {
	Stage     string
	Journeys  int
	Escalated int
}

// JourneyCounts counts the journeys by stage, for UST, which reads no family.
func (s *Store) JourneyCounts(ctx context.Context) ([]JourneyCount, error) {
	var out []JourneyCount
	err := s.inOrg(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT stage, journeys, escalated FROM approdo_journey_counts()`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (JourneyCount, error) {
			var c JourneyCount
			err := row.Scan(&c.Stage, &c.Journeys, &c.Escalated)
			return c, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count journeys: %w", err)
	}
	return out, nil
}

// JourneyIDFor is the ID of the journey source opens for reference: the one namespaced by
// source's organisation, unless the same organisation opened it before IDs were (under
// the ID of its kind), which then stays its journey. A journey another organisation of
// the same kind opened under that old ID is not found: each gets its own.
func (s *Store) JourneyIDFor(ctx context.Context, source casework.Org, reference string) (string, error) {
	old := reunification.KindJourneyID(string(source.Kind), reference)
	j, err := s.JourneyByID(AsSystem(ctx), old)
	switch {
	case err == nil && j.Source == source.String():
		return old, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return "", fmt.Errorf("find the journey of a reference: %w", err)
	}
	return reunification.JourneyID(source.String(), reference), nil
}
