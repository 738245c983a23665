package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

var (
	polo1  = casework.Org{Kind: casework.OrgPoloStart, Code: "polo-1"}
	cti22  = casework.Org{Kind: casework.OrgCTI, Code: "22"}
	school = casework.Org{Kind: casework.OrgSchool, Code: "MIIC90001A"}
	t0     = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
)

func (b bundle) recorded(t *testing.T) store.Case {
	t.Helper()
	c, err := b.store.RecordCase(b.ctx, sampleCase())
	require.NoError(t, err)
	return c
}

func events(n int) []casework.Event {
	kinds := []casework.EventKind{casework.EventFiled, casework.EventRouted, casework.EventProposed, casework.EventAccepted}
	out := make([]casework.Event, n)
	for i := range n {
		out[i] = casework.Event{Seq: int64(i + 1), At: t0.Add(time.Duration(i) * time.Hour), Kind: kinds[i%len(kinds)]}
		if out[i].Kind == casework.EventProposed {
			out[i].School = school.Code
		}
	}
	out[n-1].Actor = polo1
	out[n-1].Note = "nota dell'hub"
	return out
}

func awaitingDecision(id string) store.Progress {
	return store.Progress{
		CaseID: id, Seq: 3, Stage: casework.StageAwaitingDecision, Comune: "015146", Municipio: 2, Level: "primaria", Year: 3,
		Hub: polo1.String(), School: school.Code, ProposalCount: 1,
		Task:   &casework.Task{Kind: casework.TaskDecideProposal, Owner: school, Since: t0, DueAt: t0.Add(5 * 24 * time.Hour), ReminderAt: t0.Add(4 * 24 * time.Hour)},
		Events: events(3),
	}
}

func TestSaveProgressAppliesNewerReportsOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.recorded(t)

	applied, err := b.store.SaveProgress(b.ctx, awaitingDecision(c.ID))
	require.NoError(t, err)
	require.True(t, applied)
	got, err := b.store.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, int64(3), got.Seq)
	require.Equal(t, "awaiting_decision", got.Stage)
	require.Equal(t, polo1.String(), got.Hub)
	require.Equal(t, school.Code, got.School)
	require.Equal(t, 3, got.Year)
	require.Equal(t, casework.TaskDecideProposal, got.Task.Kind)
	require.Equal(t, school, got.Task.Owner)
	require.True(t, got.Task.DueAt.Equal(t0.Add(5*24*time.Hour)))
	require.Nil(t, got.Placement)

	enrolled := store.Progress{
		CaseID: c.ID, Seq: 4, Stage: casework.StageEnrolled, Comune: "015146", Municipio: 2, Level: "primaria", Year: 3,
		Hub: polo1.String(), School: school.Code, ProposalCount: 1,
		Placement: &casework.Placement{School: school.Code, Level: "primaria", Year: 3, Section: "B", StartDate: "2026-11-30"},
		Events:    events(4),
	}
	applied, err = b.store.SaveProgress(b.ctx, enrolled)
	require.NoError(t, err)
	require.True(t, applied)

	// The older report arrives late, e.g. from a retried activity: it changes nothing.
	applied, err = b.store.SaveProgress(b.ctx, awaitingDecision(c.ID))
	require.NoError(t, err)
	require.False(t, applied)
	got, err = b.store.GetCase(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, "enrolled", got.Stage)
	require.Nil(t, got.Task)
	require.Equal(t, enrolled.Placement, got.Placement)

	timeline, err := b.store.Timeline(b.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, timeline, 4, "each event stored once, however often it is reported")
	for i, e := range timeline {
		require.Equal(t, int64(i+1), e.Seq)
	}
	require.Equal(t, polo1, timeline[3].Actor)
	require.Equal(t, "nota dell'hub", timeline[3].Note)
	require.True(t, timeline[0].Actor.IsZero())
}

func TestLateReportStillStoresItsEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.recorded(t)
	newer := awaitingDecision(c.ID)
	newer.Seq, newer.Events = 5, []casework.Event{{Seq: 5, At: t0, Kind: casework.EventProposed}}
	_, err := b.store.SaveProgress(b.ctx, newer)
	require.NoError(t, err)
	applied, err := b.store.SaveProgress(b.ctx, awaitingDecision(c.ID))
	require.NoError(t, err)
	require.False(t, applied)
	timeline, err := b.store.Timeline(b.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, timeline, 4)
}

func TestSaveProgressOfUnknownCase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.store.SaveProgress(b.ctx, awaitingDecision(uuid.NewString()))
	require.True(t, errors.Is(err, store.ErrNotFound), "%v", err)
	_, err = b.store.Timeline(b.ctx, uuid.NewString())
	require.True(t, errors.Is(err, store.ErrNotFound))
}

func TestNotificationsAndReferralsAreWrittenOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.recorded(t)
	n := store.Notification{Key: c.ID + "/3/proposal/school:MIIC90001A", CaseID: c.ID, Kind: "proposal", Recipient: school}
	written, err := b.store.QueueNotification(b.ctx, n)
	require.NoError(t, err)
	require.True(t, written)
	written, err = b.store.QueueNotification(b.ctx, n)
	require.NoError(t, err)
	require.False(t, written)

	r := store.DropoutReferral{CaseID: c.ID, Check: 0, School: school.Code, Reason: "no_answer", OpenedAt: t0}
	written, err = b.store.OpenDropoutReferral(b.ctx, r)
	require.NoError(t, err)
	require.True(t, written)
	written, err = b.store.OpenDropoutReferral(b.ctx, r)
	require.NoError(t, err)
	require.False(t, written)
	r.Check = 1
	written, err = b.store.OpenDropoutReferral(b.ctx, r)
	require.NoError(t, err)
	require.True(t, written, "the next check opens its own referral")

	var notifications, referrals int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM notification").Scan(&notifications))
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM dropout_referral").Scan(&referrals))
	require.Equal(t, 1, notifications)
	require.Equal(t, 2, referrals)
}

// fiveCases records five cases in different states, oldest first.
func (b bundle) fiveCases(t *testing.T) []string {
	t.Helper()
	var ids []string
	for i := range 5 {
		c := b.recorded(t)
		_, err := b.pool.Exec(b.ctx, "UPDATE enrolment_case SET created_at = $2 WHERE id = $1", c.ID, t0.Add(time.Duration(i)*time.Minute))
		require.NoError(t, err)
		p := awaitingDecision(c.ID)
		switch i {
		case 0: // overdue with the school
			p.Task.DueAt = t0.Add(-time.Hour)
		case 1: // escalated with the CTI of another comune
			p.Stage, p.Hub, p.Comune, p.Municipio, p.School, p.Escalated = casework.StageAwaitingProposal, cti22.String(), "015209", 0, "", true
			p.Task = &casework.Task{Kind: casework.TaskProposeSchool, Owner: cti22, Since: t0, DueAt: t0.Add(-2 * time.Hour), Escalated: true}
		case 2: // the school's, due later
			p.Task.DueAt = t0.Add(48 * time.Hour)
		case 3: // enrolled: no task
			p.Stage, p.Task = casework.StageEnrolled, nil
		case 4: // the school's, no deadline
			p.Task.DueAt = time.Time{}
		}
		_, err = b.store.SaveProgress(b.ctx, p)
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	return ids
}

func listIDs(t *testing.T, b bundle, f store.CaseFilter) []string {
	t.Helper()
	f.Now = t0
	page, _, err := b.store.ListCases(b.ctx, f)
	require.NoError(t, err)
	var ids []string
	for _, c := range page {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestListCasesFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := b.fiveCases(t)
	yes, no := true, false
	require.Equal(t, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}, listIDs(t, b, store.CaseFilter{}), "newest first")
	require.Equal(t, []string{ids[3]}, listIDs(t, b, store.CaseFilter{Stage: casework.StageEnrolled}))
	require.Equal(t, []string{ids[1]}, listIDs(t, b, store.CaseFilter{Hub: cti22.String()}))
	require.Equal(t, []string{ids[1]}, listIDs(t, b, store.CaseFilter{Comune: "015209"}))
	require.Equal(t, []string{ids[4], ids[3], ids[2], ids[0]}, listIDs(t, b, store.CaseFilter{School: school.Code}))
	require.Equal(t, []string{ids[1], ids[0]}, listIDs(t, b, store.CaseFilter{Overdue: true}))
	require.Equal(t, []string{ids[1]}, listIDs(t, b, store.CaseFilter{Escalated: &yes}))
	require.Len(t, listIDs(t, b, store.CaseFilter{Escalated: &no}), 4)
	require.Empty(t, listIDs(t, b, store.CaseFilter{Hub: polo1.String(), Comune: "015209"}), "filters combine")
}

func TestListCasesPaginates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := b.fiveCases(t)
	var seen []string
	cursor := ""
	pages := 0
	for {
		page, next, err := b.store.ListCases(b.ctx, store.CaseFilter{Limit: 2, After: cursor, Now: t0})
		require.NoError(t, err)
		pages++
		for _, c := range page {
			seen = append(seen, c.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	require.Equal(t, 3, pages)
	require.Equal(t, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}, seen, "no gaps, no repeats")

	for _, bad := range []string{"not a cursor!", "bm90LWEtY3Vyc29y"} {
		_, _, err := b.store.ListCases(b.ctx, store.CaseFilter{After: bad})
		require.True(t, errors.Is(err, store.ErrBadCursor), bad)
	}
}

func TestInboxListsOverdueFirstAndOnlyTheOwners(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := b.fiveCases(t)
	items, err := b.store.ListTasks(b.ctx, school, t0, 0)
	require.NoError(t, err)
	var got []string
	for _, it := range items {
		got = append(got, it.CaseID)
		require.Equal(t, school, it.Task.Owner)
	}
	require.Equal(t, []string{ids[0], ids[2], ids[4]}, got, "overdue, then by deadline, then without one")

	items, err = b.store.ListTasks(b.ctx, cti22, t0, 0)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, ids[1], items[0].CaseID)
	require.True(t, items[0].Task.Escalated)

	items, err = b.store.ListTasks(b.ctx, polo1, t0, 0)
	require.NoError(t, err)
	require.Empty(t, items, "another organisation's tasks never show")
}

func TestMonitoringCountsByHubAndStage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fiveCases(t)
	counts, err := b.store.CountCases(b.ctx, t0)
	require.NoError(t, err)
	byKey := map[string]store.StageCount{}
	total := 0
	for _, c := range counts {
		byKey[c.Hub+"/"+c.Stage] = c
		total += c.Cases
	}
	require.Equal(t, 5, total)
	require.Equal(t, store.StageCount{Hub: cti22.String(), Stage: "awaiting_proposal", Cases: 1, Overdue: 1, Escalated: 1}, byKey[cti22.String()+"/awaiting_proposal"])
	waiting := byKey[polo1.String()+"/awaiting_decision"]
	require.Equal(t, 3, waiting.Cases)
	require.Equal(t, 1, waiting.Overdue)
	require.Equal(t, 1, byKey[polo1.String()+"/enrolled"].Cases)
}

func TestComuneKnown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.store.ComuneKnown(b.ctx, "015146")
	require.True(t, errors.Is(err, store.ErrNotFound), "no reference data imported yet")
	d, err := refdata.ParseFile(filepath.Join("..", "..", "deploy", "refdata", "sample.yaml"))
	require.NoError(t, err)
	_, err = b.store.ReplaceReferenceData(b.ctx, d, "sample")
	require.NoError(t, err)
	known, err := b.store.ComuneKnown(b.ctx, "015146")
	require.NoError(t, err)
	require.True(t, known)
	known, err = b.store.ComuneKnown(b.ctx, "015999")
	require.NoError(t, err)
	require.False(t, known)
}
