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
