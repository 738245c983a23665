package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

// ivOpened is when the interventions of these tests were referred.
var ivOpened = time.Date(2025, 12, 15, 9, 0, 0, 0, time.UTC)

// interventionOf is a referral of caseID just opened, awaiting the orientation service.
func interventionOf(caseID, referral string) store.InterventionProgress {
	return store.InterventionProgress{
		ID: "intervention-" + caseID + "-" + referral, CaseID: caseID, Referral: referral,
		School: "MIIC90001A", Comune: "015146", Reason: casework.ReferralNotAttending,
		Stage: casework.InterventionAwaitingTakeCharge,
		Task: &casework.Task{Kind: casework.TaskTakeCharge, Owner: casework.Orientation, Since: ivOpened,
			DueAt: ivOpened.Add(7 * 24 * time.Hour), ReminderAt: ivOpened.Add(6 * 24 * time.Hour)},
		Events: []casework.Event{{Seq: 1, At: ivOpened, Kind: casework.EventInterventionOpened, School: "MIIC90001A", Reason: casework.ReferralNotAttending}},
		Seq:    1, OpenedAt: ivOpened,
	}
}

// followingUp is p a few steps on: taken in charge, interviewed, with a plan.
func followingUp(p store.InterventionProgress) store.InterventionProgress {
	p.Stage, p.Seq, p.Operator, p.Task = casework.InterventionFollowingUp, 4, "Giulia Bianchi", nil
	p.Interview = &casework.InterventionInterview{Date: "2025-12-17", WithFamily: true}
	p.Plan = &casework.InterventionPlan{Actions: []string{"tutor tra pari", "colloquio mensile con la famiglia"}, ReviewDates: []string{"2026-01-15", "2026-02-16"}, AgreedAt: ivOpened.Add(72 * time.Hour)}
	p.Reviews = []casework.InterventionReview{{Date: "2026-01-15", Due: time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)}, {Date: "2026-02-16", Due: time.Date(2026, 2, 16, 8, 0, 0, 0, time.UTC)}}
	for _, k := range []casework.EventKind{casework.EventTakenInCharge, casework.EventInterviewed, casework.EventPlanAgreed} {
		p.Events = append(p.Events, casework.Event{Seq: int64(len(p.Events) + 1), At: ivOpened.Add(time.Duration(len(p.Events)) * 24 * time.Hour), Kind: k, Actor: casework.Orientation})
	}
	return p
}

// recordedCase stores an enrolment case for interventions to point at.
func recordedCase(t *testing.T, app *store.Store) string {
	t.Helper()
	c, err := app.RecordCase(store.AsSystem(context.Background()), sampleCase())
	require.NoError(t, err)
	return c.ID
}

func TestInterventionReportsApplyNewerOnly(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	worker := store.AsSystem(context.Background())
	caseID := recordedCase(t, app)
	opened := interventionOf(caseID, "check-1")

	applied, err := app.SaveIntervention(worker, opened)
	require.NoError(t, err)
	require.True(t, applied)
	applied, err = app.SaveIntervention(worker, opened)
	require.NoError(t, err)
	require.False(t, applied, "the same report twice is written once")

	later := followingUp(opened)
	applied, err = app.SaveIntervention(worker, later)
	require.NoError(t, err)
	require.True(t, applied)

	// The first report arrives again, late: it must not undo the newer state.
	applied, err = app.SaveIntervention(worker, opened)
	require.NoError(t, err)
	require.False(t, applied)

	got, err := app.Intervention(worker, opened.ID)
	require.NoError(t, err)
	require.Equal(t, int64(4), got.Seq)
	require.Equal(t, casework.InterventionFollowingUp, got.Stage)
	require.Nil(t, got.Task, "the task the older report had stays cleared")
	require.Equal(t, "Giulia Bianchi", got.Operator)
	require.Equal(t, later.Interview, got.Interview)
	require.Equal(t, later.Plan.Actions, got.Plan.Actions)
	require.Equal(t, later.Plan.ReviewDates, got.Plan.ReviewDates)
	require.True(t, later.Plan.AgreedAt.Equal(got.Plan.AgreedAt))
	require.Len(t, got.Reviews, 2)
	require.Len(t, got.Events, 4)
	require.Equal(t, casework.EventPlanAgreed, got.Events[3].Kind)
	require.Equal(t, casework.Orientation, got.Events[3].Actor)
	require.True(t, ivOpened.Equal(got.OpenedAt))
	require.Equal(t, caseID, got.CaseID)
}

func TestInterventionListsAndCounts(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	worker := store.AsSystem(context.Background())
	caseID := recordedCase(t, app)

	// The count of overdue tasks is at the database's clock: one deadline long past, one
	// far ahead.
	waiting := interventionOf(caseID, "check-1")
	waiting.Task.DueAt = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	overdue := interventionOf(caseID, "check-2")
	overdue.School = "MIIC90002A"
	overdue.Task.DueAt, overdue.Task.Escalated, overdue.Escalated = ivOpened.Add(time.Hour), true, true
	overdue.EscalationReason = casework.EscalationDeadline
	closed := followingUp(interventionOf(caseID, "report-7"))
	closed.Stage, closed.Outcome, closed.Seq = casework.InterventionResolved, "resolved", 5
	for _, p := range []store.InterventionProgress{waiting, overdue, closed} {
		_, err := app.SaveIntervention(worker, p)
		require.NoError(t, err)
	}
	ids := func(f store.InterventionFilter) []string {
		t.Helper()
		list, err := app.Interventions(store.WithOrg(context.Background(), "orientation"), f, 0)
		require.NoError(t, err)
		var out []string
		for _, in := range list {
			out = append(out, in.ID)
		}
		return out
	}
	require.Equal(t, []string{overdue.ID, waiting.ID, closed.ID}, ids(store.InterventionFilter{}), "the soonest deadline first, the closed last")
	require.Equal(t, []string{overdue.ID}, ids(store.InterventionFilter{Overdue: true, Now: ivOpened.Add(24 * time.Hour)}))
	require.Equal(t, []string{overdue.ID}, ids(store.InterventionFilter{School: "MIIC90002A"}))
	require.Equal(t, []string{closed.ID}, ids(store.InterventionFilter{Stage: casework.InterventionResolved}))

	list, err := app.Interventions(store.WithOrg(context.Background(), "ust"), store.InterventionFilter{Overdue: true, Now: ivOpened.Add(24 * time.Hour)}, 1)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NotNil(t, list[0].Task)
	require.Equal(t, casework.TaskTakeCharge, list[0].Task.Kind)
	require.True(t, list[0].Escalated)

	counts, err := app.InterventionCounts(store.WithOrg(context.Background(), "ust"))
	require.NoError(t, err)
	require.Equal(t, []store.InterventionCount{
		{Stage: casework.InterventionAwaitingTakeCharge, Interventions: 2, Escalated: 1, Overdue: 1},
		{Stage: casework.InterventionResolved, Interventions: 1},
	}, counts)
}

func TestOnlyOrientationAndUSTSeeInterventions(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	ctx := context.Background()
	caseID := recordedCase(t, app)
	p := interventionOf(caseID, "check-1")
	_, err := app.SaveIntervention(store.AsSystem(ctx), p)
	require.NoError(t, err)

	for _, org := range []string{"orientation", "ust", store.System} {
		got, err := app.Intervention(store.WithOrg(ctx, org), p.ID)
		require.NoError(t, err, org)
		require.Equal(t, p.ID, got.ID)
		list, err := app.Interventions(store.WithOrg(ctx, org), store.InterventionFilter{}, 0)
		require.NoError(t, err)
		require.Len(t, list, 1, org)
	}
	// The school of the referral and the comune of the pupil see nothing, nor does a
	// caller who names no organisation.
	for _, org := range []string{"school:MIIC90001A", "comune:015146", "polo_start:polo-1", ""} {
		_, err := app.Intervention(store.WithOrg(ctx, org), p.ID)
		require.ErrorIs(t, err, store.ErrNotFound, org)
		list, err := app.Interventions(store.WithOrg(ctx, org), store.InterventionFilter{}, 0)
		require.NoError(t, err)
		require.Empty(t, list, org)
		counts, err := app.InterventionCounts(store.WithOrg(ctx, org))
		require.NoError(t, err)
		require.Empty(t, counts, org)
	}
	// Only the worker writes, even for the service that works the intervention.
	newer := followingUp(p)
	for _, org := range []string{"orientation", "ust"} {
		_, err := app.SaveIntervention(store.WithOrg(ctx, org), newer)
		require.Error(t, err, org)
	}
	got, err := app.Intervention(store.WithOrg(ctx, "ust"), p.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1), got.Seq)
}
