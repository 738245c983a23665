package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/reunification"
	"github.com/approdo/approdo/internal/store"
)

func TestJourneysAreForTheOneStopShopAndCountedForUST(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	worker := store.AsSystem(context.Background())
	family := &reunification.Family{Reference: "PREF-1", Sponsor: reunification.Sponsor{GivenName: "Ahmed", FamilyName: "Benali", Comune: "015146"}}
	id := uuid.NewString()
	first := store.Journey{ID: id, Seq: 1, Stage: "contacting", Source: "prefettura:milano", Family: family, FamilyHash: "h", WorkflowID: "reunification-" + id,
		Timeline: []casework.JourneyEvent{{Seq: 1, Kind: "opened", At: time.Now()}}}
	require.NoError(t, app.SaveJourney(worker, first))
	require.NoError(t, app.SaveJourney(worker, first), "a retried write changes nothing")
	later := store.Journey{ID: id, Seq: 3, Stage: "awaiting_arrival", Escalated: true, EscalationReason: "contact_failed", SupportAreas: []string{"school"},
		Children: []casework.JourneyChild{{Member: 0, CaseID: uuid.NewString()}}}
	require.NoError(t, app.SaveJourney(worker, later))
	older := store.Journey{ID: id, Seq: 2, Stage: "interview_scheduled"}
	require.NoError(t, app.SaveJourney(worker, older), "a late write is ignored")

	shop := store.WithOrg(context.Background(), "one_stop_shop:milano")
	j, err := app.JourneyByID(shop, id)
	require.NoError(t, err)
	require.Equal(t, "awaiting_arrival", j.Stage)
	require.Equal(t, "Ahmed", j.Family.Sponsor.GivenName)
	require.Equal(t, []string{"school"}, j.SupportAreas)
	require.Len(t, j.Children, 1)
	list, err := app.Journeys(shop, store.JourneyFilter{Escalated: true})
	require.NoError(t, err)
	require.Len(t, list, 1)

	for _, org := range []string{"ust", "comune:015146", "prefettura:milano", "school:MIIC90001A", "orientation"} {
		_, err := app.JourneyByID(store.WithOrg(context.Background(), org), id)
		require.ErrorIs(t, err, store.ErrNotFound, "%s reads no family", org)
	}
	counts, err := app.JourneyCounts(store.WithOrg(context.Background(), "ust"))
	require.NoError(t, err)
	require.Equal(t, []store.JourneyCount{{Stage: "awaiting_arrival", Journeys: 1, Escalated: 1}}, counts)
	counts, err = app.JourneyCounts(store.WithOrg(context.Background(), "comune:015146"))
	require.NoError(t, err)
	require.Empty(t, counts, "a comune gets no counts")
}

// Journey IDs are namespaced by the organisation that sends the family; a journey opened
// when they were namespaced by kind keeps its ID for the organisation that opened it, and
// only for it.
func TestJourneyIDForKeepsOldJourneysToTheirSender(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	ctx := context.Background()
	milano := casework.Org{Kind: casework.OrgPrefettura, Code: "milano"}
	monza := casework.Org{Kind: casework.OrgPrefettura, Code: "monza"}

	fresh, err := app.JourneyIDFor(ctx, milano, "PREF-NEW")
	require.NoError(t, err)
	require.Equal(t, reunification.JourneyID("prefettura:milano", "PREF-NEW"), fresh)
	other, err := app.JourneyIDFor(ctx, monza, "PREF-NEW")
	require.NoError(t, err)
	require.NotEqual(t, fresh, other, "the same reference from another Prefettura is another journey")

	old := reunification.KindJourneyID("prefettura", "PREF-OLD")
	family := &reunification.Family{Reference: "PREF-OLD", Sponsor: reunification.Sponsor{Comune: "015146"}}
	require.NoError(t, app.SaveJourney(store.AsSystem(ctx), store.Journey{ID: old, Seq: 1, Stage: "contacting", Source: milano.String(),
		Family: family, FamilyHash: "h", WorkflowID: reunification.WorkflowID(old)}))
	again, err := app.JourneyIDFor(ctx, milano, "PREF-OLD")
	require.NoError(t, err)
	require.Equal(t, old, again, "the family re-sent by its sender finds its running journey")
	probe, err := app.JourneyIDFor(ctx, monza, "PREF-OLD")
	require.NoError(t, err)
	require.Equal(t, reunification.JourneyID("prefettura:monza", "PREF-OLD"), probe, "another Prefettura does not reach it")
}

// The one-stop shop is one organisation: another of its kind reads no journey, no file
// of families, no case a journey opened, and counts nothing.
func TestOnlyTheOneStopShopReadsTheJourneys(t *testing.T) {
	t.Parallel()
	_, app := appStore(t)
	ctx := context.Background()
	worker := store.AsSystem(ctx)
	id := uuid.NewString()
	family := &reunification.Family{Reference: "PREF-SHOP", Sponsor: reunification.Sponsor{Comune: "015146"}}
	require.NoError(t, app.SaveJourney(worker, store.Journey{ID: id, Seq: 1, Stage: "contacting", Source: "prefettura:milano",
		Family: family, FamilyHash: "h", WorkflowID: reunification.WorkflowID(id)}))
	c := sampleCase()
	c.FiledBy = "one_stop_shop:reunification"
	kase, err := app.RecordCase(worker, c)
	require.NoError(t, err)

	shop := store.WithOrg(ctx, casework.OneStopShop.String())
	_, err = app.JourneyByID(shop, id)
	require.NoError(t, err)
	_, err = app.GetCase(shop, kase.ID)
	require.NoError(t, err)

	other := store.WithOrg(ctx, "one_stop_shop:monza")
	_, err = app.JourneyByID(other, id)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = app.GetCase(other, kase.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err := app.Journeys(other, store.JourneyFilter{})
	require.NoError(t, err)
	require.Empty(t, list)
	counts, err := app.JourneyCounts(other)
	require.NoError(t, err)
	require.Empty(t, counts)
}
