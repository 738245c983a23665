package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/store"
)

func countEvents(t *testing.T, b bundle, caseID string) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM case_event WHERE case_id = $1", caseID).Scan(&n))
	return n
}

func TestReportWithTheSameSeqIsNotApplied(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.recorded(t)
	first := awaitingDecision(c.ID)
	applied, err := b.store.SaveProgress(b.ctx, first)
	require.NoError(t, err)
	require.True(t, applied)

	// A report with the same number but other contents (a bug, or a replay that computed
	// something else) must not overwrite what is stored.
	same := awaitingDecision(c.ID)
	same.Stage, same.Hub, same.School, same.Task = casework.StageAwaitingProposal, cti22.String(), "", nil
	for range 3 {
		applied, err = b.store.SaveProgress(b.ctx, same)
		require.NoError(t, err)
		require.False(t, applied)
	}
	got, err := b.store.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, int64(3), got.Seq)
	require.Equal(t, "awaiting_decision", got.Stage)
	require.Equal(t, polo1.String(), got.Hub)
	require.Equal(t, school.Code, got.School)
	require.NotNil(t, got.Task)
	require.Equal(t, school, got.Task.Owner)
	require.True(t, got.Task.ReminderAt.Equal(t0.Add(4*24*time.Hour)))
	require.Equal(t, 3, countEvents(t, b, c.ID), "the same events, reported four times, are stored once")
}

func TestSaveProgressClearsWhatTheReportNoLongerHas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.recorded(t)
	p := awaitingDecision(c.ID)
	p.Escalated, p.EscalationReason, p.DropoutRisk = true, casework.EscalationDeadline, true
	_, err := b.store.SaveProgress(b.ctx, p)
	require.NoError(t, err)
	got, err := b.store.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.True(t, got.Escalated)
	require.Equal(t, casework.EscalationDeadline, got.EscalationReason)
	require.True(t, got.DropoutRisk)

	// The case went back to unrouted: no hub, no school, no class year, no task.
	back := store.Progress{CaseID: c.ID, Seq: 4, Stage: casework.StageUnrouted, Comune: "015146", Level: "primaria", ProposalCount: 1}
	applied, err := b.store.SaveProgress(b.ctx, back)
	require.NoError(t, err)
	require.True(t, applied)
	got, err = b.store.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, "unrouted", got.Stage)
	require.Empty(t, got.Hub)
	require.Empty(t, got.School)
	require.Zero(t, got.Year)
	require.Zero(t, got.Municipio)
	require.False(t, got.Escalated)
	require.Empty(t, got.EscalationReason)
	require.False(t, got.DropoutRisk)
	require.Nil(t, got.Task)
	require.Nil(t, got.Placement)

	var hubIsNull, taskOwnerIsNull bool
	require.NoError(t, b.pool.QueryRow(b.ctx,
		"SELECT hub IS NULL, task_owner IS NULL FROM enrolment_case WHERE id = $1", c.ID).Scan(&hubIsNull, &taskOwnerIsNull))
	require.True(t, hubIsNull, "an empty hub is stored as NULL, so the hub filter and index never see ''")
	require.True(t, taskOwnerIsNull)
}

func TestTimelineIsOrderedBySeqWhateverTheOrderOfWriting(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.recorded(t)

	timeline, err := b.store.Timeline(b.ctx, c.ID)
	require.NoError(t, err)
	require.NotNil(t, timeline, "a case with no events has an empty timeline, not a nil one")
	require.Empty(t, timeline)

	all := events(6)
	// The newest report arrives first with the last events only, then older ones fill in.
	for _, part := range [][]casework.Event{all[4:], all[1:3], all[:2], all[3:4]} {
		p := awaitingDecision(c.ID)
		p.Seq, p.Events = part[len(part)-1].Seq, part
		_, err := b.store.SaveProgress(b.ctx, p)
		require.NoError(t, err)
	}
	timeline, err = b.store.Timeline(b.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, timeline, 6)
	for i, e := range timeline {
		require.Equal(t, int64(i+1), e.Seq)
		require.Equal(t, all[i].Kind, e.Kind)
		require.True(t, all[i].At.Equal(e.At))
	}
	require.Equal(t, school.Code, timeline[2].School)
	require.Empty(t, timeline[0].School)
	require.Equal(t, 6, countEvents(t, b, c.ID))
}

func TestListCasesPaginatesCasesCreatedAtTheSameInstant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	want := map[string]bool{}
	for range 5 {
		c := b.recorded(t)
		want[c.ID] = true
	}
	// Same created_at for all: only the ID orders them, and the cursor must honour it.
	_, err := b.pool.Exec(b.ctx, "UPDATE enrolment_case SET created_at = $1", t0)
	require.NoError(t, err)

	seen := map[string]bool{}
	var order []string
	cursor := ""
	for pages := 1; ; pages++ {
		require.LessOrEqual(t, pages, 3)
		page, next, err := b.store.ListCases(b.ctx, store.CaseFilter{Limit: 2, After: cursor})
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 2)
		for _, s := range page {
			require.False(t, seen[s.ID], "case listed twice")
			seen[s.ID] = true
			order = append(order, s.ID)
		}
		if next == "" {
			require.Equal(t, 3, pages)
			break
		}
		cursor = next
	}
	require.Equal(t, want, seen, "no case left out")
	for i := 1; i < len(order); i++ {
		require.Greater(t, order[i-1], order[i], "ties are broken by ID, descending")
	}
}

func TestListCasesDefaultPageAndLastPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fiveCases(t)
	page, next, err := b.store.ListCases(b.ctx, store.CaseFilter{})
	require.NoError(t, err)
	require.Len(t, page, 5)
	require.Empty(t, next, "no cursor when everything fits in the page")

	page, next, err = b.store.ListCases(b.ctx, store.CaseFilter{Limit: 5})
	require.NoError(t, err)
	require.Len(t, page, 5)
	require.Empty(t, next, "a page that ends exactly at the last case has no next page")
}

func TestListTasksLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := b.fiveCases(t)
	items, err := b.store.ListTasks(b.ctx, school, t0, 2)
	require.NoError(t, err)
	require.Len(t, items, 2)
	require.Equal(t, ids[0], items[0].CaseID)
	require.Equal(t, ids[2], items[1].CaseID)
}
