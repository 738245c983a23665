package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/casework"
	"github.com/approdo/approdo/internal/namematch"
	"github.com/approdo/approdo/internal/pgtest"
	"github.com/approdo/approdo/internal/store"
)

// minorCase is a case of the sample minor as the worker records it: with its matching
// key, computed from the names as filed.
func minorCase(given, family, codiceFiscale string) store.Case {
	c := sampleCase()
	c.MinorGivenName, c.MinorFamilyName, c.MinorCodiceFiscale = given, family, codiceFiscale
	c.MatchKey = namematch.Key(given, family, c.MinorBirthDate)
	return c
}

// minorStore is a store acting as the application role, under row-level security, and the
// owner's pool for what only the owner may do.
func minorStore(t *testing.T) (*store.Store, bundle) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	owner, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	appURL, err := store.AppLoginURL(ctx, url)
	require.NoError(t, err)
	appPool, err := store.OpenApp(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(appPool.Close)
	return store.New(appPool), bundle{ctx: ctx, pool: owner, store: store.New(owner)}
}

func TestASecondOpenCaseOfAMinorIsRefused(t *testing.T) {
	t.Parallel()
	app, b := minorStore(t)
	worker := store.AsSystem(b.ctx)

	first, err := app.RecordCase(worker, minorCase("Олена", "Коваленко", "12345678903"))
	require.NoError(t, err)

	again, err := app.RecordCase(worker, minorCase("Олена", "Коваленко", "12345678903"))
	require.Error(t, err)
	id, ok := store.IsDuplicateMinor(err)
	require.True(t, ok, "the same minor filed again: %v", err)
	require.Equal(t, first.ID, id)
	require.Empty(t, again.ID)
	require.NotContains(t, err.Error(), "Olena", "the refusal names the case, not the minor")

	refusals := map[string]store.Case{
		"the Latin spelling, no codice fiscale": minorCase("Olena", "Kovalenko", ""),
		"the same codice fiscale, another name": minorCase("Helena", "Kowalenko", "12345678903"),
		"a definitive code against provisional": minorCase("Olena", "Kovalenko", "KVLLNO17D52Z138X"),
	}
	for name, c := range refusals {
		_, err := app.RecordCase(worker, c)
		id, ok := store.IsDuplicateMinor(err)
		require.True(t, ok, "%s: %v", name, err)
		require.Equal(t, first.ID, id, name)
	}

	// Two provisional codes that differ are two minors, whatever their names: a namesake
	// born the same day is not merged.
	namesake, err := app.RecordCase(worker, minorCase("Olena", "Kovalenko", "00000000000"))
	require.NoError(t, err)
	require.NotEqual(t, first.ID, namesake.ID)

	// A retried activity records its own case again without being refused by it.
	retried := minorCase("Олена", "Коваленко", "12345678903")
	retried.ID = first.ID
	_, err = app.RecordCase(worker, retried)
	require.NoError(t, err)

	// Once the case is closed, the minor may be filed again.
	for _, id := range []string{first.ID, namesake.ID} {
		_, err = app.SaveProgress(worker, store.Progress{CaseID: id, Seq: 1, Stage: casework.StageWithdrawn, Comune: "015146", Municipio: 2, Level: "primaria", Events: events(1)})
		require.NoError(t, err)
	}
	_, err = app.RecordCase(worker, minorCase("Olena", "Kovalenko", ""))
	require.NoError(t, err)
}

func TestConcurrentFilingsOfOneMinorRecordOneCase(t *testing.T) {
	t.Parallel()
	app, b := minorStore(t)
	worker := store.AsSystem(b.ctx)

	spellings := [][2]string{{"Олександр", "Шевченко"}, {"Oleksandr", "Shevchenko"}, {"Olexandr", "Shevchenko"}, {"OLEKSANDR", "SHEVCHENKO"}}
	const filings = 8
	var wg sync.WaitGroup
	recorded := make(chan string, filings)
	refused := make(chan string, filings)
	for i := range filings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := spellings[i%len(spellings)]
			c, err := app.RecordCase(worker, minorCase(name[0], name[1], ""))
			if id, ok := store.IsDuplicateMinor(err); ok {
				refused <- id
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			recorded <- c.ID
		}()
	}
	wg.Wait()
	close(recorded)
	close(refused)
	var ids []string
	for id := range recorded {
		ids = append(ids, id)
	}
	require.Len(t, ids, 1, "exactly one filing records a case")
	for id := range refused {
		require.Equal(t, ids[0], id, "every other filing is told which")
	}
	var rows int
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT count(*) FROM enrolment_case").Scan(&rows))
	require.Equal(t, 1, rows)

	// Monitoring counts the minor once.
	figures, err := app.MonitoringFigures(store.WithOrg(b.ctx, "ust"), store.ByComune, store.Period{}, t0)
	require.NoError(t, err)
	require.Len(t, figures, 1)
	require.Equal(t, 1, figures[0].Filed)
}

func TestAComuneLearnsOnlyTheIDOfACaseItDoesNotSee(t *testing.T) {
	t.Parallel()
	app, b := minorStore(t)
	filed, err := app.RecordCase(store.AsSystem(b.ctx), minorCase("Olena", "Kovalenko", "12345678903"))
	require.NoError(t, err)

	sesto := store.WithOrg(b.ctx, "comune:015209")
	id, err := app.OpenCaseOfMinor(sesto, "", namematch.Key("Олена", "Коваленко", "2017-04-12"), "")
	require.NoError(t, err)
	require.Equal(t, filed.ID, id)
	_, err = app.GetCase(sesto, id)
	require.ErrorIs(t, err, store.ErrNotFound, "the case stays out of the comune's sight")

	_, err = app.OpenCaseOfMinor(sesto, "", namematch.Key("Olena", "Kovalenko", "2017-04-13"), "")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = app.OpenCaseOfMinor(sesto, "12345678903", "", filed.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "the case itself is no duplicate of itself")
	_, err = app.OpenCaseOfMinor(b.ctx, "12345678903", "", "")
	require.ErrorIs(t, err, store.ErrNotFound, "nobody named, nothing found")
}

func TestPseudonymisationForgetsTheMatchingKey(t *testing.T) {
	t.Parallel()
	app, b := minorStore(t)
	worker := store.AsSystem(b.ctx)
	c, err := app.RecordCase(worker, minorCase("Olena", "Kovalenko", ""))
	require.NoError(t, err)
	var key *string
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT minor_match_key FROM enrolment_case WHERE id = $1", c.ID).Scan(&key))
	require.NotNil(t, key)

	_, err = b.pool.Exec(b.ctx, "SELECT approdo_pseudonymise_case($1)", c.ID)
	require.NoError(t, err)
	require.NoError(t, b.pool.QueryRow(b.ctx, "SELECT minor_match_key FROM enrolment_case WHERE id = $1", c.ID).Scan(&key))
	require.Nil(t, key)
}
